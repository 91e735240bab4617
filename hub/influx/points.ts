/**
 * Record → point mapping (pure). A point's time is `t` ms plus `seq % 1e6` ns:
 * two records of one series in the same millisecond stay apart, and a replayed
 * record lands on exactly the point it wrote before, which InfluxDB
 * overwrites instead of adding a duplicate.
 */
import { EDGE_SUPERVISOR_ROLE } from '../../common/audit-chain.js'
import { contentOf, type EdgeRecord } from '../../protocol/records.js'
import { serializePoint, type FieldValue, type Point } from './line-protocol.js'
import { HUB_MEASUREMENTS, MEASUREMENTS, NO_OFFICER, ROLLUP_MEASUREMENTS, type MeasurementSchema } from './schema.js'

/** InfluxDB stores int64 ns; the latest `t` whose point time still fits (year 2262). */
export const MAX_POINT_MS = Number((9_223_372_036_854_775_806n - 999_999n) / 1_000_000n)

export function pointTimeNs(t: number, seq: number): string {
  const sub = seq % 1_000_000
  return t === 0 ? String(sub) : `${t}${String(sub).padStart(6, '0')}`
}

/** Drops null fields: InfluxDB has no null, an absent field is how "unknown" is written. */
function present(fields: Record<string, FieldValue | null>): Record<string, FieldValue> {
  const out: Record<string, FieldValue> = {}
  for (const k in fields) {
    const v = fields[k]
    if (v !== null && v !== undefined) out[k] = v
  }
  return out
}

/** Tags are built in key order, which serializePoint relies on for InfluxDB's fast path. */
export function toPoint(site: string, r: EdgeRecord): Point {
  const timestampNs = pointTimeNs(r.t, r.seq)
  const common = { clock: r.clock, seq: r.seq }
  switch (r.kind) {
    case 'rating':
      return {
        measurement: 'rating',
        tags: {
          counter: r.counter,
          department: r.department,
          device: r.device,
          level: String(r.level),
          officer: r.officer ?? NO_OFFICER,
          scale: String(r.scale),
          site,
        },
        fields: {
          score: r.score,
          dissatisfied: r.dissatisfied,
          misuse: r.misuse ?? '',
          event_id: r.eventId,
          ticket: r.ticket ?? '',
          reasons: r.reasons.join(','),
          device_ts: r.deviceTs,
          edge_ts: r.edgeTs,
          ...common,
        },
        timestampNs,
      }
    case 'ticket':
      return {
        measurement: 'ticket',
        tags: { counter: r.counter, department: r.department, device: r.device, event: r.event, site },
        fields: { event_id: r.eventId, ticket: r.ticket, device_ts: r.deviceTs, edge_ts: r.edgeTs, ...common },
        timestampNs,
      }
    case 'device_status':
      return {
        measurement: 'device_status',
        tags: { counter: r.counter, device: r.device, kind: r.deviceKind, site },
        fields: { online: r.online, ...common },
        timestampNs,
      }
    case 'heartbeat':
      return {
        measurement: 'heartbeat',
        tags: { counter: r.counter, device: r.device, site },
        fields: present({ uptime_s: r.uptimeS, rssi: r.rssi, battery: r.battery, ...common }),
        timestampNs,
      }
    case 'edge_health':
      return {
        measurement: 'edge_health',
        tags: { site },
        fields: present({
          uptime_s: r.uptimeS,
          outbox_depth: r.outboxDepth,
          outbox_oldest_age_s: r.outboxOldestAgeS,
          outbox_bytes: r.outboxBytes,
          disk_free_bytes: r.diskFreeBytes,
          connected_devices: r.connectedDevices,
          cpu_temp_c: r.cpuTempC,
          rss_bytes: r.rssBytes,
          shed: r.shed,
          rejected: r.rejected,
          dead_letters: r.deadLetters,
          clock_offset_ms: r.clockOffsetMs,
          ...common,
        }),
        timestampNs,
      }
    case 'camera_status':
      return {
        measurement: 'camera_status',
        tags: { camera: r.camera, site, state: r.state },
        fields: present({
          online: r.state === 'online',
          onvif: r.onvif,
          stream: r.stream,
          camera_offset_ms: r.cameraOffsetMs,
          detail: r.detail,
          ...common,
        }),
        timestampNs,
      }
    case 'camera_event':
      return {
        measurement: 'camera_event',
        tags: { camera: r.camera, event: r.event, site },
        fields: { state: r.state, snapshot: r.snapshot ?? '', ...common },
        timestampNs,
      }
    case 'audit':
      // The chain's own link number is the `seq` field, as in the hub's entries; the outbox seq only places the point.
      return {
        measurement: 'audit',
        tags: { action: r.action, camera: r.camera, chain: r.chain, role: EDGE_SUPERVISOR_ROLE, site, user: r.user },
        fields: present({
          viewing: r.viewing, detail: r.detail, client: r.client, seq: r.link, prev: r.prev, hash: r.hash,
          duration_s: r.durationS, at_ms: r.at, clock: r.clock,
        }),
        timestampNs,
      }
    case 'directory':
      return { measurement: 'directory', tags: { site }, fields: { hash: r.hash, body: JSON.stringify(contentOf(r)), ...common }, timestampNs }
    case 'duty':
      // Empty tags are left out (serializePoint): a restart names no counter and no officer.
      return {
        measurement: 'duty',
        tags: { counter: r.counter ?? '', event: r.event, officer: r.officer ?? '', site },
        fields: present({ reason: r.reason, device: r.device, event_id: r.eventId, ...common }),
        timestampNs,
      }
    case 'complaint':
      return {
        measurement: 'complaint',
        tags: { counter: r.counter, department: r.department, officer: r.officer ?? NO_OFFICER, site },
        fields: {
          event_id: r.eventId, device: r.device, rating: r.rating, level: r.level, comment: r.comment, phone: r.phone ?? '', lang: r.lang,
          device_ts: r.deviceTs, edge_ts: r.edgeTs, ...common,
        },
        timestampNs,
      }
  }
}

const TYPES = { ...MEASUREMENTS, ...HUB_MEASUREMENTS, ...ROLLUP_MEASUREMENTS } as Readonly<Record<string, MeasurementSchema | undefined>>

/** Line protocol for points made by toPoint or the rollup, one line each. */
export function toLines(points: readonly Point[]): string[] {
  return points.map((p) => serializePoint(p, TYPES[p.measurement]?.fields ?? {}))
}

export const toLineProtocol = (points: readonly Point[]): string => toLines(points).join('\n')
