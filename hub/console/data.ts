/**
 * What the console's drill-down shows, read through the KPI query layer
 * (hub/queries, shared with the IOC API) and narrowed to what the signed-in
 * person may see before any statement is built. One level at a time:
 * province → branches (or departments across the province) → sites →
 * departments → counters → officers, for any period, compared with the one
 * before it, with the queue figures next to satisfaction.
 */
import type { Dimension, GroupKey } from '../kpi/grouping.js'
import { aggregateQueue, type QueueKpis } from '../kpi/queue.js'
import type { RatingGroup, RatingKpis } from '../kpi/ratings.js'
import { bucketOf, previousBucket, type PeriodBucket, type PeriodUnit } from '../kpi/time.js'
import type { InfluxQuery, Series } from '../queries/client.js'
import type { Directory } from '../queries/directory.js'
import { ratingFactsOf, ratingFactsStatement, ticketFactsOf, ticketFactsStatement } from '../queries/facts.js'
import type { TagFilter } from '../queries/influxql.js'
import { FEW_SITES } from '../queries/planning.js'
import type { PastAnswers } from '../queries/past-answers.js'
import { queryRawRatings, type RawRating } from '../queries/raw.js'
import { provinceWide, queryRatingKpis, queryRatingKpisBy } from '../queries/ratings.js'
import { namesOf } from '../reports/names.js'
import { canSeeMetrics, canSeeOfficers, siteScope, type Principal } from '../users/roles.js'

export type Level = 'province' | 'branch' | 'site' | 'department' | 'counter'

export interface Scope {
  level: Level
  /**
   * Branch id ("-" for sites in no branch), site id, "site/counter", or a department: its id alone for the
   * department across every site the person may see (Home Affairs' view), "site/department" at one site.
   */
  id: string
  /** At the province: rows per branch (default) or per department. */
  by?: 'branch' | 'department'
}

export interface QueueFigures {
  waitMedianS: number | null
  serviceMedianS: number | null
  served: number
}

export interface KpiRow {
  /** The level a click on the row goes to ('officer' rows go nowhere). */
  level: Level | 'officer'
  id: string
  name: string
  kpis: RatingKpis
  /** The same row in the previous period, when it had ratings. */
  previous: { index: number | null; counted: number } | null
  queue: QueueFigures | null
}

export interface LevelView {
  scope: Scope
  name: string
  period: PeriodBucket
  previousPeriod: PeriodBucket
  total: RatingKpis | null
  previous: RatingKpis | null
  queue: QueueFigures | null
  /** Whether waiting and service times were read (a scope of few sites: they need single ticket events). */
  queueTimes: boolean
  /** Officers' rows are left out for roles that may not see them. */
  officersHidden: boolean
  rows: KpiRow[]
  trend: { label: string; start: number; index: number | null; presses: number }[]
}

export const NO_BRANCH = '-'

/** Periods a trend shows, per unit. */
const TREND_LENGTH: Record<PeriodUnit, number> = { day: 14, week: 12, month: 12, quarter: 8, half: 6, year: 5 }

const siteOf = (scope: Scope) => (scope.level === 'site' || scope.level === 'counter' || (scope.level === 'department' && scope.id.includes('/')) ? scope.id.split('/')[0]! : null)

/** Pure: the sites a scope covers that the principal may see; null when the scope itself is out of bounds. */
export function sitesOf(p: Principal, dir: Directory, scope: Scope): string[] | null {
  const visible = dir.sites.filter((s) => canSeeMetrics(p, s.id))
  const site = siteOf(scope)
  if (site !== null) return canSeeMetrics(p, site) ? [site] : null
  if (scope.level === 'branch') return visible.filter((s) => (s.branch ?? NO_BRANCH) === scope.id).map((s) => s.id)
  return visible.map((s) => s.id)
}

/**
 * Pure: the sites whose alerts the principal sees. Undefined (every site, as
 * for the IOC API's province-wide key) for roles not bound to sites, so the
 * alert query names no site list on a province of hundreds of sites.
 */
export function alertSites(p: Principal, dir: Directory): string[] | undefined {
  return siteScope(p) === undefined ? undefined : dir.sites.filter((s) => canSeeMetrics(p, s.id)).map((s) => s.id)
}

function filterOf(scope: Scope, sites: string[], dir: Directory): TagFilter {
  const [, second = ''] = scope.id.split('/')
  if (scope.level === 'counter') return { site: sites, counter: [second] }
  if (scope.level === 'department') {
    const filter = { site: sites, department: [scope.id.includes('/') ? second : scope.id] }
    return scope.id.includes('/') ? filter : provinceWide(filter, dir)
  }
  return scope.level === 'province' ? provinceWide({ site: sites }, dir) : { site: sites }
}

/** Pure: what the rows of a scope are, and how a row's key becomes the scope it opens. */
export function childOf(scope: Scope): { group: Dimension[]; level: KpiRow['level'] } {
  switch (scope.level) {
    case 'province':
      return scope.by === 'department' ? { group: ['department'], level: 'department' } : { group: ['branch'], level: 'branch' }
    case 'branch':
      return { group: ['site'], level: 'site' }
    case 'site':
      return { group: ['department'], level: 'department' }
    case 'department':
      return scope.id.includes('/') ? { group: ['counter'], level: 'counter' } : { group: ['site'], level: 'department' }
    case 'counter':
      return { group: ['officer'], level: 'officer' }
  }
}

function rowIdOf(scope: Scope, level: KpiRow['level'], k: GroupKey): string {
  switch (level) {
    case 'branch':
      return k.branch ?? NO_BRANCH
    case 'site':
      return k.site ?? ''
    case 'department':
      // Under a department across the province the rows are its sites: each opens that department at that site.
      return scope.level === 'department' ? `${k.site}/${scope.id}` : scope.level === 'site' ? `${scope.id}/${k.department}` : (k.department ?? '')
    case 'counter':
      return `${k.site}/${k.counter}`
    case 'officer':
      return k.officer ?? NO_BRANCH
    case 'province':
      return ''
  }
}

/** The period a view shows: the one labelled `at`, or the one of `unit` holding now. */
export function viewPeriod(unit: PeriodUnit, at: PeriodBucket | null, nowMs: number): PeriodBucket {
  return at ?? bucketOf(nowMs, unit)
}

/** `past`: answers about past days this instance keeps (hub/queries/past-answers.ts). */
export async function levelView(
  db: InfluxQuery, dir: Directory, p: Principal, scope: Scope, period: PeriodBucket, past?: PastAnswers,
): Promise<LevelView | null> {
  const sites = sitesOf(p, dir, scope)
  if (sites === null) return null
  const names = namesOf(dir)
  const site = siteOf(scope)
  const departmentName = (id: string, at: string | null) => {
    for (const s of at ? [at] : sites) {
      const n = names.department(s, id)
      if (n !== id) return n
    }
    return id
  }
  const [, second = ''] = scope.id.split('/')
  const name =
    scope.level === 'province' ? dir.province
    : scope.level === 'branch' ? (scope.id === NO_BRANCH ? '' : dir.branchName(scope.id))
    : scope.level === 'department' ? departmentName(site ? second : scope.id, site)
    : scope.level === 'counter' ? names.counter(site!, second)
    : names.site(scope.id)
  const previousPeriod = previousBucket(period)
  const child = childOf(scope)
  const officersHidden = child.level === 'officer' && !canSeeOfficers(p, site ?? '')
  const empty: LevelView = { scope, name, period, previousPeriod, total: null, previous: null, queue: null, queueTimes: false, officersHidden, rows: [], trend: [] }
  if (sites.length === 0) return empty
  const filter = filterOf(scope, sites, dir)
  const unit = period.unit === 'live' ? 'day' : period.unit
  let trendFrom = period
  for (let i = 1; i < TREND_LENGTH[unit]; i++) trendFrom = previousBucket(trendFrom)
  const queueTimes = sites.length <= FEW_SITES
  // One string per row, the same for its KPIs, the previous period's and its queue figures.
  const keyOf = (k: GroupKey) => child.group.map((d) => k[d] ?? '').join('/') + (child.level === 'counter' ? `@${k.site}` : '')
  // The period and the one before it from one read (their totals and rows, InfluxDB's statements split by period),
  // the trend's earlier periods from another: each period is read once (bench reports: 34 statements became ~20).
  // One epoch for both reads: their past answers and stale site-days are kept together.
  const turn = await past?.turn(db)
  const [[totals = [], rowsBoth = []], earlier, queue] = await Promise.all([
    queryRatingKpisBy(db, dir, { period: { unit, fromMs: previousPeriod.start, toMs: period.end }, filter, past: turn }, officersHidden ? [[]] : [[], child.group]),
    trendFrom.start < previousPeriod.start ? queryRatingKpis(db, dir, { groupBy: [], period: { unit, fromMs: trendFrom.start, toMs: previousPeriod.start }, filter, past: turn }) : [],
    queueTimes ? queueFigures(db, dir, period, filter, child.level === 'officer' ? [] : (child.group as Exclude<Dimension, 'officer'>[])) : null,
  ])
  const of = (groups: RatingGroup[], b: PeriodBucket) => groups.filter((g) => g.period.label === b.label)
  const [total, before, rows, rowsBefore] = [of(totals, period), of(totals, previousPeriod), of(rowsBoth, period), of(rowsBoth, previousPeriod)]
  const trend = [...earlier, ...totals].sort((a, b) => a.period.start - b.period.start)
  const rowName = (k: GroupKey): string => {
    switch (child.level) {
      case 'branch':
        return k.branch ? dir.branchName(k.branch) : ''
      case 'site':
        return names.site(k.site ?? '')
      case 'department':
        return scope.level === 'department' ? names.site(k.site ?? '') : departmentName(k.department ?? '', site)
      case 'counter':
        return names.counter(k.site ?? '', k.counter ?? '')
      case 'officer':
        return k.officer ? names.officer(site ?? '', k.officer) : ''
      case 'province':
        return dir.province
    }
  }
  const beforeOf = new Map(rowsBefore.map((g) => [keyOf(g.key), g.kpis]))
  return {
    ...empty,
    total: total[0]?.kpis ?? null,
    previous: before[0]?.kpis ?? null,
    queue: queue?.get('') ?? null,
    queueTimes,
    rows: rows.map((g) => {
      const b = beforeOf.get(keyOf(g.key))
      return {
        level: child.level,
        id: rowIdOf(scope, child.level, g.key),
        name: rowName(g.key),
        kpis: g.kpis,
        previous: b ? { index: b.satisfactionIndex, counted: b.counted } : null,
        queue: queue?.get(keyOf(g.key)) ?? null,
      }
    }),
    trend: trend.map((g) => ({ label: g.period.label, start: g.period.start, index: g.kpis.satisfactionIndex, presses: g.kpis.presses })),
  }

  /**
   * Waiting and service medians from single ticket events (hub/kpi/queue.ts), for the total ('') and each row.
   * Ratings only count towards visits, so a scope without ticket events (no queue system) reads none: scanning a
   * site's quarter of ratings for ticket numbers took most of a site's view (bench reports). A past period's raw
   * points are kept with the past answers.
   */
  async function queueFigures(db_: InfluxQuery, dir_: Directory, b: PeriodBucket, f: TagFilter, groupBy: Exclude<Dimension, 'officer'>[]): Promise<Map<string, QueueFigures>> {
    const read = async (statement: string): Promise<Series[]> => {
      const once = async (on: (s: Series) => void) => ((await db_.run([statement]))[0] ?? []).forEach(on)
      const out: Series[] = []
      const push = (s: Series) => void out.push(s)
      await (turn ? turn.answer(statement, b.start, b.end, once, push) : once(push))
      return out
    }
    const tickets = ticketFactsOf(await read(ticketFactsStatement(b.start, b.end, f)), dir_)
    const ratings = tickets.length ? ratingFactsOf(await read(ratingFactsStatement(b.start, b.end, f, true)), dir_) : []
    const out = new Map<string, QueueFigures>()
    const figures = (q: QueueKpis): QueueFigures => ({ waitMedianS: q.waitMedianS, serviceMedianS: q.serviceMedianS, served: q.served })
    for (const g of aggregateQueue(tickets, ratings, { groupBy: [], period: unit })) out.set('', figures(g.kpis))
    if (groupBy.length) for (const g of aggregateQueue(tickets, ratings, { groupBy, period: unit })) out.set(keyOf(g.key), figures(g.kpis))
    return out
  }
}

export async function latestRatings(db: InfluxQuery, dir: Directory, p: Principal, scope: Scope, nowMs: number): Promise<RawRating[] | null> {
  // Raw ratings name officers: at a counter, only for the roles that may see them.
  if (scope.level === 'counter' && !canSeeOfficers(p, siteOf(scope) ?? '')) return []
  const sites = sitesOf(p, dir, scope)
  if (sites === null) return null
  if (sites.length === 0) return []
  const page = await queryRawRatings(db, { fromMs: nowMs - 86_400_000, toMs: nowMs + 1, filter: filterOf(scope, sites, dir), limit: 12, cursor: null })
  return page.items
}

/** Pure: the rows of a level view as CSV (UTF-8 with BOM so Excel shows Vietnamese names). */
export function levelCsv(v: LevelView): string {
  const head = ['id', 'name', 'presses', 'counted', 'misuse', 'satisfaction_index', 'dissatisfied_share', 'decision766_rate', 'decision766_points', 'tickets_served', 'previous_satisfaction_index']
  const cell = (x: unknown) => {
    const s = x === null || x === undefined ? '' : String(x)
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
  }
  const lines = v.rows.map((r) =>
    [
      r.id, r.name, r.kpis.presses, r.kpis.counted, r.kpis.misuse, r.kpis.satisfactionIndex, r.kpis.dissatisfiedShare,
      r.kpis.decision766.rate, r.kpis.decision766.points, r.kpis.ticketsServed, r.previous?.index,
    ].map(cell).join(','),
  )
  return `\uFEFF${[head.join(','), ...lines].join('\r\n')}\r\n`
}
