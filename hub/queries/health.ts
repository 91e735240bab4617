/**
 * Site health from device_status, camera_status, camera_event and
 * edge_health: last seen, backlog, device and camera uptime over a range.
 * "Last seen" is the time of the site's newest edge_health record: the edge
 * reports it every minute or so whatever else happens, and a record's own
 * time means an edge emptying a days-old backlog is not "seen now" by old
 * records.
 */
import { CAMERA_DOWN_STATES, cameraHealth } from '../kpi/alerts/camera.js'
import type { CameraHealth, EdgeHealth } from '../kpi/alerts/types.js'
import { uptime, type StateChange } from '../kpi/uptime.js'
import type { CameraState } from '../../protocol/messages.js'
import { rowsOf, type InfluxQuery, type Series } from './client.js'
import type { Directory, SiteInfo } from './directory.js'
import { tagFilters, timeRange } from './influxql.js'
import { DAY_MS } from '../../common/time.js'

/**
 * How far back the state at the start of a range, and the newest edge
 * health, are looked for. Devices report status only when it changes, so a
 * kiosk online since its installation has one record, possibly months old.
 */
export const HEALTH_LOOKBACK_MS = 400 * DAY_MS

export interface UptimeSummary {
  total: number
  /** Up at the end of the range (last known state). */
  up: number
  /** Mean uptime share of those with a known state; null when none. */
  uptimeShare: number | null
  outages: number
}

export interface SiteHealth extends SiteInfo {
  lastSeenAt: number | null
  edge: { healthAt: number | null; outboxDepth: number | null; outboxOldestAgeS: number | null; diskFreeBytes: number | null }
  devices: UptimeSummary
  cameras: UptimeSummary & { tampered: number }
}

export function healthStatements(sites: readonly string[] | undefined, fromMs: number, toMs: number): string[] {
  const f = tagFilters(sites ? { site: sites } : {})
  const w = (range: string) => [range, ...f].join(' AND ')
  const before = timeRange(Math.max(0, fromMs - HEALTH_LOOKBACK_MS), fromMs)
  const during = timeRange(fromMs, toMs)
  const upTo = timeRange(Math.max(0, toMs - HEALTH_LOOKBACK_MS), toMs)
  return [
    `SELECT "outbox_depth", "outbox_oldest_age_s", "disk_free_bytes" FROM "edge_health" WHERE ${w(upTo)} GROUP BY "site" ORDER BY time DESC LIMIT 1`,
    `SELECT last("online") FROM "device_status" WHERE ${w(before)} GROUP BY "site", "device"`,
    `SELECT "online" FROM "device_status" WHERE ${w(during)} GROUP BY "site", "device"`,
    `SELECT last("online") FROM "camera_status" WHERE ${w(before)} GROUP BY "site", "camera", "state"`,
    `SELECT "online", "state" FROM "camera_status" WHERE ${w(during)} GROUP BY "site", "camera"`,
    `SELECT "state" FROM "camera_event" WHERE ${w(upTo)} AND "event" = 'tamper' GROUP BY "site", "camera"`,
  ]
}

type Changes = Map<string, Map<string, StateChange[]>>

function push(map: Changes, site: string, subject: string, change: StateChange): void {
  let bySubject = map.get(site)
  if (!bySubject) map.set(site, (bySubject = new Map()))
  const list = bySubject.get(subject)
  if (list) list.push(change)
  else bySubject.set(subject, [change])
}

function summarise(changes: Map<string, StateChange[]> | undefined, fromMs: number, toMs: number): UptimeSummary {
  let up = 0
  let outages = 0
  const shares: number[] = []
  for (const list of changes?.values() ?? []) {
    const u = uptime(list, fromMs, toMs)
    if (u.share !== null) shares.push(u.share)
    outages += u.outages
    const last = [...list].filter((c) => c.t < toMs).sort((a, b) => a.t - b.t).at(-1)
    if (last?.up) up++
  }
  return { total: changes?.size ?? 0, up, uptimeShare: shares.length ? shares.reduce((a, b) => a + b, 0) / shares.length : null, outages }
}

export interface HealthFacts {
  sites: SiteHealth[]
  cameras: CameraHealth[]
  edges: EdgeHealth[]
}

export async function querySiteHealth(db: InfluxQuery, dir: Directory, sites: readonly string[] | undefined, fromMs: number, toMs: number): Promise<HealthFacts> {
  const [health, devBefore, devDuring, camBefore, camDuring, tamper] = await db.run(healthStatements(sites, fromMs, toMs))
  const siteOf = (s: Series) => s.tags?.site ?? ''
  const edgeRow = new Map((health ?? []).map((s) => [siteOf(s), rowsOf(s)[0] ?? {}]))

  const devices: Changes = new Map()
  for (const s of [...(devBefore ?? []), ...(devDuring ?? [])]) {
    for (const r of rowsOf(s)) push(devices, siteOf(s), s.tags?.device ?? '', { t: Number(r.time), up: (r.last ?? r.online) === true })
  }
  const cameras: Changes = new Map()
  const camRecords = new Map<string, { kind: 'camera_status'; t: number; state: CameraState }[]>()
  // The last state before the range: one row per (camera, state); only the newest of them holds.
  const before = new Map<string, { t: number; state: CameraState; site: string; camera: string }>()
  for (const s of camBefore ?? []) {
    const r = rowsOf(s)[0]
    const id = `${siteOf(s)}/${s.tags?.camera}`
    if (r && Number(r.time) >= (before.get(id)?.t ?? -1)) before.set(id, { t: Number(r.time), state: s.tags?.state as CameraState, site: siteOf(s), camera: s.tags?.camera ?? '' })
  }
  const camStatus = (site: string, camera: string, t: number, state: CameraState) => {
    push(cameras, site, camera, { t, up: !CAMERA_DOWN_STATES.has(state) })
    const id = `${site}/${camera}`
    const list = camRecords.get(id) ?? []
    list.push({ kind: 'camera_status', t, state })
    camRecords.set(id, list)
  }
  for (const b of before.values()) camStatus(b.site, b.camera, b.t, b.state)
  for (const s of camDuring ?? []) for (const r of rowsOf(s)) camStatus(siteOf(s), s.tags?.camera ?? '', Number(r.time), r.state as CameraState)
  const tamperRecords = new Map<string, { kind: 'camera_event'; t: number; event: 'tamper'; state: boolean }[]>()
  for (const s of tamper ?? []) {
    tamperRecords.set(`${siteOf(s)}/${s.tags?.camera}`, rowsOf(s).map((r) => ({ kind: 'camera_event', t: Number(r.time), event: 'tamper', state: r.state === true })))
  }
  const cameraIds = new Set([...camRecords.keys(), ...tamperRecords.keys()])
  const cameraHealths = [...cameraIds].map((id) => {
    const [site, camera] = id.split('/') as [string, string]
    return cameraHealth(site, camera, [...(camRecords.get(id) ?? []), ...(tamperRecords.get(id) ?? [])])
  })

  const ids = sites ?? [...new Set([...dir.sites.map((s) => s.id), ...edgeRow.keys()])].sort()
  const siteHealth = ids.map((id): SiteHealth => {
    const e = edgeRow.get(id)
    const num = (v: unknown) => (typeof v === 'number' ? v : null)
    return {
      ...dir.site(id),
      lastSeenAt: num(e?.time),
      edge: {
        healthAt: num(e?.time),
        outboxDepth: num(e?.outbox_depth),
        outboxOldestAgeS: num(e?.outbox_oldest_age_s),
        diskFreeBytes: num(e?.disk_free_bytes),
      },
      devices: summarise(devices.get(id), fromMs, toMs),
      cameras: { ...summarise(cameras.get(id), fromMs, toMs), tampered: cameraHealths.filter((c) => c.site === id && c.tamperedSince !== null).length },
    }
  })
  const edges = siteHealth.map((s) => ({ site: s.id, lastSeenAt: s.lastSeenAt, outboxOldestAgeS: s.edge.outboxOldestAgeS, healthAt: s.edge.healthAt }))
  return { sites: siteHealth, cameras: cameraHealths, edges }
}
