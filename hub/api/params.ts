/**
 * Query-string parsing for the KPI API: every parameter is checked here,
 * once, and a bad one is a 400 naming it (HUB_QUERY_INVALID).
 */
import { MotcuaError } from '../../common/errors.js'
import { ID_PATTERN } from '../../protocol/patterns.js'
import { DIMENSIONS, type Dimension } from '../kpi/grouping.js'
import { bucketOf, parsePeriodLabel, PERIOD_UNITS, type PeriodUnit } from '../kpi/time.js'
import type { Directory } from '../queries/directory.js'
import type { TagFilter } from '../queries/influxql.js'
import type { PeriodChoice } from '../queries/periods.js'
import { scopeSites, type ApiKey } from './auth.js'

export const invalid = (detail: string) => new MotcuaError('HUB_QUERY_INVALID', detail)

export const MAX_LIVE_MINUTES = 1440

export function idList(q: URLSearchParams, name: string): string[] | undefined {
  const raw = q.getAll(name).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean)
  if (raw.length === 0) return undefined
  const bad = raw.find((v) => !ID_PATTERN.test(v))
  if (bad !== undefined) throw invalid(`${name}: "${bad.slice(0, 40)}" is not an id (lowercase letters, digits, "-")`)
  return [...new Set(raw)]
}

/** ISO 8601 date-time (with a zone), a local date "2026-11-21" (Asia/Ho_Chi_Minh midnight), or epoch ms. */
export function time(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name)
  if (v === null || v === '') return undefined
  let t: number
  if (/^\d{1,15}$/.test(v)) t = Number(v)
  else if (/^\d{4}-\d{2}-\d{2}$/.test(v)) t = parsePeriodLabel(v)?.start ?? NaN
  else if (/^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:\d{2})$/.test(v)) t = Date.parse(v)
  else t = NaN
  if (!Number.isSafeInteger(t) || t < 0) throw invalid(`${name}: "${v.slice(0, 40)}" is not a time (ISO 8601 with zone, YYYY-MM-DD, or epoch ms)`)
  return t
}

export function bool(q: URLSearchParams, name: string): boolean {
  const v = q.get(name)
  if (v === null || v === '' || v === 'false') return false
  if (v === 'true') return true
  throw invalid(`${name}: expected true or false`)
}

export function int(q: URLSearchParams, name: string, min: number, max: number, fallback: number): number {
  const v = q.get(name)
  if (v === null || v === '') return fallback
  const n = Number(v)
  if (!Number.isInteger(n) || n < min || n > max) throw invalid(`${name}: expected an integer from ${min} to ${max}`)
  return n
}

export function groupBy(q: URLSearchParams, fallback: Dimension[]): Dimension[] {
  const raw = q.getAll('groupBy').flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean)
  if (raw.length === 0) return fallback
  const bad = raw.find((v) => !(DIMENSIONS as readonly string[]).includes(v))
  if (bad !== undefined) throw invalid(`groupBy: "${bad.slice(0, 40)}" is not one of ${DIMENSIONS.join(', ')}`)
  return raw as Dimension[]
}

/**
 * period=day|week|month|quarter|year with from/to (default: the current
 * period), or at=<label> (2026-10, 2026-Q4…), or period=live&minutes=N.
 */
export function period(q: URLSearchParams, now: number): PeriodChoice {
  const at = q.get('at')
  if (at) {
    const b = parsePeriodLabel(at)
    if (!b) throw invalid(`at: "${at.slice(0, 40)}" is not a period label (2026-11-21, 2026-W47, 2026-11, 2026-Q4, 2026)`)
    return { unit: b.unit as PeriodUnit, fromMs: b.start, toMs: b.end }
  }
  const unit = q.get('period') ?? 'month'
  if (unit === 'live') return { unit: 'live', nowMs: now, windowMs: int(q, 'minutes', 1, MAX_LIVE_MINUTES, 60) * 60_000 }
  if (!(PERIOD_UNITS as readonly string[]).includes(unit)) throw invalid(`period: expected one of ${PERIOD_UNITS.join(', ')}, live`)
  const u = unit as PeriodUnit
  const { from, to } = range(q, now, () => bucketOf(now, u).start)
  return { unit: u, fromMs: from, toMs: to }
}

/** The longest from..to a query may ask for: `from=0` must not read all history into memory (issue 11). */
export const MAX_SPAN_DAYS = 400

/** from/to, `to` after `from` and at most MAX_SPAN_DAYS apart (else HUB_SPAN_TOO_LONG); defaults from the caller. */
export function range(q: URLSearchParams, defaultTo: number, defaultFrom: (to: number) => number): { from: number; to: number } {
  const to = time(q, 'to') ?? defaultTo
  const from = time(q, 'from') ?? defaultFrom(to)
  if (!(to > from)) throw invalid('"to" must be after "from"')
  if (to - from > MAX_SPAN_DAYS * 86_400_000) throw new MotcuaError('HUB_SPAN_TOO_LONG', `from..to spans ${Math.ceil((to - from) / 86_400_000)} days; ask for at most ${MAX_SPAN_DAYS} at a time`)
  return { from, to }
}

/** Tag filters from site/department/counter/officer plus branch/province, narrowed to what the key may read. */
export function filters(q: URLSearchParams, key: ApiKey, dir: Directory, forcedSite?: string): TagFilter {
  let sites = forcedSite ? [forcedSite] : idList(q, 'site')
  const branch = idList(q, 'branch')
  const province = idList(q, 'province')
  if (branch || province) {
    const placed = dir.sites
      .filter((s) => (!branch || (s.branch !== null && branch.includes(s.branch))) && (!province || province.includes(s.province)))
      .map((s) => s.id)
    // A branch or province is a region, not a site: a site key gets its own sites within it, not a 403.
    const visible = key.scope === 'site' ? placed.filter((s) => key.sites?.includes(s)) : placed
    sites = sites ? sites.filter((s) => visible.includes(s)) : visible
  }
  const scoped = scopeSites(key, sites)
  const filter: TagFilter = {}
  if (scoped) filter.site = scoped
  const department = idList(q, 'department')
  const counter = idList(q, 'counter')
  const officer = idList(q, 'officer')
  if (department) filter.department = department
  if (counter) filter.counter = counter
  if (officer) filter.officer = officer
  return filter
}

/** True when the filter can match nothing (a branch with no sites); the answer is empty without asking the database. */
export const matchesNothing = (f: TagFilter): boolean => f.site !== undefined && f.site.length === 0
