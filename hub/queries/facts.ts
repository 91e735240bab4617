/**
 * Raw points back into hub/kpi facts, for the KPIs that need single events
 * (queue times, alert runs). Only ever for bounded ranges: a site's period
 * or the last hour of a province.
 */
import type { MisuseKind } from '../../protocol/records.js'
import type { ScaleSize } from '../../protocol/scales.js'
import { NO_OFFICER } from '../influx/schema.js'
import type { RatingFact, TicketFact } from '../kpi/facts.js'
import { rowsOf, type InfluxQuery, type Series } from './client.js'
import type { Directory } from './directory.js'
import { tagFilters, timeRange, type TagFilter } from './influxql.js'

const RATING_COLUMNS = ['score', 'dissatisfied', 'misuse', 'ticket', 'site', 'department', 'counter', 'officer', 'scale', 'level']
const TICKET_COLUMNS = ['ticket', 'event', 'site', 'department', 'counter']

const select = (measurement: string, columns: string[], where: string[]) =>
  `SELECT ${columns.map((c) => `"${c}"`).join(', ')} FROM "${measurement}" WHERE ${where.join(' AND ')}`

export function ratingFactsStatement(fromMs: number, toMs: number, filter: TagFilter, onlyWithTicket = false): string {
  return select('rating', RATING_COLUMNS, [timeRange(fromMs, toMs), ...tagFilters(filter), ...(onlyWithTicket ? [`"ticket" != ''`] : [])])
}

export function ticketFactsStatement(fromMs: number, toMs: number, filter: TagFilter): string {
  const { officer: _officer, ...f } = filter
  return select('ticket', TICKET_COLUMNS, [timeRange(fromMs, toMs), ...tagFilters(f)])
}

export async function readFacts(
  db: InfluxQuery,
  dir: Directory,
  statements: { ratings?: string; tickets?: string },
): Promise<{ ratings: RatingFact[]; tickets: TicketFact[] }> {
  const list = [statements.ratings, statements.tickets].filter((s): s is string => s !== undefined)
  const results = await db.run(list)
  return {
    ratings: statements.ratings ? ratingFactsOf(results[0]!, dir) : [],
    tickets: statements.tickets ? ticketFactsOf(results[statements.ratings ? 1 : 0]!, dir) : [],
  }
}

/** Time and place of a row: branch and province come from the site directory. */
function located(r: Record<string, unknown>, dir: Directory) {
  const site = String(r.site)
  const place = dir.site(site)
  return { t: Number(r.time), province: place.province, branch: place.branch, site, department: String(r.department), counter: String(r.counter) }
}

/** Rows of ratingFactsStatement as facts. */
export function ratingFactsOf(series: readonly Series[], dir: Directory): RatingFact[] {
  return series.flatMap(rowsOf).map((r) => ({
    ...located(r, dir),
    officer: r.officer === NO_OFFICER ? null : String(r.officer),
    scale: Number(r.scale) as ScaleSize,
    level: Number(r.level),
    score: Number(r.score),
    dissatisfied: r.dissatisfied === true,
    misuse: r.misuse ? (String(r.misuse) as MisuseKind) : null,
    ticket: r.ticket ? String(r.ticket) : null,
  }))
}

/** Rows of ticketFactsStatement as facts. */
export function ticketFactsOf(series: readonly Series[], dir: Directory): TicketFact[] {
  return series.flatMap(rowsOf).map((r) => ({ ...located(r, dir), ticket: String(r.ticket), event: String(r.event) as TicketFact['event'] }))
}
