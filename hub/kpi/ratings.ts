/**
 * Rating KPIs for any grouping and period. Scores are the stored normalised
 * scores (protocol/scales.ts), so 3-, 4- and 5-level scales average together.
 * Misuse-flagged presses (edge/ingest: rapid, stuck, excess) are counted and
 * reported but left out of every score unless `includeMisuse` is set.
 */
import { MISUSE_KINDS, type MisuseKind } from '../../protocol/records.js'
import { SCALES, SCALE_SIZES, type ScaleSize } from '../../protocol/scales.js'
import type { RatingFact, TicketFact } from './facts.js'
import {
  byPeriodThenKey,
  groupByKeyAndPeriod,
  normaliseDimensions,
  type Dimension,
  type Group,
  type GroupKey,
} from './grouping.js'
import { satisfaction766OfRatings, type Satisfaction766 } from './decision766.js'
import { pairTickets, visitTime, type TicketVisit } from './queue.js'
import type { PeriodBucket, PeriodSpec } from './time.js'

export interface LevelCount {
  scale: ScaleSize
  level: number
  vi: string
  en: string
  count: number
  /** Of all counted ratings in the group, whatever their scale. */
  share: number | null
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

/** KPIs of one set of ratings (one group). `ticketsServed` is passed in when known. */
export function ratingKpis(
  ratings: readonly RatingFact[],
  opts: { includeMisuse?: boolean; ticketsServed?: number | null } = {},
): RatingKpis {
  const includeMisuse = opts.includeMisuse ?? false
  const misuseByKind = Object.fromEntries(MISUSE_KINDS.map((k) => [k, 0])) as Record<MisuseKind, number>
  const perScale = new Map<ScaleSize, number[]>()
  let counted = 0
  let scoreSum = 0
  let dissatisfied = 0
  for (const r of ratings) {
    if (r.misuse !== null) misuseByKind[r.misuse]++
    if (r.misuse !== null && !includeMisuse) continue
    counted++
    scoreSum += r.score
    if (r.dissatisfied) dissatisfied++
    const counts = perScale.get(r.scale) ?? new Array<number>(r.scale).fill(0)
    counts[r.level - 1]!++
    perScale.set(r.scale, counts)
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
    presses: ratings.length,
    counted,
    misuse: MISUSE_KINDS.reduce((n, k) => n + misuseByKind[k], 0),
    misuseByKind,
    levels,
    dissatisfied,
    satisfactionIndex: counted === 0 ? null : scoreSum / counted,
    dissatisfiedShare: counted === 0 ? null : dissatisfied / counted,
    ticketsServed,
    ratingsPerTicket: ticketsServed ? counted / ticketsServed : null,
    decision766: satisfaction766OfRatings(ratings),
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
