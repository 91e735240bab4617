/**
 * Raw recent ratings, newest first, a page at a time. The cursor is the
 * nanosecond time of the last row sent plus how many rows at exactly that
 * time were sent: point times are t ms + seq ns, so two sites can share one,
 * and a plain "time <" would skip the second.
 */
import { NO_OFFICER } from '../influx/schema.js'
import { rowsOf, type InfluxQuery } from './client.js'
import { assertMs, tagFilters, type TagFilter } from './influxql.js'

export interface RawRating {
  time: string
  site: string
  department: string
  counter: string
  officer: string | null
  device: string
  scale: number
  level: number
  score: number
  dissatisfied: boolean
  misuse: string | null
  ticket: string | null
  reasons: string[]
  eventId: string
}

/** Fields the hub has written with every rating since its first version (hub/influx/points.ts). */
const RATING_FIELDS = ['event_id', 'score', 'dissatisfied', 'misuse', 'ticket', 'reasons', 'seq'] as const

/**
 * One row of `SELECT * FROM rating` as the API shows it; null while the row
 * lacks a field its point was written with. InfluxDB 1.x stores each field
 * of a point apart, and a query running while the point lands can see some
 * of them: the stream once sent such a row as a rating without its event id
 * (fresh-machine run at e6aa849).
 */
export function toRawRating(r: Record<string, unknown>): RawRating | null {
  if (!RATING_FIELDS.every((f) => r[f] !== null && r[f] !== undefined)) return null
  return {
    time: String(r.time),
    site: String(r.site),
    department: String(r.department),
    counter: String(r.counter),
    officer: r.officer === NO_OFFICER ? null : String(r.officer),
    device: String(r.device),
    scale: Number(r.scale),
    level: Number(r.level),
    score: Number(r.score),
    dissatisfied: r.dissatisfied === true,
    misuse: r.misuse ? String(r.misuse) : null,
    ticket: r.ticket ? String(r.ticket) : null,
    reasons: r.reasons ? String(r.reasons).split(',') : [],
    eventId: String(r.event_id),
  }
}

export interface Cursor {
  ns: bigint
  skip: number
}

export const MAX_PAGE = 1000

export function encodeCursor(c: Cursor): string {
  return Buffer.from(`${c.ns}:${c.skip}`).toString('base64url')
}

export function decodeCursor(text: string): Cursor | null {
  const m = /^(\d{1,19}):(\d{1,4})$/.exec(Buffer.from(text, 'base64url').toString('utf8'))
  return m ? { ns: BigInt(m[1]!), skip: Number(m[2]) } : null
}

/** RFC 3339 with up to 9 fractional digits, as InfluxDB returns it, to ns since epoch. */
export function rfc3339ToNs(text: string): bigint {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(text)
  if (!m) throw new RangeError(`not an RFC 3339 time: ${text}`)
  return BigInt(Date.parse(`${m[1]}Z`)) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'))
}

export function rawRatingsStatement(fromMs: number, toMs: number, filter: TagFilter, limit: number, cursor: Cursor | null): string {
  const upper = cursor ? `time <= ${cursor.ns}` : `time < ${assertMs(toMs)}ms`
  if (cursor && cursor.ns < 0n) throw new RangeError('bad cursor')
  const where = [`time >= ${assertMs(fromMs)}ms`, upper, ...tagFilters(filter)]
  const n = limit + (cursor?.skip ?? 0)
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`bad limit ${limit}`)
  return `SELECT * FROM "rating" WHERE ${where.join(' AND ')} ORDER BY time DESC LIMIT ${n}`
}

export interface RatingsPage {
  items: RawRating[]
  next: string | null
}

export async function queryRawRatings(
  db: InfluxQuery,
  q: { fromMs: number; toMs: number; filter: TagFilter; limit: number; cursor: Cursor | null },
): Promise<RatingsPage> {
  const [series] = await db.run([rawRatingsStatement(q.fromMs, q.toMs, q.filter, q.limit, q.cursor)], { ns: true })
  const rows = (series ?? []).flatMap(rowsOf).slice(q.cursor?.skip ?? 0)
  // A rating still landing is left out of its page (it is in the answer to the same question asked a moment
  // later); the cursor counts it among the rows read, so the next page neither repeats nor skips one.
  const items = rows.map(toRawRating).filter((r) => r !== null)
  if (rows.length < q.limit) return { items, next: null }
  const lastNs = rfc3339ToNs(String(rows.at(-1)!.time))
  let sameTime = 0
  for (let i = rows.length - 1; i >= 0 && rfc3339ToNs(String(rows[i]!.time)) === lastNs; i--) sameTime++
  // Rows at the cursor's time sent on earlier pages are still skipped on the next one.
  const carried = q.cursor && q.cursor.ns === lastNs ? q.cursor.skip : 0
  return { items, next: encodeCursor({ ns: lastNs, skip: sameTime + carried }) }
}
