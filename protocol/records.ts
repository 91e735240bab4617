/**
 * Edge → hub records: what the edge stores in its outbox and posts to the
 * hub in batches. The hub maps each record to exactly one InfluxDB point
 * (hub/influx/points.ts), with time `t` ms plus `seq % 1e6` ns so that a
 * replayed record lands on the same point and overwrites it (idempotent).
 */
import { z } from 'zod'
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

export const edgeRecord = z.discriminatedUnion('kind', [
  ratingRecord,
  ticketRecord,
  deviceStatusRecord,
  heartbeatRecord,
  edgeHealthRecord,
  cameraStatusRecord,
  cameraEventRecord,
  auditRecord,
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
