/**
 * Which site-days a write changes (pure). Every write of ratings or ticket
 * events is followed by a `kpi_state` point per site and local day with a
 * fresh `changed` stamp and `rolled` = 0, so the rollup, on this hub or
 * another one, finds the day stale until it has counted it again.
 */
import type { Point } from '../influx/line-protocol.js'
import type { Series } from '../queries/client.js'
import { localDayIndex, VN_OFFSET_MS } from '../kpi/time.js'
import { STATE_MEASUREMENT } from './cells.js'
import { DAY_MS } from '../../common/time.js'

/** Local day start (ms) → sites with new data that day. */
export type SiteDays = Map<number, Set<string>>

export const localDayStart = (t: number) => localDayIndex(t) * DAY_MS - VN_OFFSET_MS

const pointMs = (timestampNs: string) => (timestampNs.length > 6 ? Number(timestampNs.slice(0, -6)) : 0)

export function changedSiteDays(points: readonly Point[]): SiteDays {
  const out: SiteDays = new Map()
  for (const p of points) {
    if (p.measurement !== 'rating' && p.measurement !== 'ticket') continue
    const site = p.tags.site
    if (!site) continue
    const day = localDayStart(pointMs(p.timestampNs))
    let sites = out.get(day)
    if (!sites) out.set(day, (sites = new Set()))
    sites.add(site)
  }
  return out
}

export function mergeSiteDays(into: SiteDays, from: SiteDays): SiteDays {
  for (const [day, sites] of from) {
    const have = into.get(day)
    if (have) for (const s of sites) have.add(s)
    else into.set(day, new Set(sites))
  }
  return into
}

/** The site-days of InfluxDB series grouped by site, each row starting with a day's time; `keep` narrows the sites. */
export function siteDaysOf(series: readonly Series[], into: SiteDays = new Map(), keep?: (site: string) => boolean): SiteDays {
  for (const s of series) {
    const site = s.tags?.site
    if (!site || (keep && !keep(site))) continue
    for (const row of s.values) {
      const day = Number(row[0])
      const sites = into.get(day)
      if (sites) sites.add(site)
      else into.set(day, new Set([site]))
    }
  }
  return into
}

/**
 * `changed` stamps: unique per write and increasing on one hub (hub ms × 1000
 * plus a random 0–999, so two hubs hardly ever coincide); a safe integer
 * until the year 2255.
 */
export function stamper(now: () => number = Date.now): () => number {
  let last = 0
  return () => (last = Math.max(last + 1, now() * 1000 + Math.floor(Math.random() * 1000)))
}

export function markPoints(changes: SiteDays, stamp: number): Point[] {
  const points: Point[] = []
  for (const [day, sites] of changes) {
    for (const site of sites) points.push({ measurement: STATE_MEASUREMENT, tags: { site }, fields: { changed: stamp, rolled: 0 }, timestampNs: `${day}000000` })
  }
  return points
}

/** What the rollup writes back once it has counted a site-day again: the stamp it covered and the cells it wrote. */
export function rolledPoint(site: string, day: number, stamp: number, cells: string): Point {
  return { measurement: STATE_MEASUREMENT, tags: { site }, fields: { rolled: stamp, cells }, timestampNs: `${day}000000` }
}
