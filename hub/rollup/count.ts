/**
 * Counts site-days from raw points into rollup cells, for the rollup worker
 * and for KPI queries over days the rollup has not caught up with. A few
 * sites (the usual case: today's busy ones) are counted by InfluxDB, which
 * costs the same for ten ratings or a million. A whole day of many sites (a
 * catch-up) is read as rows, one field with tags per series, which is several
 * times cheaper there, at most ROW_LIMIT per series: a series that hits the
 * limit (a stuck button pressing all day) has its site counted by InfluxDB
 * instead, so a storm of presses never lands in the hub's memory. Ticket
 * events are read whole: a visit is paired before it is placed.
 */
import type { MisuseKind } from '../../protocol/records.js'
import { MISUSE_KINDS } from '../../protocol/records.js'
import { misuseField, pressField } from '../influx/schema.js'
import type { RatingFact } from '../kpi/facts.js'
import type { InfluxQuery, Series } from '../queries/client.js'
import type { Directory } from '../queries/directory.js'
import { ticketFactsOf, ticketFactsStatement } from '../queries/facts.js'
import { tagFilters, timeRange, type TagFilter } from '../queries/influxql.js'
import { COUNT_UP_TO_SITES } from '../queries/planning.js'
import { siteDayCells, type Cell, type CellRating } from './cells.js'
import { DAY_MS } from '../../common/time.js'

export const ROW_LIMIT = 5000
const CELL_TAGS = ['site', 'department', 'counter', 'officer', 'scale', 'level'] as const

/**
 * Cells per site for one local day. `filter.site` names the sites (absent:
 * every site with data that day); other tags narrow the ratings (a query's
 * department, counter or officer filter), never the ticket events.
 */
export async function countSiteDays(db: InfluxQuery, dir: Directory, day: number, filter: TagFilter): Promise<Map<string, Cell[]>> {
  const byCount = filter.site !== undefined && filter.site.length <= COUNT_UP_TO_SITES
  // Many sites are read as the whole day and kept here: a regex of hundreds of ids costs InfluxDB more.
  const wanted = filter.site && !byCount ? new Set(filter.site) : null
  const read = wanted ? { ...filter, site: undefined } : filter
  const where = [timeRange(day, day + DAY_MS), ...tagFilters(read)].join(' AND ')
  const tickets = ticketFactsStatement(day, day + DAY_MS, read.site ? { site: read.site } : {})
  const [ticketSeries, rows] = await db.run(
    byCount ? [tickets] : [tickets, `SELECT "misuse" FROM "rating" WHERE ${where} GROUP BY ${CELL_TAGS.map((t) => `"${t}"`).join(', ')} LIMIT ${ROW_LIMIT}`],
  )
  // Sites InfluxDB counts: the few named ones, or those with a series at the row limit.
  const inDatabase = new Set(
    byCount ? filter.site : (rows ?? []).filter((s) => s.values.length >= ROW_LIMIT && (!wanted || wanted.has(s.tags?.site ?? ''))).map((s) => s.tags?.site ?? ''),
  )
  const ratings = new Map<string, CellRating[]>()
  for (const s of rows ?? []) {
    const t = s.tags ?? {}
    if (!t.site || inDatabase.has(t.site) || (wanted && !wanted.has(t.site))) continue
    const list = ratings.get(t.site) ?? []
    ratings.set(t.site, list)
    for (const row of s.values) list.push(ratingOf(t, row[1]))
  }
  const eventsOf = ticketFactsOf(ticketSeries ?? [], dir).filter((e) => !wanted || wanted.has(e.site))
  const counted = inDatabase.size ? await countInDatabase(db, where, [...inDatabase]) : new Map<string, Cell[]>()
  const out = new Map<string, Cell[]>()
  for (const site of new Set([...ratings.keys(), ...eventsOf.map((t) => t.site), ...counted.keys()])) {
    const siteTickets = eventsOf.filter((t) => t.site === site)
    // Served visits come from the ticket events either way.
    out.set(site, [...(counted.get(site) ?? []), ...siteDayCells(ratings.get(site) ?? [], siteTickets)])
  }
  return out
}

function ratingOf(t: Record<string, string>, misuse: unknown): CellRating {
  return {
    department: t.department ?? '',
    counter: t.counter ?? '',
    // Cells keep the stored officer tag as is ("none" when nobody was signed in).
    officer: t.officer === undefined ? null : t.officer,
    scale: Number(t.scale) as RatingFact['scale'],
    level: Number(t.level),
    misuse: typeof misuse === 'string' && misuse !== '' ? (misuse as MisuseKind) : null,
  }
}

/** Presses and misuse kinds counted by InfluxDB. */
async function countInDatabase(db: InfluxQuery, where: string, sites: string[]): Promise<Map<string, Cell[]>> {
  const scoped = `${where} AND ${tagFilters({ site: sites }).join(' AND ')}`
  const group = ` GROUP BY ${CELL_TAGS.map((t) => `"${t}"`).join(', ')}`
  const results = await db.run([
    `SELECT count("score") FROM "rating" WHERE ${scoped}${group}`,
    ...MISUSE_KINDS.map((k) => `SELECT count("score") FROM "rating" WHERE ${scoped} AND "misuse" = '${k}'${group}`),
  ])
  const cells = new Map<string, Map<string, Cell>>()
  const add = (series: Series[] | undefined, field: (scale: number, level: number) => string) => {
    for (const s of series ?? []) {
      const t = s.tags ?? {}
      const n = Number(s.values[0]?.[1] ?? 0)
      if (!t.site || !n) continue
      const bySite = cells.get(t.site) ?? new Map<string, Cell>()
      cells.set(t.site, bySite)
      const id = `${t.department}\u0000${t.counter}\u0000${t.officer}`
      const cell = bySite.get(id) ?? { tags: { department: t.department!, counter: t.counter!, officer: t.officer! }, fields: {} }
      bySite.set(id, cell)
      const f = field(Number(t.scale), Number(t.level))
      cell.fields[f] = (cell.fields[f] ?? 0) + n
    }
  }
  add(results[0], pressField)
  MISUSE_KINDS.forEach((k, i) => add(results[i + 1], (scale, level) => misuseField(scale, level, k)))
  return new Map([...cells].map(([site, m]) => [site, [...m.values()]]))
}
