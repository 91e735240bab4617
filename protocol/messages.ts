/**
 * Payloads between devices and the edge (MQTT, JSON, UTF-8). One zod schema
 * per message gives the TypeScript type and the runtime check; unknown keys
 * are rejected so a typo on a device is reported instead of ignored.
 */
import { z } from 'zod'
import { eventIdSchema, idSchema, ticketSchema } from './ids.js'
import { MAX_COMPLAINT_COMMENT, normalizeVnPhone } from './complaint.js'
import { PIN_PATTERN } from './patterns.js'
import { SCALE_SIZES, type ScaleSize } from './scales.js'

/** Device payloads are small; anything larger is rejected before parsing. */
export const MAX_DEVICE_PAYLOAD_BYTES = 2048
/** Device clocks before 2020 are certainly unset (ESP32 boots at 1970). */
const MIN_PLAUSIBLE_MS = Date.UTC(2020, 0, 1)

const deviceTime = z.number().int().min(0).max(8.64e15)
/** One literal of several values: a wrong scale is told as "expected one of 3|4|5", and it parses without a union's attempts. */
export const scaleSchema = z.literal(SCALE_SIZES)

export const ratingMessage = z
  .strictObject({
    v: z.literal(1),
    id: eventIdSchema,
    /** Device clock, ms since epoch; kept for audit, never trusted for ordering. */
    ts: deviceTime,
    scale: scaleSchema,
    level: z.number().int().min(1).max(5),
    reasons: z.array(idSchema).max(8).optional(),
    ticket: ticketSchema.optional(),
  })
  .refine((m) => m.level <= m.scale, { message: 'level must be between 1 and scale', path: ['level'] })
export type RatingMessage = z.infer<typeof ratingMessage>

export const DEVICE_KINDS = ['kiosk', 'button', 'queue'] as const
export type DeviceKind = (typeof DEVICE_KINDS)[number]

export const statusMessage = z.strictObject({
  v: z.literal(1),
  online: z.boolean(),
  kind: z.enum(DEVICE_KINDS).optional(),
  fw: z.string().max(32).optional(),
})
export type StatusMessage = z.infer<typeof statusMessage>

export const heartbeatMessage = z.strictObject({
  v: z.literal(1),
  ts: deviceTime,
  uptime: z.number().int().min(0).optional(),
  rssi: z.number().int().min(-120).max(0).optional(),
  battery: z.number().min(0).max(100).optional(),
})
export type HeartbeatMessage = z.infer<typeof heartbeatMessage>

export const TICKET_EVENTS = ['issued', 'called', 'finished'] as const
export const ticketMessage = z.strictObject({
  v: z.literal(1),
  id: eventIdSchema,
  ts: deviceTime,
  ticket: ticketSchema,
  event: z.enum(TICKET_EVENTS),
})
export type TicketMessage = z.infer<typeof ticketMessage>

/** Kiosk → edge: an officer signs in at the counter (staff gesture + PIN) or signs out (the PIN of the officer on duty). */
export const officerMessage = z.discriminatedUnion('action', [
  z.strictObject({
    v: z.literal(1),
    id: eventIdSchema,
    ts: deviceTime,
    action: z.literal('sign-in'),
    officer: idSchema,
    pin: z.string().regex(PIN_PATTERN, '4–8 digits'),
  }),
  z.strictObject({ v: z.literal(1), id: eventIdSchema, ts: deviceTime, action: z.literal('sign-out'), pin: z.string().regex(PIN_PATTERN, '4–8 digits') }),
])
export type OfficerMessage = z.infer<typeof officerMessage>

/**
 * Kiosk → edge: after a dissatisfied rating, the citizen's comment and/or
 * phone number for a call back (issue 16), given with consent. Sent only
 * while the kiosk is connected and never stored on the tablet (personal data
 * on a shared device); `rating` is the event id of the rating it follows.
 */
export const complaintMessage = z
  .strictObject({
    v: z.literal(1),
    id: eventIdSchema,
    ts: deviceTime,
    rating: eventIdSchema,
    level: z.number().int().min(1).max(5),
    comment: z.string().max(MAX_COMPLAINT_COMMENT, `at most ${MAX_COMPLAINT_COMMENT} characters`),
    phone: z.string().max(32).refine((p) => p === '' || normalizeVnPhone(p) !== null, 'a Vietnamese phone number (10 digits for a mobile, 11 for a landline) or empty'),
    consent: z.literal(true, 'the citizen must consent to being contacted'),
    lang: z.enum(['vi', 'en']),
  })
  .refine((m) => m.comment.trim() !== '' || m.phone.trim() !== '', { message: 'a comment or a phone number', path: ['comment'] })
export type ComplaintMessage = z.infer<typeof complaintMessage>

/** Edge → kiosk: a ticket was called to this counter; the kiosk invites the citizen to rate it. */
export interface PromptMessage {
  v: 1
  ticket: string
  ts: number
}

/** Edge → supervisors, retained on `alert/{device}`: a device needs a look (a stuck button keeps pressing one level). */
export interface DeviceAlertMessage {
  v: 1
  alert: 'stuck'
  /** false once the device behaves again; the retained message then says so. */
  active: boolean
  level: number
  repeats: number
  ts: number
}

/** Edge → device, retained: what the device needs to draw its screen or light its buttons. */
export interface DeviceConfigMessage {
  v: 1
  site: { id: string; name: string }
  counter: { id: string; name: string }
  department: { id: string; name: string }
  scale: ScaleSize
  labels: { vi: string; en: string }[]
  reasons: { id: string; vi: string; en: string }[]
  /** `photo`: a URL the kiosk can load (same origin as the kiosk page, or a data: URL). */
  officer: { id: string; name: string; photo?: string } | null
  /** Officers who may sign in at this counter (kiosk PIN pad); absent = the kiosk asks for an officer id. */
  officers?: { id: string; name: string }[]
}

/** Edge → device: why a message was refused. `id` echoes the event id when one could be read. */
export interface ErrorReplyMessage {
  v: 1
  code: string
  message: string
  topic: string
  id?: string
}

export function isPlausibleDeviceTime(ts: number): boolean {
  return ts >= MIN_PLAUSIBLE_MS
}

/**
 * A camera's health as the edge sees it. `auth_failed` and `clock_skew` are
 * told apart from `offline`: they need a different fix on site.
 */
export const CAMERA_STATES = ['online', 'offline', 'no_stream', 'auth_failed', 'clock_skew'] as const
export type CameraState = (typeof CAMERA_STATES)[number]

/** Edge → anyone on the site broker, retained: one camera's health as the edge last saw it. */
export interface CameraStateMessage {
  v: 1
  state: CameraState
  onvif: boolean
  stream: boolean
  tamper: boolean
  /** Edge time of the change, ms since epoch. */
  ts: number
}
