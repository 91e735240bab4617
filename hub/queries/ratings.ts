/**
 * Rating KPIs counted in InfluxDB: one count per (period, tags, scale, level),
 * never the raw points of a province; the maths is hub/kpi's
 * ratingKpisFromTallies. Misuse is a field, not a tag (it is per press), so
 * the few flagged presses are read as rows and taken off the counts.
 */
import type { MisuseKind } from '../../protocol/records.js'
import type { ScaleSize } from '../../protocol/scales.js'
import { NO_OFFICER } from '../influx/schema.js'
import { byPeriodThenKey, normaliseDimensions, type Dimension, type GroupKey } from '../kpi/grouping.js'
import { ratingKpisFromTallies, type LevelTally, type RatingGroup } from '../kpi/ratings.js'
import type { PeriodBucket } from '../kpi/time.js'
import { rowsOf, type InfluxQuery, type Series } from './client.js'
import type { Directory } from './directory.js'
import { countStatement, tagFilters, timeRange, type TagFilter } from './influxql.js'
import { windowsFor, type PeriodChoice, type Window } from './periods.js'

export interface RatingKpiQuery {
  groupBy: readonly Dimension[]
  period: PeriodChoice
  /** Already narrowed to what the caller may see; `site` undefined = every site. */
  filter: TagFilter
  includeMisuse?: boolean
}

/** InfluxDB tags to group on: branch and province are looked up from the site. */
export function influxTags(dims: readonly Dimension[]): string[] {
  const tags = new Set<string>()
  for (const d of dims) tags.add(d === 'province' || d === 'branch' ? 'site' : d)
  return ['site', 'department', 'counter', 'officer'].filter((t) => tags.has(t))
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

const groupId = (period: PeriodBucket, key: GroupKey, dims: readonly Dimension[]) =>
  `${period.label}\u0002${dims.map((d) => key[d] ?? '\u0001').join('\u0000')}`

interface Acc {
  key: GroupKey
  period: PeriodBucket
  /** Per "scale:level": every press, and the misuse ones by kind. */
  levels: Map<string, LevelCounts>
  served: number
}

/**
 * Per window: every press counted by tags, scale and level (no field filter,
 * so one pass over the points), the misuse presses as rows (few: a field
 * cannot be grouped on, and one filtered read beats a filtered count per
 * misuse kind), and served tickets when they are known.
 */
export function ratingStatements(w: Window, dims: readonly Dimension[], filter: TagFilter, withTickets: boolean): string[] {
  const tags = influxTags(dims)
  const base = [timeRange(w.fromMs, w.toMs), ...tagFilters(filter)]
  const out = [
    countStatement({ measurement: 'rating', field: 'score', where: base, groupTags: [...tags, 'scale', 'level'], timeGroup: w.timeGroup }),
    `SELECT "misuse", ${[...tags, 'scale', 'level'].map((t) => `"${t}"`).join(', ')} FROM "rating" WHERE ${[...base, `"misuse" != ''`].join(' AND ')}`,
  ]
  if (withTickets) {
    const { officer: _officer, ...ticketFilter } = filter
    out.push(
      countStatement({
        measurement: 'ticket',
        field: 'ticket',
        where: [timeRange(w.fromMs, w.toMs), ...tagFilters(ticketFilter), `"event" = 'finished'`],
        groupTags: tags,
        timeGroup: w.timeGroup,
      }),
    )
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

interface LevelCounts {
  all: number
  misuse: Map<MisuseKind, number>
}

export async function queryRatingKpis(db: InfluxQuery, dir: Directory, q: RatingKpiQuery): Promise<RatingGroup[]> {
  const dims = normaliseDimensions(q.groupBy)
  const { windows, bucketAt } = windowsFor(q.period)
  // Ticket events do not name the officer: served tickets per officer are unknown (docs/kpi.md).
  const withTickets = !dims.includes('officer') && !q.filter.officer
  const perWindow = withTickets ? 3 : 2
  const results = await runParallel(db, windows.flatMap((w) => ratingStatements(w, dims, q.filter, withTickets)))
  const groups = new Map<string, Acc>()
  const accFor = (period: PeriodBucket, tags: Record<string, string>): Acc => {
    const key = groupKeyOf(tags, dims, dir)
    const id = groupId(period, key, dims)
    let acc = groups.get(id)
    if (!acc) groups.set(id, (acc = { key, period, levels: new Map(), served: 0 }))
    return acc
  }
  const levelOf = (acc: Acc, scale: string, level: string): LevelCounts => {
    const id = `${scale}:${level}`
    let l = acc.levels.get(id)
    if (!l) acc.levels.set(id, (l = { all: 0, misuse: new Map() }))
    return l
  }
  windows.forEach((w, wi) => {
    const [counts, misuseRows, served] = results.slice(wi * perWindow, wi * perWindow + perWindow)
    for (const s of counts ?? []) {
      const tags = s.tags ?? {}
      for (const row of s.values) {
        const acc = accFor(w.bucket ?? bucketAt(Number(row[0])), tags)
        levelOf(acc, tags.scale ?? '', tags.level ?? '').all += Number(row[1])
      }
    }
    for (const s of misuseRows ?? []) {
      for (const r of rowsOf(s)) {
        const tags = r as Record<string, string>
        const l = levelOf(accFor(w.bucket ?? bucketAt(Number(r.time)), tags), String(r.scale), String(r.level))
        const kind = String(r.misuse) as MisuseKind
        l.misuse.set(kind, (l.misuse.get(kind) ?? 0) + 1)
      }
    }
    for (const s of served ?? []) {
      for (const row of s.values) accFor(w.bucket ?? bucketAt(Number(row[0])), s.tags ?? {}).served += Number(row[1])
    }
  })
  return [...groups.values()]
    .map((g) => ({
      key: g.key,
      period: g.period,
      kpis: ratingKpisFromTallies(talliesOf(g), { includeMisuse: q.includeMisuse, ticketsServed: withTickets ? g.served : null }),
    }))
    .sort(byPeriodThenKey(dims))
}

function talliesOf(g: Acc): LevelTally[] {
  const out: LevelTally[] = []
  for (const [id, l] of g.levels) {
    const [scale, level] = id.split(':').map(Number) as [ScaleSize, number]
    let genuine = l.all
    for (const [misuse, count] of l.misuse) {
      genuine -= count
      out.push({ scale, level, misuse, count })
    }
    if (genuine > 0) out.push({ scale, level, misuse: null, count: genuine })
  }
  return out
}
