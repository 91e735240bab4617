/**
 * Rating KPIs for any grouping and calendar period, read from the daily
 * rollup (hub/rollup). First the site-days whose raw points are newer than
 * their rollup (today, mostly) are looked up; then the smallest cube that
 * carries the question's tags is summed in InfluxDB without those site-days,
 * one row per (period, group), while their raw points are counted with the
 * rollup's own function. So an answer includes every acknowledged rating
 * once, whatever the rollup is doing meanwhile (docs/kpi.md, "Daily rollup").
 * Live windows are short and cut across days: they read raw facts and use
 * hub/kpi directly. The maths is hub/kpi's ratingKpisFromTallies either way.
 */
import { NO_OFFICER } from '../influx/schema.js'
import { byPeriodThenKey, normaliseDimensions, type Dimension, type GroupKey } from '../kpi/grouping.js'
import { aggregateRatings, ratingKpisFromTallies, type LevelTally, type RatingGroup, type RatingKpis } from '../kpi/ratings.js'
import type { PeriodBucket } from '../kpi/time.js'
import { CUBES, STATE_MEASUREMENT, cubeFor, talliesOfRow, type CellTag } from '../rollup/cells.js'
import { countSiteDays } from '../rollup/count.js'
import { mergeSiteDays, siteDaysOf, type SiteDays } from '../rollup/marks.js'
import type { InfluxQuery, Series } from './client.js'
import type { Directory } from './directory.js'
import { ratingFactsStatement, readFacts, ticketFactsStatement } from './facts.js'
import { assertId, localTimeGroup, tagFilters, tagNotIn, timeRange, type TagFilter } from './influxql.js'
import { mapLimit } from './map-limit.js'
import type { PastTurn } from './past-answers.js'
import { pairWindow, periodOfRow, windowsFor, type PeriodChoice, type Window } from './periods.js'
import { BY_DAY_FROM_PERIODS, FEW_SITES, PARALLEL, SPLIT_FROM_SITES } from './planning.js'
import { DAY_MS } from '../../common/time.js'

export interface RatingKpiQuery {
  groupBy: readonly Dimension[]
  period: PeriodChoice
  /** Already narrowed to what the caller may see; `site` undefined = every site. */
  filter: TagFilter
  includeMisuse?: boolean
  /** Answers about past days kept by this instance, under this question's epoch (hub/queries/past-answers.ts). */
  past?: PastTurn
}

/** InfluxDB tags to group on: branch and province are looked up from the site (no tag at all for a one-province hub's province). */
export function influxTags(dims: readonly Dimension[], dir: Directory): CellTag[] {
  const oneProvince = dir.sites.every((s) => s.province === dir.province)
  const tags = new Set<string>()
  for (const d of dims) {
    if (d === 'branch' || (d === 'province' && !oneProvince)) tags.add('site')
    else if (d !== 'province') tags.add(d)
  }
  return (['site', 'department', 'counter', 'officer'] as const).filter((t) => tags.has(t))
}

export function groupKeyOf(tags: Record<string, string>, dims: readonly Dimension[], dir: Directory): GroupKey {
  const key: GroupKey = {}
  for (const d of dims) {
    if (d === 'province' || d === 'branch') key[d] = dir.site(tags.site ?? '')[d]
    else if (d === 'officer') key[d] = tags.officer === NO_OFFICER || tags.officer === undefined ? null : tags.officer
    else key[d] = tags[d] ?? null
  }
  return key
}

const filteredTags = (filter: TagFilter) => (Object.keys(filter) as CellTag[]).filter((t) => filter[t] !== undefined)

/** Site-days in [from, to) whose rollup is behind their raw points. */
export function staleStatement(db: Pick<InfluxQuery, 'rollup'>, fromMs: number, toMs: number, sites: readonly string[] | undefined, half = ''): string {
  const where = [timeRange(fromMs, toMs), ...tagFilters(sites ? { site: sites } : {}), ...(half ? [half] : []), `"changed" != "rolled"`]
  return `SELECT "changed", "rolled" FROM ${db.rollup}"${STATE_MEASUREMENT}" WHERE ${where.join(' AND ')} GROUP BY "site"`
}

export const staleSiteDays = (series: readonly Series[], sites?: readonly string[]): SiteDays =>
  siteDaysOf(series, new Map(), sites ? (site) => sites.includes(site) : undefined)

/**
 * A cube sum over SPLIT_FROM_SITES sites or more runs as two statements on two
 * halves of the sites (hub/queries/planning.ts). With `rest`, the second half
 * is "every other site", so a site missing from the directory still counts.
 */
export function siteHalves(sites: readonly string[], rest: boolean): string[] {
  if (sites.length < SPLIT_FROM_SITES) return ['']
  const first = sites.slice(0, Math.ceil(sites.length / 2))
  const firstIds = first.map(assertId).join('|')
  return [`"site" =~ /^(${firstIds})$/`, rest ? `"site" !~ /^(${firstIds})$/` : `"site" =~ /^(${sites.slice(first.length).map(assertId).join('|')})$/`]
}

/** Field names met in the answers, each with its place in the accumulators' sums (`sum_n4_2` and `n4_2` are one). */
function fieldIndex() {
  const names: string[] = []
  const at = new Map<string, number>()
  return {
    names,
    /** Each column's place; -1 for the time column. */
    of(columns: readonly string[]): number[] {
      return columns.map((c) => {
        if (c === 'time') return -1
        const name = c.replace(/^sum_/, '')
        let i = at.get(name)
        if (i === undefined) at.set(name, (i = names.push(name) - 1))
        return i
      })
    },
  }
}

interface Acc {
  key: GroupKey
  period: PeriodBucket
  sums: number[]
}

/** A row's non-zero counts as [place, count, …]: most of a cube row's fields are empty, and a row feeds several groupings. */
function nonZero(places: readonly number[], row: readonly unknown[]): number[] {
  const out: number[] = []
  for (let i = 0; i < places.length; i++) {
    const value = row[i]
    if (places[i]! >= 0 && typeof value === 'number' && value !== 0) out.push(places[i]!, value)
  }
  return out
}

/**
 * Adds rows into (period, group) accumulators, keyed like hub/kpi's groups.
 * Rows are summed field by field and turned into tallies once per group: a
 * province's counters and officers are ~25,000 groups from as many rows, and
 * decoding each row into tallies took most of a report's hub CPU and memory.
 */
function accumulator(dims: readonly Dimension[], dir: Directory, fields: ReturnType<typeof fieldIndex>) {
  const groups = new Map<string, Acc>()
  return {
    /** `counts`: a row's non-zero fields as [place, count, place, count, …] (nonZero). */
    add(period: PeriodBucket, tags: Record<string, string>, counts: readonly number[]) {
      const key = groupKeyOf(tags, dims, dir)
      const id = `${period.label}\u0002${dims.map((d) => key[d] ?? '\u0001').join('\u0000')}`
      let acc = groups.get(id)
      if (!acc) groups.set(id, (acc = { key, period, sums: [] }))
      for (let i = 0; i < counts.length; i += 2) acc.sums[counts[i]!] = (acc.sums[counts[i]!] ?? 0) + counts[i + 1]!
    },
    /** Groups with something to show: a rating, or (when served tickets count) a served visit; one at a time. */
    *groups(withTickets: boolean): Generator<{ key: GroupKey; period: PeriodBucket; tallies: LevelTally[]; served: number }> {
      for (const g of groups.values()) {
        const { tallies, served } = talliesOfRow(fields.names, g.sums)
        if (tallies.length || (withTickets && served > 0)) yield { key: g.key, period: g.period, tallies, served }
      }
    },
  }
}

/** A stretch of a window summed in one go; `exclude` names the sites left out of it (their days are counted from raw points). */
export interface CubePart {
  window: Window
  fromMs: number
  toMs: number
  exclude?: string[]
}

/**
 * Cuts each window around its stale site-days: the days in between are summed
 * as they are, and each run of consecutive days with the same stale sites is
 * summed without those sites (a backfill, where every site of every day is
 * stale, is one part per window).
 */
export function cubeParts(windows: readonly Window[], stale: SiteDays): CubePart[] {
  const days = [...stale.keys()].sort((a, b) => a - b)
  const out: CubePart[] = []
  for (const w of windows) {
    let from = w.fromMs
    let run: CubePart | null = null
    for (const day of days) {
      if (day < w.fromMs || day >= w.toMs) continue
      const sites = [...stale.get(day)!].sort()
      if (run && run.toMs === day && run.exclude!.join() === sites.join()) {
        from = run.toMs = day + DAY_MS
        continue
      }
      if (from < day) out.push({ window: w, fromMs: from, toMs: day })
      out.push((run = { window: w, fromMs: day, toMs: day + DAY_MS, exclude: sites }))
      from = run.toMs
    }
    if (from < w.toMs) out.push({ window: w, fromMs: from, toMs: w.toMs })
  }
  return out
}

/** A part of two days or more as two parts, split at a local midnight. */
export function halvesOfDays(part: CubePart): CubePart[] {
  const days = Math.floor((part.toMs - part.fromMs) / DAY_MS)
  if (days < 2) return [part]
  const mid = part.fromMs + Math.floor(days / 2) * DAY_MS
  return [
    { ...part, toMs: mid },
    { ...part, fromMs: mid },
  ]
}

/** A part cut in two at `at` when it spans it (the last past day's end: what is before may be kept). */
export function splitAt(part: CubePart, at: number): CubePart[] {
  return part.fromMs < at && at < part.toMs ? [{ ...part, toMs: at }, { ...part, fromMs: at }] : [part]
}

/**
 * The stale site-days of a question's past days. Province-wide, from what this
 * instance keeps (reading only the days it does not know); for some sites,
 * only the stretch of days kept as stale somewhere (no other past day can be)
 * is read for them, or every past day when nothing is kept.
 */
async function stalePast(
  past: PastTurn, look: (fromMs: number, toMs: number, only?: readonly string[]) => Promise<SiteDays>, fromMs: number, toMs: number, only: readonly string[] | undefined,
): Promise<SiteDays> {
  const to = Math.min(toMs, past.horizon)
  if (!only) return new Map([...(await past.staleEverywhere(fromMs, look))].filter(([day]) => day < to))
  const days = past.maybeStale(fromMs)?.filter((day) => day < to)
  if (days === undefined) return look(fromMs, to, only)
  return days.length ? look(days[0]!, days.at(-1)! + DAY_MS, only) : new Map()
}

export async function queryRatingKpis(db: InfluxQuery, dir: Directory, q: RatingKpiQuery): Promise<RatingGroup[]> {
  return (await queryRatingKpisBy(db, dir, q, [q.groupBy]))[0]!
}

/**
 * For a province-wide scope (the province, a department across it): a site
 * filter naming every site of the directory is no filter. Without it the
 * figures come from the province cube (a series per department) instead of
 * the site cube through a regex of every site id, several times slower for
 * 600 sites (bench reports). Sites only in the data (since removed from the
 * config) then count too, as they do for the IOC API. Never for a narrower
 * scope: a site's figures must not take in a site the directory lacks.
 */
export function provinceWide(filter: TagFilter, dir: Directory): TagFilter {
  if (!filter.site || filter.site.length < dir.sites.length) return filter
  const named = new Set(filter.site)
  if (!dir.sites.every((s) => named.has(s.id))) return filter
  const rest = { ...filter }
  delete rest.site
  return rest
}

/**
 * Several groupings of one question from one read: the statements group by
 * every tag any grouping needs, and each grouping is summed here from those
 * rows. A province report's levels (branches to officers) then read the
 * counter cube once per period instead of once per level: in InfluxDB 1.x a
 * GROUP BY that merges series costs more than the hub's sums (bench reports).
 */
export function queryRatingKpisBy(
  db: InfluxQuery, dir: Directory, q: Omit<RatingKpiQuery, 'groupBy'>, groupings: readonly (readonly Dimension[])[],
): Promise<RatingGroup[][]> {
  return queryRatingsBy(db, dir, q, groupings, (kpis) => kpis)
}

/** A group of a read, its KPIs kept as `keep` makes them. */
export interface KeptGroup<T> {
  key: GroupKey
  period: PeriodBucket
  kpis: T
}

/**
 * queryRatingKpisBy, each group's KPIs kept as `keep` makes them (of grouping
 * `i`), as soon as they are made: a province report's ~50,000 counter and
 * officer groups held as whole RatingKpis were ~100 MB of the hub's peak
 * (bench reports); its rows keep a few figures.
 */
export async function queryRatingsBy<T>(
  db: InfluxQuery, dir: Directory, q: Omit<RatingKpiQuery, 'groupBy'>, groupings: readonly (readonly Dimension[])[],
  keep: (kpis: RatingKpis, grouping: number) => T,
): Promise<KeptGroup<T>[][]> {
  const each = groupings.map((g) => {
    const dims = normaliseDimensions(g)
    // Ticket events do not name the officer: served tickets per officer are unknown (docs/kpi.md).
    return { dims, withTickets: !dims.includes('officer') && !q.filter.officer }
  })
  if (q.period.unit === 'live') {
    return Promise.all(each.map(async (g, i) => (await liveRatingKpis(db, dir, q, g.dims, g.withTickets)).map((x) => ({ ...x, kpis: keep(x.kpis, i) }))))
  }
  const dims = normaliseDimensions(each.flatMap((g) => g.dims))

  const asked = windowsFor(q.period)
  const { bucketAt } = asked
  const tags = influxTags(dims, dir)
  const sites = q.filter.site ?? dir.sites.map((x) => x.id)
  const filtered = filteredTags(q.filter)
  const cube = CUBES[cubeFor([...tags, ...filtered])]
  const siteCube = CUBES[cubeFor([...tags, ...filtered, 'site'])]
  const bySite = (cube.tags as readonly CellTag[]).includes('site')
  // Months, quarters and years are a statement each; for FEW_SITES or fewer and BY_DAY_FROM_PERIODS or more of them,
  // one statement by day, bucketed here (two periods, a drill-down's, are faster as two sums: bench reports). Two
  // periods of a sum read in halves (many sites, or the province cube) are one statement a half (pairWindow).
  const fewSites = q.filter.site !== undefined && q.filter.site.length <= FEW_SITES
  const inHalves = !bySite || sites.length >= SPLIT_FROM_SITES
  const windows: Window[] =
    asked.windows.length >= BY_DAY_FROM_PERIODS && fewSites
      ? [{ fromMs: asked.windows[0]!.fromMs, toMs: asked.windows.at(-1)!.toMs, timeGroup: localTimeGroup('day') }]
      : asked.windows.length === 2 && asked.windows.every((w) => w.bucket) && inHalves
        ? [pairWindow(asked.windows[0]!.bucket!, asked.windows[1]!.bucket!)]
        : asked.windows

  // First the stale site-days, and only then the cubes: the rollup rewrites a site-day's cubes only while its state
  // says stale, so the cube of every site-day not stale now holds what its raw points held when it was last marked.
  // Over a year this reads every site-day's state: halves again, run on both cores.
  const look = async (fromMs: number, toMs: number, only = q.filter.site) => {
    const series = await Promise.all(siteHalves(only ?? sites, !only).map(async (half) => (await db.run([staleStatement(db, fromMs, toMs, only, half)]))[0] ?? []))
    return staleSiteDays(series.flat(), only)
  }
  const fromMs = windows[0]!.fromMs
  const toMs = windows.at(-1)!.toMs
  const { past } = q
  const staleDays =
    past && fromMs < past.horizon
      ? mergeSiteDays(...(await Promise.all([stalePast(past, look, fromMs, toMs, q.filter.site), toMs > past.horizon ? look(past.horizon, toMs) : new Map()])))
      : await look(fromMs, toMs)
  const days = [...staleDays.keys()]

  // The cubes without the stale site-days (never "minus what the cube held for them": a rewrite may be landing in
  // that very cube as it is read), and those site-days counted from their raw points, at the same time.
  const halves = bySite ? siteHalves(sites, !q.filter.site) : ['']
  // The province cube has no site to halve on: a stretch of days is summed as two halves of its days instead.
  const parts = cubeParts(windows, staleDays)
    .flatMap((part) => (past ? splitAt(part, past.horizon) : [part]))
    .flatMap((part) => (bySite || part.exclude ? [part] : halvesOfDays(part)))
  const statements = parts.flatMap((part) => {
    const group = [...(part.window.timeGroup ? [part.window.timeGroup] : []), ...tags.map((t) => `"${t}"`)]
    const statement = (measurement: string, extra: string) => {
      const where = [timeRange(part.fromMs, part.toMs), ...tagFilters(q.filter), ...(extra ? [extra] : [])]
      return {
        part,
        text:
          `SELECT sum(*) FROM ${db.rollup}"${measurement}" WHERE ${where.join(' AND ')}` +
          (group.length ? ` GROUP BY ${group.join(', ')}` : '') +
          (part.window.timeGroup ? ' fill(none)' : ''),
      }
    }
    return part.exclude ? [statement(siteCube.measurement, tagNotIn('site', part.exclude))] : halves.map((half) => statement(cube.measurement, half))
  })
  // Each answer is summed as it streams in: a province's counter cube held whole was hundreds of MB (bench reports).
  const fields = fieldIndex()
  const accs = each.map((g) => accumulator(g.dims, dir, fields))
  const addSeries = (part: CubePart, s: Series) => {
    const places = fields.of(s.columns)
    for (const row of s.values) {
      const counts = nonZero(places, row)
      if (counts.length === 0) continue
      const period = periodOfRow(part.window, Number(row[0]), bucketAt)
      for (const acc of accs) acc.add(period, s.tags ?? {}, counts)
    }
  }
  const [, fresh] = await Promise.all([
    mapLimit(statements, PARALLEL, ({ part, text }) => {
      const read = (onSeries: (s: Series) => void) => db.each(text, onSeries)
      const onSeries = (s: Series) => addSeries(part, s)
      return past ? past.answer(text, part.fromMs, part.toMs, read, onSeries) : read(onSeries)
    }),
    mapLimit(days, PARALLEL, (day) => countSiteDays(db, dir, day, { ...q.filter, site: [...staleDays.get(day)!] })),
  ])

  const wanted = (cellTags: Record<CellTag, string>) => filtered.every((t) => q.filter[t]!.includes(cellTags[t]))
  days.forEach((day, i) => {
    for (const [site, cells] of fresh[i]!) {
      if (!staleDays.get(day)!.has(site)) continue
      for (const cell of cells) {
        const cellTags = { ...cell.tags, site } as Record<CellTag, string>
        if (!wanted(cellTags)) continue
        const counts = nonZero(fields.of(Object.keys(cell.fields)), Object.values(cell.fields))
        for (const acc of accs) acc.add(bucketAt(day), cellTags, counts)
      }
    }
  })
  // Each accumulator is let go as soon as its groups are made, so only one grouping's sums and KPIs are held whole.
  return each.map(({ dims: groupDims, withTickets }, i) => {
    const out: KeptGroup<T>[] = []
    for (const g of accs.shift()!.groups(withTickets)) {
      const kpis = ratingKpisFromTallies(g.tallies, { includeMisuse: q.includeMisuse, ticketsServed: withTickets ? g.served : null })
      out.push({ key: g.key, period: g.period, kpis: keep(kpis, i) })
    }
    return out.sort(byPeriodThenKey(groupDims))
  })
}

async function liveRatingKpis(db: InfluxQuery, dir: Directory, q: Omit<RatingKpiQuery, 'groupBy'>, dims: Dimension[], withTickets: boolean): Promise<RatingGroup[]> {
  if (q.period.unit !== 'live') throw new RangeError('not a live period')
  const { windows } = windowsFor(q.period)
  const { fromMs, toMs } = windows[0]!
  const { ratings, tickets } = await readFacts(db, dir, {
    ratings: ratingFactsStatement(fromMs, toMs, q.filter),
    tickets: withTickets ? ticketFactsStatement(fromMs, toMs, q.filter) : undefined,
  })
  return aggregateRatings(ratings, {
    groupBy: dims,
    period: { unit: 'live', now: q.period.nowMs, windowMs: q.period.windowMs },
    includeMisuse: q.includeMisuse,
    tickets: withTickets ? tickets : undefined,
  })
}
