/** KPI endpoints: ratings, Decision 766, queue, site health, alerts. */
import { MotcuaError } from '../../common/errors.js'
import { queryRatingKpis } from '../queries/ratings.js'
import { queryQueueKpis } from '../queries/queue.js'
import { querySiteHealth } from '../queries/health.js'
import { windowsFor, type PeriodChoice } from '../queries/periods.js'
import { readBody } from '../http/body.js'
import { sendJson } from '../../common/web/answer.js'
import type { Dimension, GroupKey } from '../kpi/grouping.js'
import type { Directory } from '../queries/directory.js'
import { alertSite } from '../alerts-store/store.js'
import { scopeSites } from './auth.js'
import type { ApiHandler } from './context.js'
import { bool, filters, groupBy, idList, invalid, matchesNothing, period, range } from './params.js'

/** Queue KPIs read single ticket events: over this many days they need a site or branch filter. */
export const QUEUE_UNFILTERED_MAX_DAYS = 7

/**
 * The names of a group's key, next to its ids (issue 15): branch and site
 * from the hub config, department, counter and officer from the site's
 * directory. A department or officer grouped across sites takes the name
 * the first site that knows it gives; an unknown id is its own name.
 */
export function groupNamer(dir: Directory, sites: readonly string[]) {
  const across = new Map<string, string>()
  const acrossSites = (kind: 'department' | 'officer', id: string) => {
    const k = `${kind}\u0000${id}`
    let name = across.get(k)
    if (name === undefined) {
      const lookup = (s: string) => (kind === 'department' ? dir.departmentName(s, id) : dir.officerName(s, id))
      name = sites.map(lookup).find((n) => n !== id) ?? id
      across.set(k, name)
    }
    return name
  }
  return (key: GroupKey): GroupKey => {
    const names: GroupKey = {}
    const site = key.site ?? null
    for (const [d, id] of Object.entries(key) as [Dimension, string | null][]) {
      if (id === null) names[d] = null
      else if (d === 'province') names[d] = id
      else if (d === 'branch') names[d] = dir.branchName(id)
      else if (d === 'site') names[d] = dir.site(id).name
      else if (d === 'counter') names[d] = site ? dir.counterName(site, id) : id
      else names[d] = site ? (d === 'department' ? dir.departmentName(site, id) : dir.officerName(site, id)) : acrossSites(d, id)
    }
    return names
  }
}

const named = <G extends { key: GroupKey }>(groups: readonly G[], dir: Directory, sites: readonly string[] | undefined) => {
  const nameOf = groupNamer(dir, sites ?? dir.sites.map((s) => s.id))
  return groups.map((g) => ({ ...g, names: nameOf(g.key) }))
}

function describePeriod(p: PeriodChoice) {
  const { windows } = windowsFor(p)
  return { unit: p.unit, from: windows[0]!.fromMs, to: windows.at(-1)!.toMs }
}

function periodOrInvalid(q: URLSearchParams, now: number): PeriodChoice {
  const p = period(q, now)
  try {
    windowsFor(p)
  } catch (err) {
    throw invalid((err as Error).message)
  }
  return p
}

export const ratingsKpi: ApiHandler = async ({ res, key, query, pathSite }, deps) => {
  const p = periodOrInvalid(query, deps.now())
  const dims = groupBy(query, ['site'])
  const filter = filters(query, key, deps.dir, pathSite)
  const includeMisuse = bool(query, 'includeMisuse')
  const groups = matchesNothing(filter) ? [] : await queryRatingKpis(deps.db, deps.dir, { groupBy: dims, period: p, filter, includeMisuse, past: await deps.past?.turn(deps.db) })
  sendJson(res, 200, { data: named(groups, deps.dir, filter.site), meta: { period: describePeriod(p), groupBy: dims, includeMisuse } })
}

export const decision766: ApiHandler = async ({ res, key, query, pathSite }, deps) => {
  const p = periodOrInvalid(query, deps.now())
  const dims = groupBy(query, ['province'])
  const filter = filters(query, key, deps.dir, pathSite)
  const groups = matchesNothing(filter) ? [] : await queryRatingKpis(deps.db, deps.dir, { groupBy: dims, period: p, filter, past: await deps.past?.turn(deps.db) })
  const nameOf = groupNamer(deps.dir, filter.site ?? deps.dir.sites.map((s) => s.id))
  sendJson(res, 200, {
    data: groups.map((g) => ({ key: g.key, names: nameOf(g.key), period: g.period, decision766: g.kpis.decision766 })),
    meta: { period: describePeriod(p), groupBy: dims },
  })
}

export const queueKpi: ApiHandler = async ({ res, key, query, pathSite }, deps) => {
  const p = periodOrInvalid(query, deps.now())
  const dims = groupBy(query, ['counter'])
  if (dims.includes('officer')) throw invalid('groupBy: queue KPIs cannot be grouped by officer (ticket events do not name the officer)')
  if (query.get('officer')) throw invalid('officer: queue KPIs cannot be filtered by officer')
  const filter = filters(query, key, deps.dir, pathSite)
  const span = describePeriod(p)
  if (!filter.site && span.to - span.from > QUEUE_UNFILTERED_MAX_DAYS * 86_400_000) {
    throw invalid(`queue KPIs over more than ${QUEUE_UNFILTERED_MAX_DAYS} days need a site, branch or province filter`)
  }
  const groups = matchesNothing(filter)
    ? []
    : await queryQueueKpis(deps.db, deps.dir, { groupBy: dims as Exclude<Dimension, 'officer'>[], period: p, filter, includeMisuse: bool(query, 'includeMisuse') })
  sendJson(res, 200, { data: named(groups, deps.dir, filter.site), meta: { period: span, groupBy: dims } })
}

export const siteHealth: ApiHandler = async ({ res, key, query, pathSite }, deps) => {
  const now = deps.now()
  const { from, to } = range(query, now + 1, (to) => to - 86_400_000)
  const filter = filters(query, key, deps.dir, pathSite)
  const health = matchesNothing(filter) ? { sites: [] } : await querySiteHealth(deps.db, deps.dir, filter.site, from, to)
  sendJson(res, 200, { data: health.sites, meta: { from, to } })
}

export const listAlerts: ApiHandler = async ({ res, key, query, pathSite }, deps) => {
  const sites = scopeSites(key, pathSite ? [pathSite] : idList(query, 'site'))
  const alerts = sites?.length === 0 ? [] : await deps.alerts.list(sites, deps.now())
  sendJson(res, 200, { data: alerts })
}

export const ackAlert: ApiHandler = async ({ req, res, key, params }, deps) => {
  const id = params.id ?? ''
  const where = alertSite(id)
  if (!where) throw new MotcuaError('HUB_ALERT_NOT_FOUND', id.slice(0, 100))
  scopeSites(key, [where.site])
  let body: unknown
  try {
    body = JSON.parse((await readBody(req, 16 * 1024)).toString('utf8'))
  } catch {
    throw new MotcuaError('HUB_ALERT_ACK_INVALID', 'the body must be JSON {"comment": "...", "by": "..."}')
  }
  const { comment, by } = (body ?? {}) as { comment?: unknown; by?: unknown }
  if (typeof comment !== 'string' || (by !== undefined && typeof by !== 'string')) {
    throw new MotcuaError('HUB_ALERT_ACK_INVALID', '"comment" must be a string, "by" a string when given')
  }
  const name = typeof by === 'string' && by.trim() ? `${key.id}: ${by.trim().slice(0, 100)}` : key.id
  const alert = await deps.alerts.acknowledge(id, { by: name, comment }, deps.now())
  deps.log.info({ alert: id, key: key.id }, 'alert acknowledged')
  sendJson(res, 200, { data: alert })
}
