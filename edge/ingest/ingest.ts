/**
 * Device message → record to store, or a rejection to send back. Pure and
 * allocation-light: it runs for every MQTT message (tens of thousands per
 * second on a PC, a few per second on a busy Pi).
 */
import { isUtf8 } from 'node:buffer'
import type { z } from 'zod'
import { formatIssues } from '../../common/config.js'
import type { ErrorCode } from '../../common/errors.js'
import { EVENT_ID_PATTERN } from '../../protocol/ids.js'
import {
  complaintMessage, heartbeatMessage, MAX_DEVICE_PAYLOAD_BYTES, officerMessage, ratingMessage, statusMessage, ticketMessage, type OfficerMessage,
} from '../../protocol/messages.js'
import { normalizeVnPhone } from '../../protocol/complaint.js'
import { isDissatisfied, normalisedScore } from '../../protocol/scales.js'
import { parseTopic, type ParsedTopic } from '../../protocol/topics.js'
import type { NewRecord } from '../outbox/types.js'
import { checkPublish } from './acl.js'
import type { DeviceEntry, SiteIndex } from './site.js'

export interface Rejection {
  code: ErrorCode
  message: string
  /** The event id, when the payload was readable enough to carry one. */
  eventId?: string
}

/** A kiosk's officer sign-in or sign-out: it changes who is on duty, which the roster journals as `duty` records (edge/ingest/duty.ts). */
export interface OfficerCommand {
  counter: string
  device: string
  message: OfficerMessage
}

export type IngestResult =
  | { outcome: 'record'; record: NewRecord; /** `${device}:${eventId}` for ratings and tickets. */ dedupKey: string | null }
  | { outcome: 'officer'; command: OfficerCommand }
  | { outcome: 'rejected'; rejection: Rejection }

export interface IngestInput {
  topic: string
  payload: Buffer
  /** The authenticated device; null for an anonymous client. */
  device: DeviceEntry | null
  /** Edge wall clock at receipt, ms. */
  edgeTs: number
}

export interface DutyLookup {
  officerAt(counter: string): string | null
}

const MAX_ISSUES_REPORTED = 3

const reject = (code: ErrorCode, message: string, eventId?: string): IngestResult => ({
  outcome: 'rejected',
  rejection: eventId === undefined ? { code, message } : { code, message, eventId },
})

export function ingest(input: IngestInput, site: SiteIndex, duty: DutyLookup): IngestResult {
  const { payload, device } = input
  if (payload.length > MAX_DEVICE_PAYLOAD_BYTES)
    return reject('EDGE_PAYLOAD_TOO_LARGE', `${payload.length} bytes, limit ${MAX_DEVICE_PAYLOAD_BYTES}`)

  const parsed = parseTopic(input.topic)
  if (!parsed) return reject('EDGE_TOPIC_UNKNOWN', `"${input.topic}" is not a motcua/v1 topic`, peekEventId(payload))
  const refusal = checkPublish(parsed, device, site)
  if (refusal || !device) return reject('EDGE_TOPIC_FORBIDDEN', refusal?.message ?? 'anonymous', peekEventId(payload))

  const json = parseJson(payload)
  if (json === undefined) return reject('EDGE_PAYLOAD_NOT_JSON', 'payload must be one UTF-8 JSON object')
  const eventId = readEventId(json)

  switch (parsed.kind) {
    case 'rating':
      return rating(json, eventId, parsed.counter, device, input.edgeTs, site, duty)
    case 'ticket':
      return ticket(json, eventId, parsed.counter, device, input.edgeTs, site)
    case 'complaint':
      return complaint(json, eventId, parsed.counter, device, input.edgeTs, site, duty)
    case 'status':
      return status(json, parsed.counter, device)
    case 'heartbeat':
      return heartbeat(json, parsed.counter, device)
    case 'officer': {
      const r = officerMessage.safeParse(json)
      return r.success ? { outcome: 'officer', command: { counter: parsed.counter, device: device.id, message: r.data } } : invalid(r.error, eventId)
    }
    default:
      return reject('EDGE_TOPIC_FORBIDDEN', `"${(parsed as ParsedTopic).kind}" topics are not published by devices`, eventId)
  }
}

function rating(json: unknown, eventId: string | undefined, counter: string, device: DeviceEntry, edgeTs: number, site: SiteIndex, duty: DutyLookup): IngestResult {
  const r = ratingMessage.safeParse(json)
  if (!r.success) return invalid(r.error, eventId)
  const m = r.data
  if (m.scale !== site.config.scale)
    return reject('EDGE_SCALE_MISMATCH', `scale: expected ${site.config.scale}, got ${m.scale}`, m.id)
  const reasons = m.reasons ?? []
  for (const reason of reasons) {
    if (!site.reasons.has(reason))
      return reject('EDGE_REASON_UNKNOWN', `reasons: expected one of ${[...site.reasons].join(', ')}, got "${reason}"`, m.id)
  }
  return {
    outcome: 'record',
    dedupKey: `${device.id}:${m.id}`,
    record: {
      kind: 'rating',
      department: departmentOf(site, counter),
      counter,
      device: device.id,
      officer: duty.officerAt(counter),
      eventId: m.id,
      scale: m.scale,
      level: m.level,
      score: normalisedScore(m.scale, m.level),
      dissatisfied: isDissatisfied(m.scale, m.level),
      reasons,
      ticket: m.ticket ?? null,
      deviceTs: m.ts,
      edgeTs,
      misuse: null,
    },
  }
}

function ticket(json: unknown, eventId: string | undefined, counter: string, device: DeviceEntry, edgeTs: number, site: SiteIndex): IngestResult {
  const r = ticketMessage.safeParse(json)
  if (!r.success) return invalid(r.error, eventId)
  const m = r.data
  return {
    outcome: 'record',
    dedupKey: `${device.id}:${m.id}`,
    record: {
      kind: 'ticket',
      department: departmentOf(site, counter),
      counter,
      device: device.id,
      eventId: m.id,
      ticket: m.ticket,
      event: m.event,
      deviceTs: m.ts,
      edgeTs,
    },
  }
}

/**
 * A citizen's complaint after a dissatisfied rating (issue 16). The officer is
 * the one on duty now, as for the rating it follows seconds before. Errors
 * name the field, never its value: the payload is personal data.
 */
function complaint(json: unknown, eventId: string | undefined, counter: string, device: DeviceEntry, edgeTs: number, site: SiteIndex, duty: DutyLookup): IngestResult {
  const r = complaintMessage.safeParse(json)
  if (!r.success) return invalid(r.error, eventId)
  const m = r.data
  if (!isDissatisfied(site.config.scale, m.level) || m.level > site.config.scale)
    return reject('EDGE_PAYLOAD_INVALID', `level: a complaint follows a dissatisfied rating on the site's ${site.config.scale}-level scale`, m.id)
  return {
    outcome: 'record',
    dedupKey: `${device.id}:${m.id}`,
    record: {
      kind: 'complaint',
      department: departmentOf(site, counter),
      counter,
      device: device.id,
      officer: duty.officerAt(counter),
      eventId: m.id,
      rating: m.rating,
      level: m.level,
      comment: m.comment.trim(),
      phone: m.phone.trim() === '' ? null : normalizeVnPhone(m.phone),
      lang: m.lang,
      deviceTs: m.ts,
      edgeTs,
    },
  }
}

function status(json: unknown, counter: string, device: DeviceEntry): IngestResult {
  const r = statusMessage.safeParse(json)
  if (!r.success) return invalid(r.error, undefined)
  if (r.data.kind !== undefined && r.data.kind !== device.kind)
    return reject('EDGE_PAYLOAD_INVALID', `kind: expected "${device.kind}" as configured for this device, got "${r.data.kind}"`)
  return {
    outcome: 'record',
    dedupKey: null,
    record: { kind: 'device_status', counter, device: device.id, deviceKind: device.kind, online: r.data.online },
  }
}

function heartbeat(json: unknown, counter: string, device: DeviceEntry): IngestResult {
  const r = heartbeatMessage.safeParse(json)
  if (!r.success) return invalid(r.error, undefined)
  const m = r.data
  return {
    outcome: 'record',
    dedupKey: null,
    record: { kind: 'heartbeat', counter, device: device.id, uptimeS: m.uptime ?? null, rssi: m.rssi ?? null, battery: m.battery ?? null },
  }
}

/** The schema guarantees the counter exists (acl checked it), so the department does too. */
function departmentOf(site: SiteIndex, counter: string): string {
  return (site.counters.get(counter) as { department: string }).department
}

function invalid(error: z.ZodError, eventId: string | undefined): IngestResult {
  const problems = formatIssues(error.issues)
  const more = problems.length > MAX_ISSUES_REPORTED ? ` (and ${problems.length - MAX_ISSUES_REPORTED} more)` : ''
  return reject('EDGE_PAYLOAD_INVALID', problems.slice(0, MAX_ISSUES_REPORTED).join('; ') + more, eventId)
}

function parseJson(payload: Buffer): unknown {
  if (!isUtf8(payload)) return undefined
  try {
    return JSON.parse(payload.toString('utf8')) as unknown
  } catch {
    return undefined
  }
}

function readEventId(json: unknown): string | undefined {
  if (typeof json !== 'object' || json === null) return undefined
  const id = (json as { id?: unknown }).id
  return typeof id === 'string' && EVENT_ID_PATTERN.test(id) ? id : undefined
}

/** For refusals decided before parsing: still echo the event id so the device can match the reply. */
export function peekEventId(payload: Buffer): string | undefined {
  return readEventId(parseJson(payload))
}
