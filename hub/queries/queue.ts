/**
 * Queue KPIs need single ticket events (a visit pairs its issue, calls and
 * finish), so they read a site's or a few sites' events for the period and
 * hand them to hub/kpi's aggregateQueue. The API asks for a site filter or a
 * short period before calling this (docs/api.md).
 */
import { aggregateQueue, type QueueGroup } from '../kpi/queue.js'
import type { Dimension } from '../kpi/grouping.js'
import type { InfluxQuery } from './client.js'
import type { Directory } from './directory.js'
import { readFacts, ratingFactsStatement, ticketFactsStatement } from './facts.js'
import type { TagFilter } from './influxql.js'
import { windowsFor, type PeriodChoice } from './periods.js'

export interface QueueKpiQuery {
  groupBy: readonly Exclude<Dimension, 'officer'>[]
  period: PeriodChoice
  filter: Omit<TagFilter, 'officer'>
  includeMisuse?: boolean
}

export async function queryQueueKpis(db: InfluxQuery, dir: Directory, q: QueueKpiQuery): Promise<QueueGroup[]> {
  const { windows } = windowsFor(q.period)
  const fromMs = windows[0]!.fromMs
  const toMs = windows.at(-1)!.toMs
  const { ratings, tickets } = await readFacts(db, dir, {
    ratings: ratingFactsStatement(fromMs, toMs, q.filter, true),
    tickets: ticketFactsStatement(fromMs, toMs, q.filter),
  })
  const period = q.period.unit === 'live' ? { unit: 'live' as const, now: q.period.nowMs, windowMs: q.period.windowMs } : q.period.unit
  return aggregateQueue(tickets, ratings, { groupBy: q.groupBy, period, includeMisuse: q.includeMisuse })
}
