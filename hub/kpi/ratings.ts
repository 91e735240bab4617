/**
 * Rating KPIs for any grouping and period. Scores are the stored normalised
 * scores (protocol/scales.ts), so 3-, 4- and 5-level scales average together.
 * Misuse-flagged presses (edge/ingest: rapid, stuck, excess) are counted and
 * reported but left out of every score unless `includeMisuse` is set.
 */
import { MISUSE_KINDS, type MisuseKind } from '../../protocol/records.js'
import { SCALES, SCALE_SIZES, isDissatisfied, normalisedScore, type ScaleSize } from '../../protocol/scales.js'
import type { RatingFact, TicketFact } from './facts.js'
import {
  byPeriodThenKey,
  groupByKeyAndPeriod,
  normaliseDimensions,
  type Dimension,
  type Group,
  type GroupKey,
} from './grouping.js'
import { satisfaction766, type Satisfaction766 } from './decision766.js'
import { pairTickets, visitTime, type TicketVisit } from './queue.js'
import type { PeriodBucket, PeriodSpec } from './time.js'

export interface LevelCount {
  scale: ScaleSize
  level: number
  vi: string
  en: string
  count: number
  /** Of all counted ratings in the group, whatever their scale. */
  share: number
}

export interface RatingKpis {
  /** Every press, misuse included. */
  presses: number
  /** Presses that enter the scores below. */
  counted: number
  misuse: number
  misuseByKind: Record<MisuseKind, number>
  /** Every level of every scale present among counted ratings, zeros included; scale then level order. */
  levels: LevelCount[]
  dissatisfied: number
  /** Mean normalised score, 0–100; null when nothing was counted. */
  satisfactionIndex: number | null
  dissatisfiedShare: number | null
  /** Tickets served in the same group and period; null when unknown (no ticket data, or grouped by officer). */
  ticketsServed: number | null
  ratingsPerTicket: number | null
  /** Decision 766 satisfaction component; always without misuse presses (decision766.ts). */
  decision766: Satisfaction766
}

export interface RatingAggregateOptions {
  groupBy: readonly Dimension[]
  period: PeriodSpec
  includeMisuse?: boolean
  /** Queue ticket events, for ratings per ticket served; groups with tickets but no rating appear too. */
  tickets?: readonly TicketFact[]
}

export interface RatingGroup {
  key: GroupKey
  period: PeriodBucket
  kpis: RatingKpis
}

/**
 * Ratings of one scale, level and misuse flag, counted: what ratingKpis
 * reduces facts to, and what a database can return for a GROUP BY query.
 */
export interface LevelTally {
  scale: ScaleSize
  level: number
  misuse: MisuseKind | null
  count: number
}

export interface RatingKpiOptions {
  includeMisuse?: boolean
  /** Tickets served in the same group and period, when known. */
  ticketsServed?: number | null
}

/** KPIs of one set of ratings (one group). */
export function ratingKpis(ratings: readonly RatingFact[], opts: RatingKpiOptions = {}): RatingKpis {
  const tallies = new Map<number, LevelTally>()
  for (const r of ratings) {
    const id = r.scale * 100 + r.level * 10 + (r.misuse === null ? 0 : MISUSE_KINDS.indexOf(r.misuse) + 1)
    const t = tallies.get(id)
    if (t) t.count++
    else tallies.set(id, { scale: r.scale, level: r.level, misuse: r.misuse, count: 1 })
  }
  return ratingKpisFromTallies([...tallies.values()], opts)
}

/**
 * The same KPIs from counted rows. Scores and the dissatisfied flag come from
 * protocol/scales.ts, the functions the edge used to store them.
 */
export function ratingKpisFromTallies(tallies: readonly LevelTally[], opts: RatingKpiOptions = {}): RatingKpis {
  const includeMisuse = opts.includeMisuse ?? false
  const misuseByKind = Object.fromEntries(MISUSE_KINDS.map((k) => [k, 0])) as Record<MisuseKind, number>
  const perScale = new Map<ScaleSize, number[]>()
  let presses = 0
  let counted = 0
  let scoreSum = 0
  let dissatisfied = 0
  let rated766 = 0
  let dissatisfied766 = 0
  for (const { scale, level, misuse, count } of tallies) {
    presses += count
    const unhappy = isDissatisfied(scale, level) ? count : 0
    if (misuse === null) {
      rated766 += count
      dissatisfied766 += unhappy
    } else {
      misuseByKind[misuse] += count
      if (!includeMisuse) continue
    }
    counted += count
    scoreSum += count * normalisedScore(scale, level)
    dissatisfied += unhappy
    const counts = perScale.get(scale) ?? new Array<number>(scale).fill(0)
    counts[level - 1]! += count
    perScale.set(scale, counts)
  }
  const levels: LevelCount[] = []
  for (const scale of SCALE_SIZES) {
    const counts = perScale.get(scale)
    if (!counts) continue
    counts.forEach((count, i) => {
      const label = SCALES[scale][i]!
      levels.push({ scale, level: i + 1, vi: label.vi, en: label.en, count, share: count / counted })
    })
  }
  const ticketsServed = opts.ticketsServed ?? null
  return {
    presses,
    counted,
    misuse: MISUSE_KINDS.reduce((n, k) => n + misuseByKind[k], 0),
    misuseByKind,
    levels,
    dissatisfied,
    satisfactionIndex: counted === 0 ? null : scoreSum / counted,
    dissatisfiedShare: counted === 0 ? null : dissatisfied / counted,
    ticketsServed,
    ratingsPerTicket: ticketsServed ? counted / ticketsServed : null,
    decision766: satisfaction766(rated766, dissatisfied766),
  }
}

const isServed = (v: TicketVisit) => v.finishedAt !== null && v.serviceStartAt !== null

export function aggregateRatings(ratings: readonly RatingFact[], opts: RatingAggregateOptions): RatingGroup[] {
  const dims = normaliseDimensions(opts.groupBy)
  const groups = groupByKeyAndPeriod<RatingFact>(ratings, (r) => r.t, dims, opts.period)
  // Ticket events do not name the officer, so served tickets per officer are unknown.
  const ticketsKnown = opts.tickets !== undefined && !dims.includes('officer')
  const served = new Map<string, Group<TicketVisit>>()
  if (ticketsKnown) {
    const visits = pairTickets(opts.tickets ?? []).filter(isServed)
    groupByKeyAndPeriod(visits, visitTime, dims, opts.period, served)
    for (const [id, g] of served) {
      if (!groups.has(id)) groups.set(id, { key: g.key, period: g.period, items: [] })
    }
  }
  return [...groups]
    .map(([id, g]) => ({
      key: g.key,
      period: g.period,
      kpis: ratingKpis(g.items, {
        includeMisuse: opts.includeMisuse,
        ticketsServed: ticketsKnown ? (served.get(id)?.items.length ?? 0) : null,
      }),
    }))
    .sort(byPeriodThenKey(dims))
}
