/**
 * The console's audit log in InfluxDB (measurement `audit`,
 * docs/influx-schema.md): a viewing writes one point when the stream opens
 * and one with its duration when it closes, so a hub that crashes mid-view
 * still leaves the start on record; every export writes one point. Stored in
 * the database, not in the hub, so every instance lists the same log.
 */
import { randomBytes } from 'node:crypto'
import type { Logger } from '../../common/log.js'
import type { Point } from '../influx/line-protocol.js'
import type { PointWriter } from '../influx/writer.js'
import type { InfluxQuery } from '../queries/client.js'
import { rowsOf } from '../queries/client.js'
import { timeRange } from '../queries/influxql.js'
import type { Principal } from '../users/roles.js'

export type AuditAction = 'view_start' | 'view_end' | 'export'
const NONE = '-'

export interface AuditEntry {
  time: number
  action: AuditAction
  user: string
  role: string
  site: string | null
  camera: string | null
  viewing: string | null
  durationS: number | null
  detail: string
  client: string
}

export interface AuditEvent {
  action: AuditAction
  who: Principal
  site?: string
  camera?: string
  viewing?: string
  durationS?: number
  detail?: string
  client: string
  atMs: number
}

/** Pure: one audit point. A per-call nanosecond suffix keeps two events of one user in the same millisecond apart. */
export function auditPoint(e: AuditEvent, nanos: number): Point {
  const fields: Record<string, string | number> = { viewing: e.viewing ?? '', detail: (e.detail ?? '').slice(0, 500), client: e.client.slice(0, 64) }
  if (e.durationS !== undefined) fields.duration_s = Math.round(e.durationS * 1000) / 1000
  return {
    measurement: 'audit',
    tags: { action: e.action, camera: e.camera ?? NONE, role: e.who.role, site: e.site ?? NONE, user: e.who.username },
    fields,
    timestampNs: `${e.atMs}${String(nanos % 1_000_000).padStart(6, '0')}`,
  }
}

export interface AuditLog {
  record(e: Omit<AuditEvent, 'atMs'>): Promise<void>
  /** Opens a viewing: writes its start now and returns the function that writes its end with the duration. */
  viewing(who: Principal, site: string, camera: string, client: string): { id: string; end(): Promise<void> }
  list(fromMs: number, toMs: number, limit: number): Promise<AuditEntry[]>
}

export function createAuditLog(o: { writer: PointWriter; query: InfluxQuery; log: Logger; now?: () => number }): AuditLog {
  const log = o.log.child({ module: 'audit' })
  const now = o.now ?? Date.now
  let seq = 0
  const record = async (e: Omit<AuditEvent, 'atMs'>) => {
    const point = auditPoint({ ...e, atMs: now() }, seq++)
    try {
      await o.writer.write([point])
    } catch (err) {
      // The viewing goes on: refusing video because the database hiccuped would not protect anyone; the log line keeps the trace.
      log.error({ err, audit: point.tags, fields: point.fields }, 'audit write failed')
    }
  }
  return {
    record,
    viewing(who, site, camera, client) {
      const id = randomBytes(9).toString('base64url')
      const started = now()
      void record({ action: 'view_start', who, site, camera, viewing: id, client })
      let ended: Promise<void> | null = null
      return {
        id,
        end: () => (ended ??= record({ action: 'view_end', who, site, camera, viewing: id, client, durationS: (now() - started) / 1000 })),
      }
    },
    async list(fromMs, toMs, limit) {
      const n = Math.max(1, Math.min(5000, Math.floor(limit)))
      const [series] = await o.query.run([
        `SELECT "viewing", "duration_s", "detail", "client", "action", "user", "role", "site", "camera" FROM "audit" WHERE ${timeRange(fromMs, toMs)} ORDER BY time DESC LIMIT ${n}`,
      ])
      return (series ?? []).flatMap(rowsOf).map((r) => ({
        time: Number(r.time),
        action: String(r.action) as AuditAction,
        user: String(r.user),
        role: String(r.role),
        site: r.site && r.site !== NONE ? String(r.site) : null,
        camera: r.camera && r.camera !== NONE ? String(r.camera) : null,
        viewing: r.viewing ? String(r.viewing) : null,
        durationS: typeof r.duration_s === 'number' ? r.duration_s : null,
        detail: String(r.detail ?? ''),
        client: String(r.client ?? ''),
      }))
    },
  }
}
