import { z } from 'zod'
import { EVENT_ID_PATTERN, ID_PATTERN, TICKET_PATTERN } from './patterns.js'

export { EVENT_ID_PATTERN, ID_PATTERN, TICKET_PATTERN }

export const idSchema = z.string().regex(ID_PATTERN, 'lowercase letters, digits and "-", 1–32 characters, not starting with "-"')

export const eventIdSchema = z.string().regex(EVENT_ID_PATTERN, '8–64 characters of A–Z, a–z, 0–9, "_" or "-"')

export const ticketSchema = z.string().regex(TICKET_PATTERN, '1–16 characters of letters, digits or "-"')
