/**
 * The InfluxDB schema: one measurement per record kind, named after it.
 * docs/influx-schema.md describes the same tables and a test keeps the two in
 * step. Tags hold only bounded, low-cardinality values (ids from the site's
 * config, small enums); anything per event is a field.
 */
import type { RecordKind } from '../../protocol/records.js'
import type { FieldType } from './lineProtocol.js'

export interface MeasurementSchema {
  readonly tags: readonly string[]
  readonly fields: Readonly<Record<string, FieldType>>
}

/** Fields every measurement carries: how `t` was obtained and the edge's sequence number. */
const common = { clock: 'string', seq: 'integer' } as const

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
  /** Console audit (hub/audit): who watched which camera and for how long, and every export. */
  audit: {
    tags: ['action', 'user', 'role', 'site', 'camera'],
    fields: { viewing: 'string', duration_s: 'float', detail: 'string', client: 'string' },
  },
} as const satisfies Record<string, MeasurementSchema>

/** Officer tag when no officer was signed in at the counter. */
export const NO_OFFICER = 'none'
