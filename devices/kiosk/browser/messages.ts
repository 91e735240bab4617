/**
 * Payloads the kiosk publishes, built as plain objects. Types come from
 * protocol/messages.ts (type-only imports keep zod out of the browser bundle);
 * tests/devices/kiosk checks every builder against the zod schemas.
 */
import type { ComplaintMessage, HeartbeatMessage, OfficerMessage, RatingMessage, StatusMessage } from '../../../protocol/messages.js'
import type { ScaleSize } from '../../../protocol/scales.js'

/**
 * 16 random bytes as base64url (22 characters). crypto.randomUUID() only
 * exists in secure contexts and the kiosk is usually served over plain http
 * on the site LAN; getRandomValues works everywhere.
 */
export function newEventId(fill: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b)): string {
  const bytes = fill(new Uint8Array(16))
  let bin = ''
  for (const b of bytes) bin += String.fromCharCode(b)
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

export interface RatingInput {
  scale: ScaleSize
  level: number
  reasons?: readonly string[]
  ticket?: string | null
}

export function ratingPayload(id: string, ts: number, input: RatingInput): RatingMessage {
  const msg: RatingMessage = { v: 1, id, ts, scale: input.scale, level: input.level }
  if (input.reasons && input.reasons.length > 0) msg.reasons = [...input.reasons]
  if (input.ticket) msg.ticket = input.ticket
  return msg
}

export interface ComplaintInput {
  rating: string
  level: number
  comment: string
  phone: string
  lang: 'vi' | 'en'
}

/** Only for a form complaintProblems() found nothing wrong with: consent was given. */
export function complaintPayload(id: string, ts: number, input: ComplaintInput): ComplaintMessage {
  return { v: 1, id, ts, rating: input.rating, level: input.level, comment: input.comment.trim(), phone: input.phone.trim(), consent: true, lang: input.lang }
}

export function signInPayload(id: string, ts: number, officer: string, pin: string): OfficerMessage {
  return { v: 1, id, ts, action: 'sign-in', officer, pin }
}

export function signOutPayload(id: string, ts: number, pin: string): OfficerMessage {
  return { v: 1, id, ts, action: 'sign-out', pin }
}

export function statusPayload(online: boolean, fw: string): StatusMessage {
  return { v: 1, online, kind: 'kiosk', fw: fw.slice(0, 32) }
}

export function heartbeatPayload(ts: number, uptimeS: number): HeartbeatMessage {
  return { v: 1, ts, uptime: Math.max(0, Math.floor(uptimeS)) }
}
