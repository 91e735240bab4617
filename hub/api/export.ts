/**
 * Raw ratings: a JSON page with a cursor, and the same rows as CSV for
 * spreadsheets. Raw rows name officers and tickets, so each export (and each
 * event stream, stream.ts) is on the audit log before a row is sent, and is
 * refused when it cannot be recorded (issue 11, finding 9).
 */
import { MotcuaError } from '../../common/errors.js'
import { decodeCursor, MAX_PAGE, queryRawRatings, type RawRating } from '../queries/raw.js'
import type { Directory } from '../queries/directory.js'
import type { TagFilter } from '../queries/influxql.js'
import { sendJson } from '../../common/web/answer.js'
import { clientAddress } from '../../common/web/forwarded.js'
import type { ApiDeps, ApiHandler, ApiRequest } from './context.js'
import { filters, int, invalid, matchesNothing, time } from './params.js'

/** A CSV export stops here; the IOC pages through longer spans by date. */
export const MAX_CSV_ROWS = 1_000_000
const CSV_PAGE = 5000

function range({ query }: ApiRequest, now: number) {
  const to = time(query, 'to') ?? now + 1
  const from = time(query, 'from') ?? to - 86_400_000
  if (!(to > from)) throw invalid('"to" must be after "from"')
  return { from, to }
}

/** Puts an export of raw rows on the audit log, the key as the user; throws HUB_AUDIT_UNAVAILABLE (503) when it cannot. */
export async function recordExport({ req, key }: ApiRequest, deps: ApiDeps, filter: TagFilter): Promise<void> {
  const site = filter.site?.length === 1 ? filter.site[0] : undefined
  try {
    await deps.audit.record({ action: 'export', who: { username: key.id, role: 'api' }, site, detail: req.url ?? '', client: clientAddress(req) })
  } catch (err) {
    throw new MotcuaError('HUB_AUDIT_UNAVAILABLE', undefined, { cause: err })
  }
}

export const ratingsPage: ApiHandler = async (r, deps) => {
  const { from, to } = range(r, deps.now())
  const filter = filters(r.query, r.key, deps.dir, r.pathSite)
  const limit = int(r.query, 'limit', 1, MAX_PAGE, 100)
  const rawCursor = r.query.get('cursor')
  const cursor = rawCursor ? decodeCursor(rawCursor) : null
  if (rawCursor && !cursor) throw invalid('cursor: not a cursor this API gave out')
  await recordExport(r, deps, filter)
  const page = matchesNothing(filter) ? { items: [], next: null } : await queryRawRatings(deps.db, { fromMs: from, toMs: to, filter, limit, cursor })
  sendJson(r.res, 200, { data: page.items.map((row) => withNames(row, deps.dir)), next: page.next, meta: { from, to, limit } })
}

export type NamedRawRating = RawRating & { siteName: string; departmentName: string; counterName: string; officerName: string | null }

/** A raw row with the names people read next to its ids (issue 15): as of now, from the hub config and the site's directory. */
export function withNames(r: RawRating, dir: Directory): NamedRawRating {
  return {
    ...r,
    siteName: dir.site(r.site).name,
    departmentName: dir.departmentName(r.site, r.department),
    counterName: dir.counterName(r.site, r.counter),
    officerName: r.officer === null ? null : dir.officerName(r.site, r.officer),
  }
}


export const CSV_COLUMNS = [
  'time', 'site', 'siteName', 'department', 'departmentName', 'counter', 'counterName', 'officer', 'officerName',
  'device', 'scale', 'level', 'score', 'dissatisfied', 'misuse', 'ticket', 'reasons', 'eventId',
] as const

/** RFC 4180: quote a field holding a comma, quote or line break; ids and enums never do. */
export function csvField(v: unknown): string {
  const s = v === null || v === undefined ? '' : Array.isArray(v) ? v.join(' ') : String(v)
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

export const csvRow = (r: NamedRawRating): string => CSV_COLUMNS.map((c) => csvField(r[c])).join(',') + '\r\n'

export const ratingsCsv: ApiHandler = async (r, deps) => {
  const { from, to } = range(r, deps.now())
  const filter = filters(r.query, r.key, deps.dir, r.pathSite)
  await recordExport(r, deps, filter)
  // The first page is read before the header goes out, so a database failure is still a proper error answer.
  let page = matchesNothing(filter) ? { items: [], next: null } : await queryRawRatings(deps.db, { fromMs: from, toMs: to, filter, limit: CSV_PAGE, cursor: null })
  r.res.writeHead(200, {
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': `attachment; filename="ratings-${from}-${to}.csv"`,
  })
  // A BOM makes Excel read the Vietnamese names as UTF-8.
  r.res.write(`\uFEFF${CSV_COLUMNS.join(',')}\r\n`)
  let rows = 0
  for (;;) {
    r.res.write(page.items.map((row) => csvRow(withNames(row, deps.dir))).join(''))
    rows += page.items.length
    if (!page.next || rows >= MAX_CSV_ROWS || r.res.destroyed) break
    const cursor = decodeCursor(page.next)
    page = await queryRawRatings(deps.db, { fromMs: from, toMs: to, filter, limit: CSV_PAGE, cursor })
  }
  r.res.end()
  deps.log.info({ key: r.key.id, rows, from, to }, 'ratings exported')
}
