/**
 * What the console's drill-down shows, read through the KPI query layer
 * (hub/queries, shared with the IOC API) and narrowed to what the signed-in
 * person may see before any statement is built. One level at a time:
 * province → branches, branch → sites, site → counters, counter → officers.
 */
import { bucketOf, type PeriodUnit } from '../kpi/time.js'
import type { Dimension } from '../kpi/grouping.js'
import type { RatingKpis } from '../kpi/ratings.js'
import type { InfluxQuery } from '../queries/client.js'
import type { Directory } from '../queries/directory.js'
import type { TagFilter } from '../queries/influxql.js'
import { queryRawRatings, type RawRating } from '../queries/raw.js'
import { queryRatingKpis } from '../queries/ratings.js'
import { canSeeMetrics, siteScope, type Principal } from '../users/roles.js'

export type Level = 'province' | 'branch' | 'site' | 'counter'

export interface Scope {
  level: Level
  /** Branch id ("-" for sites in no branch), site id, or "site/counter". */
  id: string
}

export interface KpiRow {
  level: Level | 'officer'
  id: string
  name: string
  kpis: RatingKpis
}

export interface LevelView {
  scope: Scope
  name: string
  total: RatingKpis | null
  rows: KpiRow[]
  trend: { label: string; start: number; index: number | null; presses: number }[]
}

const CHILD: Record<Level, Exclude<Dimension, 'department'>> = { province: 'branch', branch: 'site', site: 'counter', counter: 'officer' }
export const NO_BRANCH = '-'

/** Pure: the sites a scope covers that the principal may see; null when the scope itself is out of bounds. */
export function sitesOf(p: Principal, dir: Directory, scope: Scope): string[] | null {
  const visible = dir.sites.filter((s) => canSeeMetrics(p, s.id))
  switch (scope.level) {
    case 'province':
      return visible.map((s) => s.id)
    case 'branch':
      return visible.filter((s) => (s.branch ?? NO_BRANCH) === scope.id).map((s) => s.id)
    case 'site':
    case 'counter': {
      const site = scope.id.split('/')[0] ?? ''
      return canSeeMetrics(p, site) ? [site] : null
    }
  }
}

/**
 * Pure: the sites whose alerts the principal sees. Undefined (every site, as
 * for the IOC API's province-wide key) for roles not bound to sites, so the
 * alert query names no site list on a province of hundreds of sites.
 */
export function alertSites(p: Principal, dir: Directory): string[] | undefined {
  return siteScope(p) === undefined ? undefined : dir.sites.filter((s) => canSeeMetrics(p, s.id)).map((s) => s.id)
}

function filterOf(scope: Scope, sites: string[]): TagFilter {
  if (scope.level === 'counter') return { site: sites, counter: [scope.id.split('/')[1] ?? ''] }
  return { site: sites }
}

export async function levelView(db: InfluxQuery, dir: Directory, p: Principal, scope: Scope, unit: PeriodUnit, nowMs: number): Promise<LevelView | null> {
  const sites = sitesOf(p, dir, scope)
  if (sites === null) return null
  const name =
    scope.level === 'province' ? dir.province : scope.level === 'branch' ? (scope.id === NO_BRANCH ? '' : dir.branchName(scope.id)) : dir.site(scope.id.split('/')[0] ?? '').name
  const empty: LevelView = { scope, name, total: null, rows: [], trend: [] }
  if (sites.length === 0) return empty
  const filter = filterOf(scope, sites)
  const b = bucketOf(nowMs, unit)
  const period = { unit, fromMs: b.start, toMs: b.end }
  const child = CHILD[scope.level]
  const trendFrom = bucketOf(nowMs - 13 * 86_400_000, 'day').start
  const [total, rows, trend] = await Promise.all([
    queryRatingKpis(db, dir, { groupBy: [], period, filter }),
    queryRatingKpis(db, dir, { groupBy: [child], period, filter }),
    queryRatingKpis(db, dir, { groupBy: [], period: { unit: 'day', fromMs: trendFrom, toMs: bucketOf(nowMs, 'day').end }, filter }),
  ])
  const rowName = (id: string) => (child === 'branch' ? dir.branchName(id) : child === 'site' ? dir.site(id).name : id)
  const rowId = (k: Record<string, string | null | undefined>) => {
    const v = k[child] ?? null
    if (child === 'counter') return `${k.site}/${v}`
    return v ?? (child === 'branch' ? NO_BRANCH : 'none')
  }
  return {
    scope,
    name,
    total: total[0]?.kpis ?? null,
    rows: rows.map((g) => ({ level: child, id: rowId(g.key), name: rowName(g.key[child] ?? ''), kpis: g.kpis })),
    trend: trend.map((g) => ({ label: g.period.label, start: g.period.start, index: g.kpis.satisfactionIndex, presses: g.kpis.presses })),
  }
}

export async function latestRatings(db: InfluxQuery, dir: Directory, p: Principal, scope: Scope, nowMs: number): Promise<RawRating[] | null> {
  const sites = sitesOf(p, dir, scope)
  if (sites === null) return null
  if (sites.length === 0) return []
  const page = await queryRawRatings(db, { fromMs: nowMs - 86_400_000, toMs: nowMs + 1, filter: filterOf(scope, sites), limit: 12, cursor: null })
  return page.items
}

/** Pure: the rows of a level view as CSV (UTF-8 with BOM so Excel shows Vietnamese names). */
export function levelCsv(v: LevelView): string {
  const head = ['id', 'name', 'presses', 'counted', 'misuse', 'satisfaction_index', 'dissatisfied_share', 'decision766_rate', 'decision766_points']
  const cell = (x: unknown) => {
    const s = x === null || x === undefined ? '' : String(x)
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
  }
  const lines = v.rows.map((r) =>
    [r.id, r.name, r.kpis.presses, r.kpis.counted, r.kpis.misuse, r.kpis.satisfactionIndex, r.kpis.dissatisfiedShare, r.kpis.decision766.rate, r.kpis.decision766.points].map(cell).join(','),
  )
  return `\uFEFF${[head.join(','), ...lines].join('\r\n')}\r\n`
}
