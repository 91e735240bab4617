/**
 * Edge → hub records: what the edge stores in its outbox and posts to the
 * hub in batches. The hub maps each record to exactly one InfluxDB point
 * (hub/influx/points.ts), with time `t` ms plus `seq % 1e6` ns so that a
 * replayed record lands on the same point and overwrites it (idempotent).
 */
import { z } from 'zod'
import { MAX_COMPLAINT_COMMENT, VN_PHONE_PATTERN } from './complaint.js'
import { eventIdSchema, idSchema, ticketSchema } from './ids.js'
import { CAMERA_STATES, DEVICE_KINDS, TICKET_EVENTS } from './messages.js'

/** How the record's time `t` was obtained; see README "Clocks". */
export const CLOCK_STATES = ['synced', 'corrected', 'unsynced'] as const
export type ClockState = (typeof CLOCK_STATES)[number]

export const MISUSE_KINDS = ['rapid', 'stuck', 'excess'] as const
export type MisuseKind = (typeof MISUSE_KINDS)[number]

const base = {
  /** Edge-assigned, strictly increasing per edge outbox. */
  seq: z.number().int().min(0),
  /** Point time, ms since epoch, fixed before the record is first sent. */
  t: z.number().int().min(0).max(8.64e15),
  clock: z.enum(CLOCK_STATES),
}

export const ratingRecord = z.strictObject({
  kind: z.literal('rating'),
  ...base,
  department: idSchema,
  counter: idSchema,
  device: idSchema,
  officer: idSchema.nullable(),
  eventId: eventIdSchema,
  scale: z.union([z.literal(3), z.literal(4), z.literal(5)]),
  level: z.number().int().min(1).max(5),
  score: z.number().min(0).max(100),
  dissatisfied: z.boolean(),
  reasons: z.array(idSchema).max(8),
  ticket: ticketSchema.nullable(),
  deviceTs: z.number().int().min(0),
  edgeTs: z.number().int().min(0),
  misuse: z.enum(MISUSE_KINDS).nullable(),
})

export const ticketRecord = z.strictObject({
  kind: z.literal('ticket'),
  ...base,
  department: idSchema,
  counter: idSchema,
  device: idSchema,
  eventId: eventIdSchema,
  ticket: ticketSchema,
  event: z.enum(TICKET_EVENTS),
  deviceTs: z.number().int().min(0),
  edgeTs: z.number().int().min(0),
})

export const deviceStatusRecord = z.strictObject({
  kind: z.literal('device_status'),
  ...base,
  counter: idSchema,
  device: idSchema,
  deviceKind: z.enum(DEVICE_KINDS),
  online: z.boolean(),
})

export const heartbeatRecord = z.strictObject({
  kind: z.literal('heartbeat'),
  ...base,
  counter: idSchema,
  device: idSchema,
  uptimeS: z.number().int().min(0).nullable(),
  rssi: z.number().int().nullable(),
  battery: z.number().nullable(),
})

export const edgeHealthRecord = z.strictObject({
  kind: z.literal('edge_health'),
  ...base,
  uptimeS: z.number().int().min(0),
  outboxDepth: z.number().int().min(0),
  outboxOldestAgeS: z.number().min(0),
  outboxBytes: z.number().int().min(0),
  diskFreeBytes: z.number().int().min(0),
  connectedDevices: z.number().int().min(0),
  cpuTempC: z.number().nullable(),
  rssBytes: z.number().int().min(0),
  shed: z.number().int().min(0),
  rejected: z.number().int().min(0),
  deadLetters: z.number().int().min(0),
  clockOffsetMs: z.number().nullable(),
})

export const cameraStatusRecord = z.strictObject({
  kind: z.literal('camera_status'),
  ...base,
  camera: idSchema,
  state: z.enum(CAMERA_STATES),
  /** ONVIF answered / RTSP delivered frames at the last check. */
  onvif: z.boolean(),
  stream: z.boolean(),
  /** Camera clock − edge clock, from GetSystemDateAndTime. */
  cameraOffsetMs: z.number().nullable(),
  /** Short reason for the state, without credentials. */
  detail: z.string().max(200),
})

export const CAMERA_EVENTS = ['motion', 'tamper'] as const
export const cameraEventRecord = z.strictObject({
  kind: z.literal('camera_event'),
  ...base,
  camera: idSchema,
  event: z.enum(CAMERA_EVENTS),
  state: z.boolean(),
  /** Snapshot file name on the edge, if one was taken for this event. */
  snapshot: z.string().max(120).nullable(),
})

/** What a supervisor did on the edge's own page; the hub writes it to its audit log (docs/console.md). */
export const EDGE_AUDIT_ACTIONS = ['view_start', 'view_end', 'snapshot_view', 'snapshot_take'] as const
export const auditRecord = z.strictObject({
  kind: z.literal('audit'),
  ...base,
  action: z.enum(EDGE_AUDIT_ACTIONS),
  user: idSchema,
  camera: idSchema,
  /** Pairs a viewing's start and end. */
  viewing: z.string().max(24),
  detail: z.string().max(200),
  client: z.string().max(64),
  durationS: z.number().min(0).nullable(),
  /** Edge wall clock when it happened: `t` may still be corrected, the hash may not change. */
  at: z.number().int().min(0),
  /** The edge run's hash chain (common/audit-chain.ts). */
  chain: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/),
  link: z.number().int().min(0),
  prev: z.string().regex(/^([0-9a-f]{64})?$/),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
})

/** Names are what people read on every screen; the config allows 120 characters. */
const displayName = z.string().min(1).max(120)
/**
 * InfluxDB 1.x keeps a string field up to 64 KiB: the directory's JSON, stored
 * as one field (hub/influx/points.ts), must fit with room to spare.
 */
export const MAX_DIRECTORY_BYTES = 60_000
const utf8Bytes = (s: string) => new TextEncoder().encode(s).length

/**
 * The site's departments, counters and officers with their names, as the
 * edge config lists them (issue 15). The edge sends it at start when its
 * content changed (`hash`), so the hub shows names while ids stay the keys:
 * a renamed counter keeps its history. `officer` of a counter is the officer
 * the config posts there, the schedule duty is checked against; `kiosk` and
 * `signIn` say whether sign-in can happen at all (no kiosk at the counter,
 * no PIN for the officer: no duty records can be expected).
 */
const directoryEntries = {
  siteName: displayName,
  departments: z.array(z.strictObject({ id: idSchema, name: displayName })).max(200),
  counters: z
    .array(z.strictObject({ id: idSchema, name: displayName, department: idSchema, officer: idSchema.nullable(), kiosk: z.boolean() }))
    .max(200),
  officers: z.array(z.strictObject({ id: idSchema, name: displayName, department: idSchema.nullable(), signIn: z.boolean() })).max(500),
}
/** The part of a directory record that is hashed and stored: everything but the record's envelope and hash. */
export const directoryContent = z.strictObject(directoryEntries)
export type DirectoryContent = z.infer<typeof directoryContent>

/** The content alone, in the order it is hashed and stored. */
export function contentOf(r: DirectoryContent): DirectoryContent {
  return { siteName: r.siteName, departments: r.departments, counters: r.counters, officers: r.officers }
}

export const directoryRecord = z
  .strictObject({
    kind: z.literal('directory'),
    ...base,
    /** SHA-256 (hex) of the content's JSON (contentOf) as the edge serialised it: the edge sends a directory once per content. */
    hash: z.string().regex(/^[0-9a-f]{64}$/),
    ...directoryEntries,
  })
  .refine((r) => utf8Bytes(JSON.stringify(contentOf(r))) <= MAX_DIRECTORY_BYTES, {
    message: `the directory is larger than ${MAX_DIRECTORY_BYTES} bytes of JSON`,
    path: ['officers'],
  })
export type DirectoryRecord = z.infer<typeof directoryRecord>

/**
 * Officer duty at a counter (issue 15): `in` when an officer signs in at a
 * kiosk, `out` when the interval ends, with why. `replaced`: another officer
 * signed in at the counter; `end-of-day`: the edge's midnight reset;
 * `restart`: the edge started, so whoever was on duty before is no longer
 * known to be; a `restart` names no counter and no officer and closes every
 * interval of the site.
 */
export const DUTY_EVENTS = ['in', 'out'] as const
export const DUTY_REASONS = ['sign-in', 'sign-out', 'replaced', 'end-of-day', 'restart'] as const
export type DutyEventKind = (typeof DUTY_EVENTS)[number]
export type DutyReason = (typeof DUTY_REASONS)[number]
export const dutyRecord = z
  .strictObject({
    kind: z.literal('duty'),
    ...base,
    event: z.enum(DUTY_EVENTS),
    reason: z.enum(DUTY_REASONS),
    counter: idSchema.nullable(),
    officer: idSchema.nullable(),
    /** The kiosk and its officer message's event id, for a sign-in or sign-out; null otherwise. */
    device: idSchema.nullable(),
    eventId: eventIdSchema.nullable(),
  })
  .refine((r) => (r.reason === 'restart') === (r.counter === null && r.officer === null), {
    message: 'a restart names no counter and no officer; every other duty record names both',
    path: ['reason'],
  })
  .refine((r) => r.event === 'in' ? r.reason === 'sign-in' : r.reason !== 'sign-in', {
    message: 'an "in" is a sign-in; an "out" is a sign-out, replaced, end-of-day or restart',
    path: ['reason'],
  })
export type DutyRecord = z.infer<typeof dutyRecord>

/**
 * A citizen's complaint after a dissatisfied rating (issue 16), from the
 * kiosk's complaint message: it opens a case on the hub (hub/cases). Linked
 * to its rating by `rating` (the rating's event id from the same device) and
 * carries the counter, department and officer on duty as the rating does.
 * `comment` and `phone` are personal data: never logged, shown only to the
 * roles that handle cases, deleted with the case (docs/complaints.md).
 */
export const complaintRecord = z
  .strictObject({
    kind: z.literal('complaint'),
    ...base,
    department: idSchema,
    counter: idSchema,
    device: idSchema,
    officer: idSchema.nullable(),
    eventId: eventIdSchema,
    rating: eventIdSchema,
    level: z.number().int().min(1).max(5),
    comment: z.string().max(MAX_COMPLAINT_COMMENT),
    /** National form (protocol/complaint.ts normalizeVnPhone), or null when the citizen left none. */
    phone: z.string().regex(VN_PHONE_PATTERN).nullable(),
    lang: z.enum(['vi', 'en']),
    deviceTs: z.number().int().min(0),
    edgeTs: z.number().int().min(0),
  })
  .refine((r) => r.comment.trim() !== '' || r.phone !== null, { message: 'a comment or a phone number', path: ['comment'] })
export type ComplaintRecord = z.infer<typeof complaintRecord>

export const edgeRecord = z.discriminatedUnion('kind', [
  ratingRecord,
  ticketRecord,
  deviceStatusRecord,
  heartbeatRecord,
  edgeHealthRecord,
  cameraStatusRecord,
  cameraEventRecord,
  auditRecord,
  directoryRecord,
  dutyRecord,
  complaintRecord,
])
export type EdgeRecord = z.infer<typeof edgeRecord>
export type RatingRecord = z.infer<typeof ratingRecord>
export type RecordKind = EdgeRecord['kind']

/**
 * Shedding priority when the outbox is over its disk budget: `critical`
 * records (ratings, tickets) are never dropped; `low` ones go first.
 */
export const RECORD_PRIORITY: Readonly<Record<RecordKind, 'critical' | 'normal' | 'low'>> = {
  rating: 'critical',
  ticket: 'critical',
  device_status: 'normal',
  heartbeat: 'low',
  edge_health: 'low',
  camera_status: 'normal',
  camera_event: 'normal',
  // Who watched what is evidence, kept like a rating.
  audit: 'critical',
  // A few a day and never resent: a lost one would leave ids on screens, or an officer's hours wrong.
  directory: 'critical',
  duty: 'critical',
  // A citizen's words, given once: the kiosk does not keep them to send again.
  complaint: 'critical',
}

export const MAX_BATCH_RECORDS = 5000

/** POST /v1/batches body. The site must be the one the edge's token belongs to. */
export const batchSchema = z.strictObject({
  v: z.literal(1),
  site: idSchema,
  records: z.array(z.unknown()).min(1).max(MAX_BATCH_RECORDS),
})
export type Batch = { v: 1; site: string; records: EdgeRecord[] }

/** Hub's answer to an accepted batch; `serverTime` lets the edge correct its clock. */
export interface BatchAck {
  accepted: number
  /** Indexes of records the hub refused; the edge keeps them as dead letters. */
  rejected: { index: number; code: string; message: string }[]
  serverTime: number
}
