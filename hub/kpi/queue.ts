/**
 * Queue KPIs from ticket events. A visit is one queue ticket on one local
 * day at one site: hall queue systems restart numbering every morning, and
 * the number is printed at the reception kiosk (its own counter) but called
 * and finished at the serving counter.
 *
 * - waiting time = first "called" − "issued" (a recall after a no-show is the
 *   citizen's delay, not the queue's);
 * - service time = "finished" − the last "called" before it;
 * - served = the visit has a "finished" event after a call; it belongs to the
 *   counter and department that called it last, and to the period of its
 *   finish (or of its latest event while unfinished).
 * Events out of order (finished before any call) leave the visit unserved.
 */
import type { RatingFact, TicketFact } from './facts.js'
import { byPeriodThenKey, groupByKeyAndPeriod, normaliseDimensions, type Dimension, type GroupKey } from './grouping.js'
import { median, percentileNearestRank } from './stats.js'
import { localDayIndex, type PeriodBucket, type PeriodSpec } from './time.js'

export interface TicketVisit {
  province: string
  branch: string | null
  site: string
  /** The serving counter and its department (of the last call; of the issue when never called). */
  department: string
  counter: string
  ticket: string
  /** Local day number (time.ts localDayIndex); every event of the visit is on this day. */
  day: number
  issuedAt: number | null
  calledAt: number | null
  serviceStartAt: number | null
  finishedAt: number | null
  lastEventAt: number
}

/**
 * Values per (site, local day, ticket). Nested maps rather than one joined
 * string key: a year of a province's tickets is millions of events, and the
 * joined keys were most of the time and garbage of pairing them.
 */
class VisitMap<T> {
  private readonly sites = new Map<string, Map<number, Map<string, T>>>()

  get(site: string, day: number, ticket: string): T | undefined {
    return this.sites.get(site)?.get(day)?.get(ticket)
  }

  set(site: string, day: number, ticket: string, value: T): void {
    let days = this.sites.get(site)
    if (!days) this.sites.set(site, (days = new Map()))
    let tickets = days.get(day)
    if (!tickets) days.set(day, (tickets = new Map()))
    tickets.set(ticket, value)
  }

  *values(): Generator<T> {
    for (const days of this.sites.values()) for (const tickets of days.values()) yield* tickets.values()
  }
}

/** Same-millisecond events keep their natural order. */
const EVENT_ORDER = { issued: 0, called: 1, finished: 2 } as const

export function pairTickets(events: readonly TicketFact[]): TicketVisit[] {
  const byVisit = new VisitMap<TicketFact[]>()
  for (const e of events) {
    const day = localDayIndex(e.t)
    const list = byVisit.get(e.site, day, e.ticket)
    if (list) list.push(e)
    else byVisit.set(e.site, day, e.ticket, [e])
  }
  const visits: TicketVisit[] = []
  for (const list of byVisit.values()) {
    list.sort((a, b) => a.t - b.t || EVENT_ORDER[a.event] - EVENT_ORDER[b.event])
    let issued: TicketFact | undefined
    let firstCall: TicketFact | undefined
    let lastCall: TicketFact | undefined
    let finish: TicketFact | undefined
    for (const e of list) {
      if (e.event === 'issued') issued ??= e
      else if (finish) continue
      else if (e.event === 'called') {
        firstCall ??= e
        lastCall = e
      } else if (firstCall) finish = e
    }
    const first = list[0]!
    const where = lastCall ?? issued ?? first
    visits.push({
      province: first.province,
      branch: first.branch,
      site: first.site,
      department: where.department,
      counter: where.counter,
      ticket: first.ticket,
      day: localDayIndex(first.t),
      issuedAt: issued?.t ?? null,
      calledAt: firstCall?.t ?? null,
      serviceStartAt: lastCall?.t ?? null,
      finishedAt: finish?.t ?? null,
      lastEventAt: list.at(-1)!.t,
    })
  }
  return visits
}

/** The time a visit is reported at: when it was served, or its latest known event. */
export function visitTime(v: TicketVisit): number {
  return v.finishedAt ?? v.lastEventAt
}

/** The visits that ratings name by ticket number. */
export function ratedVisits(ratings: readonly RatingFact[], includeMisuse: boolean): RatedVisits {
  const rated = new VisitMap<true>()
  for (const r of ratings) {
    if (r.ticket !== null && (includeMisuse || r.misuse === null)) rated.set(r.site, localDayIndex(r.t), r.ticket, true)
  }
  return { has: (v) => rated.get(v.site, v.day, v.ticket) === true }
}

export interface RatedVisits {
  has(visit: TicketVisit): boolean
}

export interface QueueKpis {
  /** Visits with a finished event after a call. */
  served: number
  /** Waiting times are over visits that were issued and called (issued ≤ called). */
  waitCount: number
  waitMedianS: number | null
  waitP90S: number | null
  serviceCount: number
  serviceMedianS: number | null
  serviceP90S: number | null
  /** Served visits with at least one rating carrying their ticket number (same site, same local day). */
  rated: number
  ratedShare: number | null
}

export function queueKpis(visits: readonly TicketVisit[], rated: RatedVisits): QueueKpis {
  const waits: number[] = []
  const services: number[] = []
  let served = 0
  let ratedServed = 0
  for (const v of visits) {
    if (v.issuedAt !== null && v.calledAt !== null && v.calledAt >= v.issuedAt) waits.push((v.calledAt - v.issuedAt) / 1000)
    if (v.finishedAt === null || v.serviceStartAt === null) continue
    served++
    services.push((v.finishedAt - v.serviceStartAt) / 1000)
    if (rated.has(v)) ratedServed++
  }
  return {
    served,
    waitCount: waits.length,
    waitMedianS: median(waits),
    waitP90S: percentileNearestRank(waits, 90),
    serviceCount: services.length,
    serviceMedianS: median(services),
    serviceP90S: percentileNearestRank(services, 90),
    rated: ratedServed,
    ratedShare: served === 0 ? null : ratedServed / served,
  }
}

export interface QueueGroup {
  key: GroupKey
  period: PeriodBucket
  kpis: QueueKpis
}

export interface QueueAggregateOptions {
  /** Any dimension but officer: ticket events do not say who served. */
  groupBy: readonly Exclude<Dimension, 'officer'>[]
  period: PeriodSpec
  /** Count a misuse-flagged rating as rating its ticket (default false). */
  includeMisuse?: boolean
}

export function aggregateQueue(
  tickets: readonly TicketFact[],
  ratings: readonly RatingFact[],
  opts: QueueAggregateOptions,
): QueueGroup[] {
  const dims = normaliseDimensions(opts.groupBy)
  const rated = ratedVisits(ratings, opts.includeMisuse ?? false)
  const groups = [...groupByKeyAndPeriod(pairTickets(tickets), visitTime, dims, opts.period).values()]
  return groups
    .map((g) => ({ key: g.key, period: g.period, kpis: queueKpis(g.items, rated) }))
    .sort(byPeriodThenKey(dims))
}
