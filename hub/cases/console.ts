/**
 * The console's complaint cases (tab "Phản ánh / Complaints", docs/complaints.md):
 * GET /console/api/cases lists the cases of the sites the person may see
 * with their clocks; POST /console/api/cases/{site}/{id}/{action} assigns,
 * adds a progress update, resolves, records the result or closes. What the
 * citizen wrote, their phone number, the case's notes and the officer go only
 * to the roles that handle cases (canSeeComplaintDetails), and such a list is
 * on the audit log before it is sent; never in the log.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { MotcuaError } from '../../common/errors.js'
import type { Logger } from '../../common/log.js'
import { NO_STORE, sendCaught, sendError, sendJson } from '../../common/web/answer.js'
import { sameOrigin } from '../../common/web/page.js'
import type { Params } from '../../common/web/router.js'
import { ID_PATTERN } from '../../protocol/patterns.js'
import type { AuditLog } from '../audit/audit.js'
import { readBody } from '../http/body.js'
import type { PointWriter } from '../influx/writer.js'
import type { InfluxQuery } from '../queries/client.js'
import type { Directory } from '../queries/directory.js'
import { canSeeComplaintDetails, canSeeMetrics, canSeeOfficers, siteScope, type Principal } from '../users/roles.js'
import { caseDeadlineConditions } from './alerts.js'
import { workCalendar, type WorkCalendar } from './calendar.js'
import type { CasesConfig } from './config.js'
import { caseClocks, type CaseClocks } from './deadlines.js'
import type { CaseEventKind, CaseState, CaseStatus } from './fold.js'
import { actOnCase, MAX_NOTE, readCases, type CaseAction } from './store.js'

/** At most this many cases in one list: a province's open cases are far fewer. */
export const MAX_LISTED_CASES = 500
const ACTION_BODY_MAX = 4 * MAX_NOTE + 1024
const ACTIONS: Readonly<Record<string, CaseEventKind>> = { assign: 'assigned', progress: 'progress', resolve: 'resolved', result: 'result', close: 'closed' }

export interface CaseView {
  site: string
  siteName: string
  id: string
  openedAt: number
  department: string
  departmentName: string
  counter: string
  counterName: string
  level: number
  status: CaseStatus
  handler: string | null
  clocks: CaseClocks
  events: { kind: CaseEventKind; at: number; by: string; department?: string; handler?: string; note?: string }[]
  /** Whether this person may act on the case and sees its personal data below. */
  handles: boolean
  details?: { comment: string; phone: string | null; lang: string; rating: string }
  officer?: { id: string; name: string } | null
}

/** Pure: one case as a person sees it. */
export function caseView(c: CaseState, p: Principal, dir: Directory, cal: WorkCalendar, now: number): CaseView {
  const { site, counter } = c.complaint
  const handles = canSeeComplaintDetails(p, site)
  const view: CaseView = {
    site,
    siteName: dir.site(site).name,
    id: c.complaint.id,
    openedAt: c.complaint.at,
    department: c.department,
    departmentName: dir.departmentName(site, c.department),
    counter,
    counterName: dir.counterName(site, counter),
    level: c.complaint.level,
    status: c.status,
    handler: c.handler,
    clocks: caseClocks(c, cal, now),
    events: c.events.map((e) =>
      handles ? { kind: e.kind, at: e.at, by: e.by, department: e.department, handler: e.handler, note: e.note } : { kind: e.kind, at: e.at, by: e.by }),
    handles,
  }
  if (handles) view.details = { comment: c.complaint.comment, phone: c.complaint.phone, lang: c.complaint.lang, rating: c.complaint.rating }
  if (canSeeOfficers(p, site)) {
    const o = c.complaint.officer
    view.officer = o === null ? null : { id: o, name: dir.officerName(site, o) }
  }
  return view
}

/** Pure: open cases first, the nearest deadline first; then the rest, newest first. */
export function byUrgency(a: CaseView, b: CaseView): number {
  const da = a.clocks.next?.due ?? Infinity
  const db = b.clocks.next?.due ?? Infinity
  return da !== db ? da - db : b.openedAt - a.openedAt
}

export interface CaseConsoleOptions {
  db: InfluxQuery
  writer: PointWriter
  directory: Directory
  audit: AuditLog
  config: CasesConfig
  log: Logger
  now: () => number
  /** The client's address as the console logs it. */
  client: (req: IncomingMessage) => string
}

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL, params: Params, p: Principal) => Promise<void>

export function caseRoutes(o: CaseConsoleOptions): { method: string; path: string; handler: Handler }[] {
  const cal = workCalendar(o.config.calendar)
  const log = o.log.child({ module: 'cases' })
  const fail = (res: ServerResponse, code: 'HUB_CONSOLE_FORBIDDEN' | 'HUB_QUERY_INVALID' | 'HUB_AUDIT_UNAVAILABLE') => sendError(res, code, undefined, NO_STORE)

  const list: Handler = async (req, res, url, _params, p) => {
    const site = url.searchParams.get('site') || null
    const status = url.searchParams.get('status') ?? 'open'
    if ((site !== null && !ID_PATTERN.test(site)) || (status !== 'open' && status !== 'all')) return fail(res, 'HUB_QUERY_INVALID')
    if (site !== null && !canSeeMetrics(p, site)) return fail(res, 'HUB_CONSOLE_FORBIDDEN')
    const now = o.now()
    const sites = site !== null ? [site] : siteScope(p)
    const cases = (await readCases(o.db, sites)).filter((c) => status === 'all' || c.status !== 'closed')
    const views = cases.map((c) => caseView(c, p, o.directory, cal, now)).sort(byUrgency).slice(0, MAX_LISTED_CASES)
    if (views.some((v) => v.handles)) {
      try {
        await o.audit.record({ action: 'export', who: p, site: site ?? undefined, detail: `${url.pathname}${url.search}`, client: o.client(req) })
      } catch (err) {
        log.error({ err, username: p.username }, 'complaint cases refused: the viewing could not be put on the audit log')
        return fail(res, 'HUB_AUDIT_UNAVAILABLE')
      }
    }
    // The departments a handler may assign a case to, per site.
    const departments = Object.fromEntries([...new Set(views.filter((v) => v.handles).map((v) => v.site))].map((s) => [s, o.directory.departments(s)]))
    // The deadline alerts of these cases, as the alert conditions count them: the tab's banner.
    const near = caseDeadlineConditions(cases, cal, now, o.config.dueSoonDays)
    const dueSoon = near.reduce((n, c) => n + Number(c.details.cases), 0)
    sendJson(res, 200, { cases: views, dueSoonDays: o.config.dueSoonDays, dueSoon, departments, truncated: cases.length > views.length }, NO_STORE)
  }

  const act: Handler = async (req, res, _url, { site = '', id = '', action = '' }, p) => {
    const kind = ACTIONS[action]
    if (!sameOrigin(req) || !ID_PATTERN.test(site) || !canSeeComplaintDetails(p, site)) return fail(res, 'HUB_CONSOLE_FORBIDDEN')
    if (!kind) return fail(res, 'HUB_QUERY_INVALID')
    try {
      const body = readAction(await readBody(req, ACTION_BODY_MAX), kind)
      const departments = o.directory.departments(site).map((d) => d.id)
      const state = await actOnCase(o, { site, id, action: body, by: `${p.username}: ${p.name}`, now: o.now(), departments })
      // Ids and the action only: the note may name the citizen.
      log.info({ site, case: id, action: kind, username: p.username }, 'complaint case updated')
      sendJson(res, 200, { case: caseView(state, p, o.directory, cal, o.now()) }, NO_STORE)
    } catch (err) {
      if (!sendCaught(res, err, NO_STORE)) throw err
    }
  }

  return [
    { method: 'GET', path: '/console/api/cases', handler: list },
    { method: 'POST', path: '/console/api/cases/:site/:id/:action', handler: act },
  ]
}

/** The action's fields from a JSON body `{ department?, handler?, note? }`. */
function readAction(raw: Buffer, kind: CaseEventKind): CaseAction {
  let body: unknown
  try {
    body = JSON.parse(raw.toString('utf8') || '{}')
  } catch {
    throw new MotcuaError('HUB_CASE_ACTION_INVALID', 'the body is not JSON')
  }
  if (typeof body !== 'object' || body === null) throw new MotcuaError('HUB_CASE_ACTION_INVALID', 'the body is not a JSON object')
  const b = body as Record<string, unknown>
  const text = (k: string) => {
    const v = b[k]
    if (v === undefined || v === null) return undefined
    if (typeof v !== 'string') throw new MotcuaError('HUB_CASE_ACTION_INVALID', `${k}: a string`)
    return v
  }
  return { kind, department: text('department'), handler: text('handler'), note: text('note') }
}
