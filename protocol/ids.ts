import { z } from 'zod'

/** Site, counter, department, officer and device ids: safe as MQTT topic levels and InfluxDB tag values. */
export const ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/
export const idSchema = z.string().regex(ID_PATTERN, 'lowercase letters, digits and "-", 1–32 characters, not starting with "-"')

/** Event ids are chosen by the device and must be unique per device, so a resend is recognisable. */
export const EVENT_ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/
export const eventIdSchema = z.string().regex(EVENT_ID_PATTERN, '8–64 characters of A–Z, a–z, 0–9, "_" or "-"')

/** Queue-ticket numbers as printed by hall queue systems (e.g. "A123", "2-045"). */
export const ticketSchema = z.string().regex(/^[A-Za-z0-9-]{1,16}$/, '1–16 characters of letters, digits or "-"')
