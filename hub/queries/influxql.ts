/**
 * InfluxQL builders (pure). Nothing from a request reaches a statement
 * unchecked: ids must match ID_PATTERN (no quote, slash or space can pass),
 * times are finite integers, and the few free strings (alert ids) go through
 * `quote`. Tag and measurement names are constants of this module.
 */
import { ID_PATTERN } from '../../protocol/patterns.js'
import { DAY_MS } from '../../common/time.js'

export type TagFilter = Partial<Record<'site' | 'department' | 'counter' | 'officer', readonly string[]>>

const HOUR_MS = 3_600_000

export function assertId(value: string): string {
  if (!ID_PATTERN.test(value)) throw new RangeError(`not an id: ${JSON.stringify(value)}`)
  return value
}

export function assertMs(value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`not a time in ms: ${value}`)
  return value
}

/** A string literal: InfluxQL escapes only the backslash and the single quote inside '…'. */
export function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
}

/** `time >= from AND time < to`, both in ms (point times carry sub-ms nanoseconds, so ms bounds are exact for [from, to)). */
export function timeRange(fromMs: number, toMs: number): string {
  return `time >= ${assertMs(fromMs)}ms AND time < ${assertMs(toMs)}ms`
}

/** `site = 'a'` or a regex alternation of ids; ids need no escaping once validated. */
function tagIn(tag: string, values: readonly string[]): string {
  values.forEach(assertId)
  if (values.length === 1) return `"${tag}" = '${values[0]}'`
  return `"${tag}" =~ /^(${values.join('|')})$/`
}

/** `site != 'a'` or a negated regex alternation: every value of the tag except these. */
export function tagNotIn(tag: 'site' | 'department' | 'counter' | 'officer', values: readonly string[]): string {
  values.forEach(assertId)
  if (values.length === 0) throw new RangeError(`empty ${tag} exclusion`)
  if (values.length === 1) return `"${tag}" != '${values[0]}'`
  return `"${tag}" !~ /^(${values.join('|')})$/`
}

/** Every non-empty filter ANDed; an empty list means "nothing", so the caller never sends one. */
export function tagFilters(filter: TagFilter): string[] {
  const out: string[] = []
  for (const tag of ['site', 'department', 'counter', 'officer'] as const) {
    const values = filter[tag]
    if (!values) continue
    if (values.length === 0) throw new RangeError(`empty ${tag} filter`)
    out.push(tagIn(tag, values))
  }
  return out
}

/**
 * GROUP BY time() for calendar days and ISO weeks in UTC+7. InfluxQL's
 * preset boundaries are multiples of the interval since the epoch
 * (a Thursday, 00:00 UTC); the offset moves them to local midnight (17:00
 * UTC) and, for weeks, on to Monday.
 */
export function localTimeGroup(unit: 'day' | 'week'): string {
  return unit === 'day' ? `time(1d, ${(DAY_MS - 7 * HOUR_MS) / HOUR_MS}h)` : `time(7d, ${(3 * DAY_MS + 17 * HOUR_MS) / HOUR_MS}h)`
}

/** Statements run in one request are separated by ";", which no validated value contains. */
export const joinStatements = (statements: readonly string[]): string => statements.join(';\n')
