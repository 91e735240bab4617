/**
 * Rating KPIs for any grouping and calendar period, read from the daily
 * rollup (hub/rollup): the smallest cube that carries the question's tags is
 * summed in InfluxDB, one row per (period, group). Site-days whose raw points
 * are newer than their rollup (today, mostly) are left out of the cube sums
 * and counted from the raw points with the rollup's own function, so an
 * answer always includes every acknowledged rating. Live windows are short
 * and cut across days: they read raw facts and use hub/kpi directly. The
 * maths is hub/kpi's ratingKpisFromTallies either way.
 */
import { NO_OFFICER } from '../influx/schema.js'
import { byPeriodThenKey, normaliseDimensions, type Dimension, type GroupKey } from '../kpi/grouping.js'
import { aggregateRatings, ratingKpisFromTallies, type LevelTally, type RatingGroup } from '../kpi/ratings.js'
import type { PeriodBucket } from '../kpi/time.js'
import { CUBES, STATE_MEASUREMENT, cubeFor, siteDayCells, talliesOfRow, type CellTag } from '../rollup/cells.js'
import type { SiteDays } from '../rollup/marks.js'
import type { InfluxQuery, Series } from './client.js'
import type { Directory } from './directory.js'
import { ratingFactsOf, ratingFactsStatement, readFacts, ticketFactsOf, ticketFactsStatement } from './facts.js'
import { assertId, tagFilters, timeRange, type TagFilter } from './influxql.js'
import { windowsFor, type PeriodChoice } from './periods.js'

const DAY_MS = 86_400_000

export interface RatingKpiQuery {
  groupBy: readonly Dimension[]
  period: PeriodChoice
  /** Already narrowed to what the caller may see; `site` undefined = every site. */
  filter: TagFilter
  includeMisuse?: boolean
}

/** InfluxDB tags to group on: branch and province are looked up from the site. */
export function influxTags(dims: readonly Dimension[]): CellTag[] {
  const tags = new Set<string>()
  for (const d of dims) tags.add(d === 'province' || d === 'branch' ? 'site' : d)
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
export function staleStatement(db: InfluxQuery, fromMs: number, toMs: number, sites: readonly string[] | undefined): string {
  const where = [timeRange(fromMs, toMs), ...tagFilters(sites ? { site: sites } : {}), `"changed" != "rolled"`]
  return `SELECT "changed", "rolled" FROM ${db.rollup}"${STATE_MEASUREMENT}" WHERE ${where.join(' AND ')} GROUP BY "site"`
}

export function staleSiteDays(series: readonly Series[]): SiteDays {
  const out: SiteDays = new Map()
  for (const s of series) {
    const site = s.tags?.site
    if (!site) continue
    for (const row of s.values) {
      const day = Number(row[0])
      const sites = out.get(day) ?? new Set<string>()
      out.set(day, sites.add(site))
    }
  }
  return out
}

/** Statements run as separate requests, a few at a time: InfluxDB runs the statements of one request one after another. */
const PARALLEL = 3

async function runParallel(db: InfluxQuery, statements: readonly string[]): Promise<Series[][]> {
  const out: Series[][] = new Array<Series[]>(statements.length)
  let next = 0
  const lane = async () => {
    for (let i = next++; i < statements.length; i = next++) out[i] = (await db.run([statements[i]!]))[0] ?? []
  }
  await Promise.all(Array.from({ length: Math.min(PARALLEL, statements.length) }, lane))
  return out
}

interface Acc {
  key: GroupKey
  period: PeriodBucket
  tallies: Map<string, LevelTally>
  served: number
}

/** Adds counted rows to (period, group) accumulators, keyed like hub/kpi's groups. */
function accumulator(dims: readonly Dimension[], dir: Directory) {
  const groups = new Map<string, Acc>()
  return {
    add(period: PeriodBucket, tags: Record<string, string>, tallies: readonly LevelTally[], served: number) {
      const key = groupKeyOf(tags, dims, dir)
      const id = `${period.label}\u0002${dims.map((d) => key[d] ?? '\u0001').join('\u0000')}`
      let acc = groups.get(id)
      if (!acc) groups.set(id, (acc = { key, period, tallies: new Map(), served: 0 }))
      for (const t of tallies) {
        const tid = `${t.scale}:${t.level}:${t.misuse ?? ''}`
        const have = acc.tallies.get(tid)
        if (have) have.count += t.count
        else acc.tallies.set(tid, { ...t })
      }
      acc.served += served
    },
    groups: () => [...groups.values()],
  }
}

export async function queryRatingKpis(db: InfluxQuery, dir: Directory, q: RatingKpiQuery): Promise<RatingGroup[]> {
  const dims = normaliseDimensions(q.groupBy)
  // Ticket events do not name the officer: served tickets per officer are unknown (docs/kpi.md).
  const withTickets = !dims.includes('officer') && !q.filter.officer
  if (q.period.unit === 'live') return liveRatingKpis(db, dir, q, dims, withTickets)

  const { windows, bucketAt } = windowsFor(q.period)
  const [staleSeries] = await db.run([staleStatement(db, windows[0]!.fromMs, windows.at(-1)!.toMs, q.filter.site)])
  const stale = staleSiteDays(staleSeries ?? [])
  const staleDays = [...stale.keys()].sort((a, b) => a - b)
  const tags = influxTags(dims)
  const { measurement } = CUBES[cubeFor([...tags, ...filteredTags(q.filter)])]
  const sum = (fromMs: number, toMs: number, timeGroup: string | undefined, exclude: readonly string[] = []) => {
    const where = [timeRange(fromMs, toMs), ...tagFilters(q.filter)]
    if (exclude.length) where.push(`"site" !~ /^(${exclude.map(assertId).join('|')})$/`)
    const group = [...(timeGroup ? [timeGroup] : []), ...tags.map((t) => `"${t}"`)]
    return (
      `SELECT sum(*) FROM ${db.rollup}"${measurement}" WHERE ${where.join(' AND ')}` +
      (group.length ? ` GROUP BY ${group.join(', ')}` : '') +
      (timeGroup ? ' fill(none)' : '')
    )
  }

  // Cube sums over whole windows, split around stale days, which are summed without their stale sites.
  const cubeParts: { sql: string; bucket?: PeriodBucket }[] = []
  for (const w of windows) {
    let start = w.fromMs
    for (const day of staleDays) {
      if (day < w.fromMs || day >= w.toMs) continue
      if (day > start) cubeParts.push({ sql: sum(start, day, w.timeGroup), bucket: w.bucket })
      cubeParts.push({ sql: sum(day, day + DAY_MS, undefined, [...stale.get(day)!]), bucket: bucketAt(day) })
      start = day + DAY_MS
    }
    if (start < w.toMs) cubeParts.push({ sql: sum(start, w.toMs, w.timeGroup), bucket: w.bucket })
  }
  // The stale sites' days, from raw points: ratings as filtered, ticket events whole (a visit is paired before it is placed).
  const rawParts: { day: number; sites: string[] }[] = []
  for (const day of staleDays) {
    const sites = [...stale.get(day)!].filter((s) => !q.filter.site || q.filter.site.includes(s))
    if (sites.length) rawParts.push({ day, sites })
  }
  const results = await runParallel(db, [
    ...cubeParts.map((p) => p.sql),
    ...rawParts.flatMap(({ day, sites }) => [
      ratingFactsStatement(day, day + DAY_MS, { ...q.filter, site: sites }),
      ticketFactsStatement(day, day + DAY_MS, { site: sites }),
    ]),
  ])

  const acc = accumulator(dims, dir)
  cubeParts.forEach((part, i) => {
    for (const s of results[i] ?? []) {
      for (const row of s.values) {
        const { tallies, served } = talliesOfRow(s.columns, row)
        if (tallies.length || (withTickets && served)) acc.add(part.bucket ?? bucketAt(Number(row[0])), s.tags ?? {}, tallies, served)
      }
    }
  })
  rawParts.forEach(({ day, sites }, i) => {
    const ratings = ratingFactsOf(results[cubeParts.length + 2 * i] ?? [], dir)
    const tickets = ticketFactsOf(results[cubeParts.length + 2 * i + 1] ?? [], dir)
    for (const site of sites) {
      const cells = siteDayCells(
        ratings.filter((r) => r.site === site),
        tickets.filter((t) => t.site === site),
      )
      for (const cell of cells) {
        const cellTags = { site, ...cell.tags } as Record<CellTag, string>
        if (!filteredTags(q.filter).every((t) => q.filter[t]!.includes(cellTags[t]))) continue
        const { tallies, served } = talliesOfRow(Object.keys(cell.fields), Object.values(cell.fields))
        if (tallies.length || (withTickets && served)) acc.add(bucketAt(day), cellTags, tallies, served)
      }
    }
  })
  return acc
    .groups()
    .map((g) => ({
      key: g.key,
      period: g.period,
      kpis: ratingKpisFromTallies([...g.tallies.values()], { includeMisuse: q.includeMisuse, ticketsServed: withTickets ? g.served : null }),
    }))
    .sort(byPeriodThenKey(dims))
}

async function liveRatingKpis(db: InfluxQuery, dir: Directory, q: RatingKpiQuery, dims: Dimension[], withTickets: boolean): Promise<RatingGroup[]> {
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
