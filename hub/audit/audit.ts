/**
 * The console's audit log in InfluxDB (measurement `audit`,
 * docs/influx-schema.md): a viewing writes one point when the stream opens
 * and one with its duration when it closes, so a hub that crashes mid-view
 * still leaves the start on record; every export writes one point. Stored in
 * the database, not in the hub, so every instance lists the same log. Each
 * instance chains its entries by hash (chain.ts): writes are made one after
 * the other, and an entry is linked only once it is stored, so a failed write
 * leaves no gap. A viewing whose start cannot be stored does not start.
 */
import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { Logger } from '../../common/log.js'
import type { Point } from '../influx/line-protocol.js'
import type { PointWriter } from '../influx/writer.js'
import type { InfluxQuery } from '../queries/client.js'
import { rowsOf } from '../queries/client.js'
import { timeRange } from '../queries/influxql.js'
import type { Principal } from '../users/roles.js'
import { chainWriter, linkHash, oneLine, openViewing, type AuditValues, type ChainLinkTo, type StoredEntry, type Viewing } from '../../common/audit-chain.js'

/** `playback`: recorded video or a snapshot watched (issue 17); `export_done`: an export's file finished, with its SHA-256. */
export type AuditAction = 'view_start' | 'view_end' | 'export' | 'playback' | 'export_done'
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

/**
 * Who did it: a console user, or an API key of the KPI API (its id as the user, role `api`): the API
 * authenticates consumers, not people (issue 11, finding 9).
 */
export interface Actor {
  username: string
  role: Principal['role'] | 'api'
}

export interface AuditEvent {
  action: AuditAction
  who: Actor
  site?: string
  camera?: string
  viewing?: string
  durationS?: number
  detail?: string
  client: string
  atMs: number
}

/** Pure: the values an audit entry stores (and its hash covers). */
export function auditValues(e: AuditEvent): AuditValues {
  return {
    atMs: e.atMs,
    action: e.action,
    user: e.who.username,
    role: e.who.role,
    site: e.site ?? NONE,
    camera: e.camera ?? NONE,
    viewing: e.viewing ?? '',
    // Stored as line protocol stores them (newlines become spaces), so the hash covers what is read back.
    detail: oneLine((e.detail ?? '').slice(0, 500)),
    client: oneLine(e.client.slice(0, 64)),
    durationS: e.durationS === undefined ? null : Math.round(e.durationS * 1000) / 1000,
  }
}

/**
 * Pure: one audit point, linked into its chain. A per-call nanosecond suffix
 * keeps two events of one user in the same millisecond apart.
 */
export function auditPoint(e: AuditEvent, nanos: number, link: ChainLinkTo): Point {
  const v = auditValues(e)
  const fields: Record<string, string | number> = {
    viewing: v.viewing, detail: v.detail, client: v.client,
    seq: link.seq, prev: link.prev, hash: linkHash(v, link.chain, link.seq, link.prev),
  }
  if (v.durationS !== null) fields.duration_s = v.durationS
  return {
    measurement: 'audit',
    tags: { action: v.action, camera: v.camera, chain: link.chain, role: v.role, site: v.site, user: v.user },
    fields,
    timestampNs: `${e.atMs}${String(nanos % 1_000_000).padStart(6, '0')}`,
  }
}

export interface AuditLog {
  /** Stores one entry; rejects when it could not be stored (the caller decides whether to go on). */
  record(e: Omit<AuditEvent, 'atMs'>): Promise<void>
  /**
   * Opens a viewing: stores its start and returns the function that stores
   * its end with the duration. Rejects, and nothing may be shown, when the
   * start cannot be stored.
   */
  viewing(who: Actor, site: string, camera: string, client: string): Promise<Viewing>
  list(fromMs: number, toMs: number, limit: number): Promise<AuditEntry[]>
  /** Every stored entry in the span with its chain fields, for verification. */
  entries(fromMs: number, toMs: number): Promise<StoredEntry[]>
}

const SELECT = `SELECT "viewing", "duration_s", "detail", "client", "seq", "prev", "hash", "at_ms", "action", "user", "role", "site", "camera", "chain" FROM "audit"`

export function createAuditLog(o: { writer: PointWriter; query: InfluxQuery; log: Logger; now?: () => number; chain?: string }): AuditLog {
  const log = o.log.child({ module: 'audit' })
  const now = o.now ?? Date.now
  // One chain per running instance: the host name says where, the random part tells two runs apart.
  const chain = o.chain ?? `${hostname().replace(/[^A-Za-z0-9.-]/g, '_').slice(0, 40)}-${randomBytes(4).toString('hex')}`
  let nanos = 0
  const record = chainWriter<Omit<AuditEvent, 'atMs'>>({
    chain, log,
    describe: (e) => ({ action: e.action, user: e.who.username }),
    async store(e, link) {
      const point = auditPoint({ ...e, atMs: now() }, nanos++, link)
      await o.writer.write([point])
      return String(point.fields.hash)
    },
  })
  return {
    record,
    viewing: (who, site, camera, client) =>
      openViewing(now, (viewing, durationS) => record({ action: durationS === undefined ? 'view_start' : 'view_end', who, site, camera, viewing, client, durationS })),
    async list(fromMs, toMs, limit) {
      const n = Math.max(1, Math.min(5000, Math.floor(limit)))
      return (await auditRows(o.query, timeRange(fromMs, toMs), n)).map((r) => ({
        time: Number(r.time),
        action: String(r.action) as AuditAction,
        user: String(r.user),
        role: String(r.role),
        site: r.site && r.site !== NONE ? String(r.site) : null,
        camera: r.camera && r.camera !== NONE ? String(r.camera) : null,
        viewing: r.viewing ? String(r.viewing) : null,
        durationS: typeof r.duration_s === 'number' ? r.duration_s : null,
        detail: str(r.detail),
        client: str(r.client),
      }))
    },
    entries: (fromMs, toMs) => auditEntries(o.query, fromMs, toMs),
  }
}

async function auditRows(query: InfluxQuery, where: string, limit?: number): Promise<Record<string, unknown>[]> {
  const [series] = await query.run([`${SELECT} WHERE ${where} ORDER BY time DESC${limit ? ` LIMIT ${limit}` : ''}`])
  return (series ?? []).flatMap(rowsOf)
}

const str = (x: unknown) => (x === null || x === undefined ? '' : String(x))

/** Every stored entry in the span with its chain fields, for verification (chain.ts). */
export async function auditEntries(query: InfluxQuery, fromMs: number, toMs: number): Promise<StoredEntry[]> {
  return (await auditRows(query, timeRange(fromMs, toMs))).map((r) => ({
    // An edge's entry was hashed with the time it happened, kept apart from its (correctable) point time.
    atMs: typeof r.at_ms === 'number' ? r.at_ms : Number(r.time),
    action: str(r.action),
    user: str(r.user),
    role: str(r.role),
    site: str(r.site),
    camera: str(r.camera),
    viewing: str(r.viewing),
    detail: str(r.detail),
    client: str(r.client),
    durationS: typeof r.duration_s === 'number' ? r.duration_s : null,
    chain: r.chain ? String(r.chain) : null,
    seq: typeof r.seq === 'number' ? r.seq : null,
    prev: r.prev === null || r.prev === undefined ? null : String(r.prev),
    hash: r.hash ? String(r.hash) : null,
  }))
}
