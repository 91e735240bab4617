/**
 * A report's figures: one period compared with the one before it, for a
 * scope (the province, a branch, a site, or one department across the
 * province), at every level below it (branches, sites, departments,
 * counters, officers). Read through the KPI query layer the API and the
 * console use, so every number is hub/kpi's for the same data. Rendering is
 * elsewhere and pure (html.ts, excel.ts).
 */
import type { Dimension, GroupKey } from '../kpi/grouping.js'
import { aggregateQueue, type QueueKpis } from '../kpi/queue.js'
import type { RatingKpis } from '../kpi/ratings.js'
import type { PeriodBucket } from '../kpi/time.js'
import type { InfluxQuery } from '../queries/client.js'
import type { Directory } from '../queries/directory.js'
import { ratingFactsStatement, readFacts, ticketFactsStatement } from '../queries/facts.js'
import type { TagFilter } from '../queries/influxql.js'
import { bothOf, comparisonOf } from '../queries/periods.js'
import { FEW_SITES } from '../queries/planning.js'
import { provinceWide, queryRatingsBy, type KeptGroup } from '../queries/ratings.js'
import { readReportDuty, type ReportDuty } from './duty.js'
import { namesOf } from './names.js'

export const REPORT_UNITS = ['month', 'quarter', 'half', 'year'] as const
export type ReportUnit = (typeof REPORT_UNITS)[number]

export type ScopeLevel = 'province' | 'branch' | 'site' | 'department'
/** `id`: a branch (NO_BRANCH for sites in none), a site, or a department (across every site of the scope). */
export interface ReportScope {
  level: ScopeLevel
  id: string
}

export type SheetLevel = 'branch' | 'site' | 'department' | 'counter' | 'officer'

/** Sites that belong to no branch (the province's own Center), as a branch id. */
export const NO_BRANCH = '-'

/**
 * What a level's row shows of a period: the KPIs without the spread over
 * levels and misuse kinds that only the total shows. A province's ~50,000
 * counter and officer rows (two periods) as whole RatingKpis were ~100 MB
 * of the hub's peak for one Excel file (bench reports).
 */
export type RowKpis = Pick<RatingKpis, 'presses' | 'counted' | 'misuse' | 'dissatisfied' | 'satisfactionIndex' | 'dissatisfiedShare' | 'ticketsServed' | 'decision766'>

export const rowKpis = (k: RatingKpis): RowKpis => ({
  presses: k.presses,
  counted: k.counted,
  misuse: k.misuse,
  dissatisfied: k.dissatisfied,
  satisfactionIndex: k.satisfactionIndex,
  dissatisfiedShare: k.dissatisfiedShare,
  ticketsServed: k.ticketsServed,
  decision766: k.decision766,
})

export interface ReportRow {
  id: string
  name: string
  /** The site's name, for counters and officers (their ids are a site's own). */
  site: string | null
  /** The department's name, for counters. */
  department: string | null
  current: RowKpis | null
  previous: RowKpis | null
  /** Waiting and service times of the period, when the report reads them (few sites: queue.ts reads single events). */
  queue: QueueKpis | null
}

export interface ReportSheet {
  level: SheetLevel
  rows: ReportRow[]
}

export interface Report {
  period: PeriodBucket
  previous: PeriodBucket
  scope: ReportScope
  /** The scope's name: the province id, a branch's, site's or department's name. */
  subject: string
  total: { current: RatingKpis | null; previous: RatingKpis | null; queue: QueueKpis | null }
  sheets: ReportSheet[]
  /** Whether waiting and service times were read (scopes of up to FEW_SITES sites). */
  queueTimes: boolean
  /** Levels the reader may see that this (printed) report leaves out: they are in the Excel file. */
  leftOut: SheetLevel[]
  /**
   * Officer duty over the period (issue 15), for readers who may see officers, of a province, branch or site of
   * up to MAX_DUTY_SITE_DAYS sites × days; absent otherwise (a department's duty is its sites': not asked here).
   */
  duty?: ReportDuty
  generatedAt: number
}

export interface ReportRequest {
  period: PeriodBucket
  scope: ReportScope
  /** The scope's sites the reader may see (already narrowed by role). */
  sites: readonly string[]
  /** Whether the reader's role may see officers' figures (a sheet per officer). */
  officers: boolean
  /** The report is printed: a scope of many sites leaves out its counters and officers (see PRINTED_DETAIL_SITES). */
  printed?: boolean
  nowMs: number
}

/**
 * Above this many sites the printed report leaves out the counter and officer
 * levels: a page cannot show a province's 12,000 counters, any 300 of them
 * would be an arbitrary cut, and reading them was most of a printed province
 * report's time (bench reports). The Excel file carries every level.
 */
export const PRINTED_DETAIL_SITES = 15

export const SHEETS_OF: Record<ScopeLevel, readonly SheetLevel[]> = {
  province: ['branch', 'site', 'department', 'counter', 'officer'],
  branch: ['site', 'department', 'counter', 'officer'],
  site: ['department', 'counter', 'officer'],
  department: ['site', 'counter', 'officer'],
}

const GROUP_BY: Record<SheetLevel, Dimension[]> = {
  branch: ['branch'],
  site: ['site'],
  department: ['department'],
  counter: ['counter', 'department'],
  officer: ['site', 'officer'],
}

/** One string per group key of a sheet level (counters are a site's own, so is an officer's row). */
export function rowKey(level: SheetLevel, k: GroupKey): string {
  switch (level) {
    case 'branch':
      return k.branch ?? NO_BRANCH
    case 'site':
      return k.site ?? ''
    case 'department':
      return k.department ?? ''
    case 'counter':
      return `${k.site}/${k.counter}/${k.department}`
    case 'officer':
      return `${k.site}/${k.officer ?? '-'}`
  }
}

function filterOf(scope: ReportScope, sites: readonly string[], dir: Directory): TagFilter {
  if (scope.level === 'department') return provinceWide({ site: sites, department: [scope.id] }, dir)
  return scope.level === 'province' ? provinceWide({ site: sites }, dir) : { site: sites }
}

export async function buildReport(db: InfluxQuery, dir: Directory, r: ReportRequest): Promise<Report> {
  const names = namesOf(dir)
  const { current, previous } = comparisonOf(r.period)
  const filter = filterOf(r.scope, r.sites, dir)
  const allowed = SHEETS_OF[r.scope.level].filter((l) => l !== 'officer' || r.officers)
  const summary = r.printed === true && r.sites.length > PRINTED_DETAIL_SITES
  const levels = summary ? allowed.filter((l) => l !== 'counter' && l !== 'officer') : allowed
  const none = r.sites.length === 0
  // The total and every level of a period from one read (the counter cube once, not once per level: bench reports).
  const groupings = [[], ...levels.map((l) => GROUP_BY[l])]
  // Both periods in one read: a province's counter cube is then read once per series, not twice (pairWindow).
  // The total keeps its whole KPIs, each level's rows the few figures a row shows.
  type Kept = RatingKpis | RowKpis
  const keep = (k: RatingKpis, grouping: number): Kept => (grouping === 0 ? k : rowKpis(k))
  const whole = (groups: readonly KeptGroup<Kept>[]): RatingKpis | null => {
    const k = groups[0]?.kpis
    return k && 'levels' in k ? k : null
  }
  const both = async (): Promise<[KeptGroup<Kept>[][], KeptGroup<Kept>[][]]> => {
    if (none) return [groupings.map(() => []), groupings.map(() => [])]
    const read = await queryRatingsBy(db, dir, { period: bothOf({ current, previous }), filter }, groupings, keep)
    const of = (b: PeriodBucket) => read.map((groups) => groups.filter((g) => g.period.label === b.label))
    return [of(current), of(previous)]
  }
  const queueTimes = !none && r.sites.length <= FEW_SITES
  const [[now, before], queue, duty] = await Promise.all([
    both(),
    queueTimes ? readQueue(db, dir, current, filter) : null,
    r.officers && !none && !summary && r.scope.level !== 'department' ? readReportDuty(db, dir, r.sites, current, r.nowMs) : null,
  ])
  // A department's name is a site's: the first site of the scope that names it.
  const departmentName = (id: string, site?: string | null) => {
    if (site) return names.department(site, id)
    for (const s of r.sites) {
      const n = names.department(s, id)
      if (n !== id) return n
    }
    return id
  }
  const rowOf = (level: SheetLevel, k: GroupKey): Omit<ReportRow, 'current' | 'previous' | 'queue'> => {
    const site = k.site ?? ''
    switch (level) {
      case 'branch':
        return { id: k.branch ?? NO_BRANCH, name: k.branch ? names.branch(k.branch) : '', site: null, department: null }
      case 'site':
        return { id: site, name: names.site(site), site: null, department: null }
      case 'department':
        return { id: k.department ?? '', name: departmentName(k.department ?? ''), site: null, department: null }
      case 'counter':
        return { id: `${site}/${k.counter}`, name: names.counter(site, k.counter ?? ''), site: names.site(site), department: departmentName(k.department ?? '', site) }
      case 'officer':
        return { id: `${site}/${k.officer ?? '-'}`, name: k.officer ? names.officer(site, k.officer) : '', site: names.site(site), department: null }
    }
  }
  return {
    period: current,
    previous,
    scope: r.scope,
    subject: subjectName(dir, r.scope, departmentName),
    total: { current: whole(now[0]!), previous: whole(before[0]!), queue: queue?.get('total') ?? null },
    sheets: levels.map((level, i) => {
      const rows = new Map<string, ReportRow>()
      for (const [g, which] of [...now[i + 1]!.map((g) => [g, 'current'] as const), ...before[i + 1]!.map((g) => [g, 'previous'] as const)]) {
        const id = rowKey(level, g.key)
        let row = rows.get(id)
        if (!row) rows.set(id, (row = { ...rowOf(level, g.key), current: null, previous: null, queue: queue?.get(`${level}:${id}`) ?? null }))
        row[which] = g.kpis
      }
      return { level, rows: [...rows.values()].sort(byPlace) }
    }),
    queueTimes,
    leftOut: allowed.filter((l) => !levels.includes(l)),
    // Sites without kiosks have no duty to show; a sheet of nothing would only puzzle.
    ...(duty && (duty.officers.length > 0 || duty.counters.length > 0) ? { duty } : {}),
    generatedAt: r.nowMs,
  }
}

const byPlace = (a: ReportRow, b: ReportRow) => (a.site ?? '').localeCompare(b.site ?? '', 'vi') || a.name.localeCompare(b.name, 'vi') || (a.id < b.id ? -1 : 1)

function subjectName(dir: Directory, scope: ReportScope, departmentName: (id: string) => string): string {
  switch (scope.level) {
    case 'province':
      return dir.province
    case 'branch':
      return scope.id === NO_BRANCH ? '' : dir.branchName(scope.id)
    case 'site':
      return dir.site(scope.id).name
    case 'department':
      return departmentName(scope.id)
  }
}

/**
 * Waiting and service times need single ticket events: read once for the
 * period and grouped by hub/kpi's aggregateQueue for the total and each
 * level (officers have none: ticket events do not name who served).
 */
async function readQueue(db: InfluxQuery, dir: Directory, b: PeriodBucket, filter: TagFilter): Promise<Map<string, QueueKpis>> {
  const { ratings, tickets } = await readFacts(db, dir, {
    ratings: ratingFactsStatement(b.start, b.end, filter, true),
    tickets: ticketFactsStatement(b.start, b.end, filter),
  })
  const out = new Map<string, QueueKpis>()
  const period = b.unit === 'live' ? 'month' : b.unit
  for (const g of aggregateQueue(tickets, ratings, { groupBy: [], period })) out.set('total', g.kpis)
  for (const level of ['branch', 'site', 'department', 'counter'] as const) {
    const groupBy = GROUP_BY[level] as Exclude<Dimension, 'officer'>[]
    for (const g of aggregateQueue(tickets, ratings, { groupBy, period })) out.set(`${level}:${rowKey(level, g.key)}`, g.kpis)
  }
  return out
}

/** The sites a scope covers, of those `visible` lets in (a role's sites); a department's scope is every visible site. */
export function sitesOfScope(dir: Directory, scope: ReportScope, visible: (site: string) => boolean = () => true): string[] {
  const all = dir.sites.map((s) => s.id).filter(visible)
  switch (scope.level) {
    case 'province':
    case 'department':
      return all
    case 'branch':
      return all.filter((id) => (dir.site(id).branch ?? NO_BRANCH) === scope.id)
    case 'site':
      return all.includes(scope.id) ? [scope.id] : []
  }
}
