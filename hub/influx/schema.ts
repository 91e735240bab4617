/**
 * The InfluxDB schema: one measurement per record kind, named after it.
 * docs/influx-schema.md describes the same tables and a test keeps the two in
 * step. Tags hold only bounded, low-cardinality values (ids from the site's
 * config, small enums); anything per event is a field.
 */
import { MISUSE_KINDS, type MisuseKind, type RecordKind } from '../../protocol/records.js'
import { SCALE_SIZES } from '../../protocol/scales.js'
import type { FieldType } from './line-protocol.js'

export interface MeasurementSchema {
  readonly tags: readonly string[]
  readonly fields: Readonly<Record<string, FieldType>>
}

/** Fields every measurement carries: how `t` was obtained and the edge's sequence number. */
const common = { clock: 'string', seq: 'integer' } as const

/**
 * Audit log (hub/audit, common/audit-chain.ts): the hub's console entries and
 * the edges' supervisor-page entries alike. `seq`, `prev`, `hash` link each
 * entry into its writer's chain; `at_ms` is when an edge entry happened (its
 * point time may be corrected later), `clock` how an edge entry was timed.
 */
const AUDIT = {
  tags: ['action', 'user', 'role', 'site', 'camera', 'chain'],
  fields: { viewing: 'string', duration_s: 'float', detail: 'string', client: 'string', seq: 'integer', prev: 'string', hash: 'string', at_ms: 'integer', clock: 'string' },
} as const satisfies MeasurementSchema

export const MEASUREMENTS = {
  rating: {
    tags: ['site', 'department', 'counter', 'device', 'officer', 'scale', 'level'],
    fields: {
      score: 'float',
      dissatisfied: 'boolean',
      misuse: 'string',
      event_id: 'string',
      ticket: 'string',
      reasons: 'string',
      device_ts: 'integer',
      edge_ts: 'integer',
      ...common,
    },
  },
  ticket: {
    tags: ['site', 'department', 'counter', 'device', 'event'],
    fields: { event_id: 'string', ticket: 'string', device_ts: 'integer', edge_ts: 'integer', ...common },
  },
  device_status: {
    tags: ['site', 'counter', 'device', 'kind'],
    fields: { online: 'boolean', ...common },
  },
  heartbeat: {
    tags: ['site', 'counter', 'device'],
    fields: { uptime_s: 'integer', rssi: 'integer', battery: 'float', ...common },
  },
  edge_health: {
    tags: ['site'],
    fields: {
      uptime_s: 'integer',
      outbox_depth: 'integer',
      outbox_oldest_age_s: 'float',
      outbox_bytes: 'integer',
      disk_free_bytes: 'integer',
      connected_devices: 'integer',
      cpu_temp_c: 'float',
      rss_bytes: 'integer',
      shed: 'integer',
      rejected: 'integer',
      dead_letters: 'integer',
      clock_offset_ms: 'float',
      ...common,
    },
  },
  camera_status: {
    tags: ['site', 'camera', 'state'],
    fields: { online: 'boolean', onvif: 'boolean', stream: 'boolean', camera_offset_ms: 'float', detail: 'string', ...common },
  },
  camera_event: {
    tags: ['site', 'camera', 'event'],
    fields: { state: 'boolean', snapshot: 'string', ...common },
  },
  /** The edge's supervisor-page entries, in the hub's audit measurement (below). */
  audit: AUDIT,
  /** A site's departments, counters and officers with names (issue 15): `body` is the record's content as JSON (protocol contentOf). */
  directory: {
    tags: ['site'],
    fields: { hash: 'string', body: 'string', ...common },
  },
  /** Officer sign-in and sign-out at a counter; a `restart` has no counter and no officer tag (hub/kpi/duty.ts). */
  duty: {
    tags: ['site', 'counter', 'officer', 'event'],
    fields: { reason: 'string', device: 'string', event_id: 'string', ...common },
  },
  /**
   * A citizen's complaint, which opens a case (hub/cases, docs/complaints.md); the case is the site and `event_id`.
   * `comment` and `phone` are personal data, deleted with the case (hub/cases/retention.ts).
   */
  complaint: {
    tags: ['site', 'department', 'counter', 'officer'],
    fields: {
      event_id: 'string', device: 'string', rating: 'string', level: 'integer', comment: 'string', phone: 'string', lang: 'string',
      device_ts: 'integer', edge_ts: 'integer', ...common,
    },
  },
} as const satisfies Record<RecordKind, MeasurementSchema>

export type Measurement = keyof typeof MEASUREMENTS

/**
 * Points the hub writes itself, not records from an edge: alert
 * acknowledgements live in InfluxDB so every hub instance sees them.
 */
export const HUB_MEASUREMENTS = {
  alert_ack: {
    tags: ['site', 'kind'],
    fields: { alert_id: 'string', by: 'string', comment: 'string' },
  },
  /** Raised alerts (hub/alerts-store): one point per alert, at its `since`; evaluations update seen/cleared, an acknowledgement sets acked_at. */
  alert: {
    tags: ['kind', 'site', 'subject'],
    fields: { alert_id: 'string', raised_at: 'integer', seen_at: 'integer', cleared_at: 'integer', acked_at: 'integer', details: 'string' },
  },
  /** Console audit (hub/audit): who watched which camera and for how long, and every export. */
  audit: AUDIT,
  /** Console sign-outs (hub/users/sign-outs.ts): every instance refuses the user's sessions issued before. */
  console_signout: {
    tags: [],
    fields: { username: 'string' },
  },
  /**
   * What the console did with a complaint's case (hub/cases/store.ts): assigned, progress, resolved, result, closed;
   * the case's state is the fold of its complaint and these. `note` may be personal data, like the complaint's comment.
   */
  case_event: {
    tags: ['site', 'event'],
    fields: { case: 'string', by: 'string', department: 'string', handler: 'string', note: 'string' },
  },
  /** Scheduled report emails (hub/delivery/log.ts): one point per attempt, read back after a restart so nothing is sent twice. */
  report_delivery: {
    tags: ['period', 'schedule', 'status'],
    fields: { attempt: 'integer', recipients: 'integer', formats: 'string', error: 'string', next_at: 'integer' },
  },
  /** Alert messages (hub/alert-delivery/log.ts): one point per attempt to tell one recipient by one channel, read back so nothing is sent twice. */
  alert_delivery: {
    tags: ['channel', 'kind', 'recipient', 'site', 'status'],
    fields: { key: 'string', alert_id: 'string', subject: 'string', transition: 'string', attempt: 'integer', text: 'string', error: 'string', next_at: 'integer' },
  },
} as const satisfies Record<string, MeasurementSchema>

/** Officer tag when no officer was signed in at the counter. */
export const NO_OFFICER = 'none'

/** Rollup fields: presses at one scale and level (misuse included), those of them flagged with one misuse kind, queue visits served. */
export const pressField = (scale: number, level: number) => `n${scale}_${level}`
export const misuseField = (scale: number, level: number, kind: MisuseKind) => `m${scale}_${level}_${kind}`

const rollupFields: Record<string, 'integer'> = { served: 'integer' }
for (const scale of SCALE_SIZES) {
  for (let level = 1; level <= scale; level++) {
    rollupFields[pressField(scale, level)] = 'integer'
    for (const kind of MISUSE_KINDS) rollupFields[misuseField(scale, level, kind)] = 'integer'
  }
}

/**
 * The daily KPI rollup (hub/rollup), written by the hub into its own
 * retention policy (1.x: `motcua_rollup`, long shards) from the raw points
 * above. One point per site, local day and cell; docs/influx-schema.md.
 */
export const ROLLUP_MEASUREMENTS = {
  /** Each site's point at its own nanosecond of the day (hub/rollup/cells.ts siteOffsetNs). */
  kpi_province: { tags: ['department'], fields: rollupFields },
  kpi_site: { tags: ['site'], fields: rollupFields },
  kpi_department: { tags: ['site', 'department'], fields: rollupFields },
  kpi_counter: { tags: ['site', 'department', 'counter', 'officer'], fields: rollupFields },
  /** Per site and local day: `changed` is a fresh stamp on every write of ratings or tickets, `rolled` the stamp the rollup last covered, `cells` what it wrote then. */
  kpi_state: { tags: ['site'], fields: { changed: 'integer', rolled: 'integer', cells: 'string' } },
  /** A point per write that touched a day before today, per hub process (hub/rollup/epoch.ts): answers about past days hold until it moves. */
  kpi_epoch: { tags: ['hub'], fields: { stamp: 'integer' } },
} as const satisfies Record<string, MeasurementSchema>
