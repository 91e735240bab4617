/**
 * Rating KPIs counted in InfluxDB: one count per (period, tags, scale, level)
 * and misuse kind, never the raw points of a province; the maths is
 * hub/kpi's ratingKpisFromTallies. Misuse is a field, not a tag (it is per
 * press), so each kind is its own statement.
 */
import { MISUSE_KINDS, type MisuseKind } from '../../protocol/records.js'
import type { ScaleSize } from '../../protocol/scales.js'
import { NO_OFFICER } from '../influx/schema.js'
import { byPeriodThenKey, normaliseDimensions, type Dimension, type GroupKey } from '../kpi/grouping.js'
import { ratingKpisFromTallies, type LevelTally, type RatingGroup } from '../kpi/ratings.js'
import type { PeriodBucket } from '../kpi/time.js'
import type { InfluxQuery, Series } from './client.js'
import type { Directory } from './directory.js'
import { countStatement, quote, tagFilters, timeRange, type TagFilter } from './influxql.js'
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
  tallies: LevelTally[]
  served: number
}

export function ratingStatements(w: Window, dims: readonly Dimension[], filter: TagFilter, withTickets: boolean): string[] {
  const tags = influxTags(dims)
  const base = [timeRange(w.fromMs, w.toMs), ...tagFilters(filter)]
  const misuse: (MisuseKind | '')[] = ['', ...MISUSE_KINDS]
  const out = misuse.map((m) =>
    countStatement({ measurement: 'rating', field: 'score', where: [...base, `"misuse" = ${quote(m)}`], groupTags: [...tags, 'scale', 'level'], timeGroup: w.timeGroup }),
  )
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

export async function queryRatingKpis(db: InfluxQuery, dir: Directory, q: RatingKpiQuery): Promise<RatingGroup[]> {
  const dims = normaliseDimensions(q.groupBy)
  const { windows, bucketAt } = windowsFor(q.period)
  // Ticket events do not name the officer: served tickets per officer are unknown (docs/kpi.md).
  const withTickets = !dims.includes('officer') && !q.filter.officer
  const perWindow = withTickets ? MISUSE_KINDS.length + 2 : MISUSE_KINDS.length + 1
  const statements = windows.flatMap((w) => ratingStatements(w, dims, q.filter, withTickets))
  const results = await db.run(statements)
  const groups = new Map<string, Acc>()
  const accFor = (w: Window, s: Series, row: unknown[]): Acc => {
    const period = w.bucket ?? bucketAt(Number(row[0]))
    const key = groupKeyOf(s.tags ?? {}, dims, dir)
    const id = groupId(period, key, dims)
    let acc = groups.get(id)
    if (!acc) groups.set(id, (acc = { key, period, tallies: [], served: 0 }))
    return acc
  }
  windows.forEach((w, wi) => {
    for (let k = 0; k < perWindow; k++) {
      const misuse = k === 0 ? null : (MISUSE_KINDS[k - 1] ?? null)
      const isTickets = k === MISUSE_KINDS.length + 1
      for (const s of results[wi * perWindow + k] ?? []) {
        for (const row of s.values) {
          const count = Number(row[1])
          if (!(count > 0)) continue
          const acc = accFor(w, s, row)
          if (isTickets) acc.served += count
          else acc.tallies.push({ scale: Number(s.tags?.scale) as ScaleSize, level: Number(s.tags?.level), misuse, count })
        }
      }
    }
  })
  return [...groups.values()]
    .map((g) => ({
      key: g.key,
      period: g.period,
      kpis: ratingKpisFromTallies(g.tallies, { includeMisuse: q.includeMisuse, ticketsServed: withTickets ? g.served : null }),
    }))
    .sort(byPeriodThenKey(dims))
}
