/**
 * The province console under /console/: sign-in, the app shell and its
 * script, JSON for the drill-down, alerts and their acknowledgement, the
 * camera list, the audit log, CSV export, report files (web page, Excel,
 * PDF; docs/reports.md) and the delivery log, and the live-video WebSocket
 * /console/live/{site}/{camera} through the edge relay. Every route and the WebSocket check the session
 * and the role on the server (hub/users/roles.ts); the page only hides what
 * would be refused.
 */
import { sendAsset } from '../../common/web/assets.js'
import { NO_STORE, refuseCrossSite, refuseUpgrade, sendCaught, sendError, sendJson, sendMiss } from '../../common/web/answer.js'
import { sameOrigin, sendHtml } from '../../common/web/page.js'
import { clientAddress, isHttps } from '../../common/web/forwarded.js'
import { Router, type Params } from '../../common/web/router.js'
import { signIn } from '../../common/web/sign-in.js'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { WebSocketServer } from 'ws'
import type { HttpErrorCode } from '../../common/errors.js'
import type { Logger } from '../../common/log.js'
import { ID_PATTERN } from '../../protocol/patterns.js'
import { alertSite, type AlertStore } from '../alerts-store/store.js'
import type { AuditLog } from '../audit/audit.js'
import { readBody } from '../http/body.js'
import { HUB_ANSWERS, type Mount, type UpgradeHandler } from '../http/server.js'
import { parsePeriodLabel, PERIOD_UNITS, type PeriodBucket, type PeriodUnit } from '../kpi/time.js'
import { MotcuaError } from '../../common/errors.js'
import type { DeliveryLog } from '../delivery/log.js'
import type { DeliveryState } from '../delivery/delivery.js'
import type { AlertDeliveryLog } from '../alert-delivery/log.js'
import type { AlertRecipient } from '../config/alerts.js'
import { sitesOfScope, type ReportScope } from '../reports/build.js'
import { REPORT_CSP } from '../reports/html.js'
import { REPORT_FORMATS, REPORTS_RETRY_AFTER_S, type ReportFormat, type Reports } from '../reports/service.js'
import type { InfluxQuery } from '../queries/client.js'
import type { Directory } from '../queries/directory.js'
import type { Relay, RelayCamera } from '../relay/relay.js'
import type { Accounts } from '../users/accounts.js'
import type { Alert } from '../kpi/alerts/types.js'
import { canReadAudit, canSeeMetrics, canSeeOfficers, canWatch, type Principal } from '../users/roles.js'
import type { PageAsset } from './bundle.js'
import { caseRoutes } from '../cases/console.js'
import type { CasesConfig } from '../cases/config.js'
import type { PointWriter } from '../influx/writer.js'
import { alertSites, latestRatings, levelCsv, levelView, NO_BRANCH, viewPeriod, type Level, type Scope } from './data.js'
import { dutyView } from './duty.js'
import { createRecordings, type RecordingHandler } from './recordings.js'
import type { PastAnswers } from '../queries/past-answers.js'
import type { EdgeRequests } from '../relay/requests.js'
import { isLang, type Lang } from './i18n.js'
import { appPage, CONSOLE_JS, CSP, loginPage } from './page.js'
import type { ConsoleSession, SessionCodec } from './session.js'

export interface ConsoleOptions {
  accounts: Accounts
  sessions: SessionCodec
  relay: Relay
  audit: AuditLog
  db: InfluxQuery
  /** The hub's one alert store (hub/main.ts starts and stops it). */
  alerts: AlertStore
  directory: Directory
  script: PageAsset
  log: Logger
  now?: () => number
  /** Report files; without them the report routes answer 404. */
  reports?: Reports
  /** The delivery log and this instance's retry state, for administrators. */
  deliveries?: { log: DeliveryLog; state(): DeliveryState[] }
  /** Complaint cases (hub/cases/console.ts): their events are written with this writer; without it the case routes answer 404. */
  cases?: { writer: PointWriter; config: CasesConfig }
  /** What alerts were sent to whom (hub/alert-delivery), for administrators; recipients named from the config, without addresses. */
  alertDeliveries?: { log: AlertDeliveryLog; recipients: readonly AlertRecipient[] }
  /** The camera wall's list from every instance (hub/console/peer-cameras.ts); without it, this instance's relay alone. */
  cameras?: () => Promise<RelayCamera[]>
  /** Answers about past days kept by this instance for the drill-down (hub/queries/past-answers.ts); without it every view reads them. */
  past?: PastAnswers
  /** Requests to the edges over their tunnels (recorded video, snapshots; docs/recordings.md); without them those routes answer 404. */
  requests?: EdgeRequests
}

export interface Console {
  mount: Mount
  upgrade: UpgradeHandler
  /** Closes every live socket (their viewings end on the audit log). */
  close(): void
}

/** A comment of up to 1000 characters (hub/kpi/alerts), 3 bytes each in UTF-8, and the JSON around it. */
const ACK_BODY_MAX = 8 * 1024
/** WebSocket close code (application range) for a session that ran out while watching; the page then signs in again. */
export const SESSION_ENDED = 4401
/** How often a live view checks that its session still holds: the video outlives its session by at most this. */
export const LIVE_SESSION_CHECK_MS = 5000
const LEVELS: readonly Level[] = ['province', 'branch', 'site', 'department', 'counter']
const REPORT_LEVELS: readonly ReportScope['level'][] = ['province', 'branch', 'site', 'department']
/** How far back the delivery log is listed. */
const DELIVERY_LOG_DAYS = 400
/** How far back the alert delivery log is listed (at most 500 entries). */
const ALERT_DELIVERY_LOG_DAYS = 30

type Page = (req: IncomingMessage, res: ServerResponse, url: URL, params: Params, s: ConsoleSession | null) => void | Promise<void>
type SignedInPage = (req: IncomingMessage, res: ServerResponse, url: URL, params: Params, s: ConsoleSession) => void | Promise<void>

const fail = (res: ServerResponse, code: HttpErrorCode) => sendError(res, code, undefined, NO_STORE)
const signedIn = (h: SignedInPage): Page => (req, res, url, params, s) => (s ? h(req, res, url, params, s) : fail(res, 'HUB_SESSION_REQUIRED'))

const isId = (x: string) => ID_PATTERN.test(x)
const isPair = (x: string) => x.split('/').length === 2 && x.split('/').every(isId)

/** Pure: the drill-down scope and period from a query string, or null when malformed. */
export function scopeOf(url: URL): { scope: Scope; unit: PeriodUnit; at: PeriodBucket | null } | null {
  const q = url.searchParams
  const level = (q.get('level') ?? 'province') as Level
  const id = q.get('id') ?? ''
  const unit = (q.get('period') ?? 'day') as PeriodUnit
  const by = q.get('by') ?? 'branch'
  if (!LEVELS.includes(level) || !PERIOD_UNITS.includes(unit) || (by !== 'branch' && by !== 'department')) return null
  // A period other than the current one, by its label ("2026-Q3"), of the unit asked for.
  const label = q.get('at')
  const at = label ? parsePeriodLabel(label) : null
  if (label && at?.unit !== unit) return null
  const ok =
    level === 'province' ||
    (level === 'branch' && (id === NO_BRANCH || isId(id))) ||
    (level === 'site' && isId(id)) ||
    (level === 'department' && (isId(id) || isPair(id))) ||
    (level === 'counter' && isPair(id))
  if (!ok) return null
  return { scope: { level, id, ...(level === 'province' && by === 'department' ? { by } : {}) }, unit, at }
}

/** Pure: a report's scope, period and format from its query string (`?level=&id=&at=2026-Q3`), or null when malformed. */
export function reportOf(url: URL, file: string): { scope: ReportScope; period: PeriodBucket; format: ReportFormat } | null {
  const m = /^report\.([a-z]+)$/.exec(file)
  const format = m?.[1] as ReportFormat | undefined
  const q = url.searchParams
  const level = (q.get('level') ?? 'province') as ReportScope['level']
  const id = level === 'province' ? '' : (q.get('id') ?? '')
  const period = parsePeriodLabel(q.get('at') ?? '')
  if (!format || !REPORT_FORMATS.includes(format) || !REPORT_LEVELS.includes(level) || !period) return null
  if (level === 'branch' ? !(id === NO_BRANCH || isId(id)) : level !== 'province' && !isId(id)) return null
  return { scope: { level, id }, period, format }
}

/** Pure: the duty view's site (null: every site the person may see) and period from its query string, or null when malformed. */
export function dutyOf(url: URL): { site: string | null; unit: PeriodUnit; at: PeriodBucket | null } | null {
  const q = url.searchParams
  const site = q.get('site') || null
  const unit = (q.get('period') ?? 'day') as PeriodUnit
  const label = q.get('at')
  const at = label ? parsePeriodLabel(label) : null
  if ((site !== null && !isId(site)) || !PERIOD_UNITS.includes(unit) || (label && at?.unit !== unit)) return null
  return { site, unit, at }
}

/** The comment of an acknowledgement's body; null when the body is not JSON `{ "comment": string }`. */
async function readComment(req: IncomingMessage): Promise<string | null> {
  const raw = (await readBody(req, ACK_BODY_MAX)).toString('utf8')
  try {
    const comment = (JSON.parse(raw) as { comment?: unknown } | null)?.comment
    return typeof comment === 'string' ? comment : null
  } catch {
    return null
  }
}

export function createConsole(o: ConsoleOptions): Console {
  const log = o.log.child({ module: 'console' })
  const now = o.now ?? Date.now
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 })
  const client = clientAddress
  const langOf = (url: URL): Lang => {
    const l = url.searchParams.get('lang')
    return isLang(l) ? l : 'vi'
  }

  const named = (a: Alert) => ({ ...a, siteName: o.directory.site(a.site).name })

  async function acknowledge(req: IncomingMessage, res: ServerResponse, id: string, p: Principal): Promise<void> {
    const where = alertSite(id)
    if (!where) return fail(res, 'HUB_ALERT_NOT_FOUND')
    if (!canSeeMetrics(p, where.site)) {
      log.warn({ username: p.username, site: where.site }, 'alert acknowledgement refused: role')
      return fail(res, 'HUB_CONSOLE_FORBIDDEN')
    }
    try {
      const comment = await readComment(req)
      if (comment === null) return fail(res, 'HUB_ALERT_ACK_INVALID')
      const alert = await o.alerts.acknowledge(id, { by: `${p.username}: ${p.name}`, comment }, now())
      log.info({ alert: id, username: p.username }, 'alert acknowledged')
      return sendJson(res, 200, { alert: named(alert) }, { 'cache-control': 'no-store' })
    } catch (err) {
      // The message carries the store's detail (already acknowledged, comment too long).
      if (!sendCaught(res, err, NO_STORE)) throw err
    }
  }

  /**
   * A report file for the scope and period, of the sites the person may see; the officers' sheet only for a role
   * that may see every one of them. On the audit log like every export, and refused when it cannot be recorded.
   */
  async function report(req: IncomingMessage, res: ServerResponse, url: URL, file: string, p: Principal): Promise<void> {
    if (!o.reports) return fail(res, 'HUB_NOT_FOUND')
    const r = reportOf(url, file)
    if (!r) return fail(res, 'HUB_QUERY_INVALID')
    if (r.scope.level === 'site' && !canSeeMetrics(p, r.scope.id)) return fail(res, 'HUB_CONSOLE_FORBIDDEN')
    const sites = sitesOfScope(o.directory, r.scope, (site) => canSeeMetrics(p, site))
    const officers = sites.length > 0 && sites.every((site) => canSeeOfficers(p, site))
    try {
      await o.audit.record({ action: 'export', who: p, site: r.scope.level === 'site' ? r.scope.id : undefined, detail: `${url.pathname}${url.search}`, client: client(req) })
    } catch (err) {
      log.error({ err, username: p.username }, 'report refused: it could not be put on the audit log')
      return fail(res, 'HUB_AUDIT_UNAVAILABLE')
    }
    try {
      const out = await o.reports.file({ period: r.period, scope: r.scope, sites, officers, nowMs: now() }, r.format)
      res.writeHead(200, {
        'content-type': out.contentType, 'content-length': out.body.length, 'cache-control': 'no-store',
        'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer',
        ...(r.format === 'html' ? { 'content-security-policy': REPORT_CSP } : { 'content-disposition': `attachment; filename="${out.filename}"` }),
      })
      res.end(out.body)
    } catch (err) {
      if (err instanceof MotcuaError && err.code === 'HUB_REPORT_PDF_UNAVAILABLE') log.warn({ err: err.message }, 'report PDF not made')
      const busy = err instanceof MotcuaError && err.code === 'HUB_REPORTS_BUSY'
      if (!sendCaught(res, err, busy ? { ...NO_STORE, 'retry-after': String(REPORTS_RETRY_AFTER_S) } : NO_STORE)) throw err
    }
  }

  /**
   * Officer duty for a site or every visible site and a period. Officers' figures only where canSeeOfficers lets,
   * and then on the audit log before they are read, as GET /api/v1/duty does for its officers' keys.
   */
  async function duty(req: IncomingMessage, res: ServerResponse, url: URL, p: Principal): Promise<void> {
    const q = dutyOf(url)
    if (!q) return fail(res, 'HUB_QUERY_INVALID')
    if (q.site !== null && !canSeeMetrics(p, q.site)) return fail(res, 'HUB_CONSOLE_FORBIDDEN')
    const officers = q.site !== null ? canSeeOfficers(p, q.site) : o.directory.sites.some((x) => canSeeOfficers(p, x.id))
    try {
      const view = await dutyView(o.db, o.directory, p, { site: q.site, period: viewPeriod(q.unit, q.at, now()), nowMs: now() }, officers ? async () => {
        try {
          await o.audit.record({ action: 'export', who: p, site: q.site ?? undefined, detail: `${url.pathname}${url.search}`, client: client(req) })
        } catch (err) {
          log.error({ err, username: p.username }, 'officer duty refused: it could not be put on the audit log')
          throw new MotcuaError('HUB_AUDIT_UNAVAILABLE', undefined, { cause: err })
        }
      } : undefined)
      if (!view) return fail(res, 'HUB_CONSOLE_FORBIDDEN')
      sendJson(res, 200, view, NO_STORE)
    } catch (err) {
      if (!sendCaught(res, err, NO_STORE)) throw err
    }
  }

  /** The drill-down's KPIs or latest ratings: one scope check, two queries. */
  const scoped = (latest: boolean): SignedInPage => async (_req, res, url, _params, s) => {
    const q = scopeOf(url)
    if (!q) return fail(res, 'HUB_QUERY_INVALID')
    const body = latest
      ? await latestRatings(o.db, o.directory, s.principal, q.scope, now())
      : await levelView(o.db, o.directory, s.principal, q.scope, viewPeriod(q.unit, q.at, now()), o.past)
    if (body === null) return fail(res, 'HUB_CONSOLE_FORBIDDEN')
    return sendJson(res, 200, latest ? { ratings: body } : body)
  }

  /** What anyone may post: sign-in and sign-out, before any session is read. */
  const open = new Router<Page>()
    .add('*', '/console', (_req, res) => void res.writeHead(308, { location: '/console/' }).end())
    .add('POST', '/console/login', (req, res) => signIn(req, res, {
      home: '/console/', csp: CSP, sessionCode: 'HUB_SESSION_REQUIRED',
      login: (username, password, address) => o.accounts.login(username, password, address),
      loginPage,
      cookie: (p, secure) => o.sessions.issue(p.username, secure),
      log, said: { refused: 'console sign-in refused', signedIn: 'console sign-in' },
      logged: (p) => ({ username: p.username, role: p.role }),
    }))
    // Same origin as the sign-in: another site must not sign a user out (issue 11). The cookie is cleared even
    // when the sign-out could not be stored; the session then lives on elsewhere only until its idle end.
    .add('POST', '/console/logout', async (req, res) => {
      if (!sameOrigin(req)) return refuseCrossSite(res, 'HUB_SESSION_REQUIRED')
      await o.sessions.revoke(req).catch((err: unknown) => log.error({ err }, 'console sign-out not stored; other instances keep the session until it ends'))
      res.writeHead(303, { location: '/console/', 'set-cookie': o.sessions.cleared(isHttps(req)) }).end()
    })

  const routes = new Router<Page>()
    .add('GET', '/console/', (_req, res, url, _params, s) =>
      sendHtml(res, CSP, 200, s ? appPage(langOf(url), s.principal) : loginPage(langOf(url), url.searchParams.has('expired') ? 'expired' : null)))
    .add('POST', '/console/api/alerts/:id/ack', signedIn((req, res, _url, { id = '' }, s) => {
      if (!sameOrigin(req)) return fail(res, 'HUB_CONSOLE_FORBIDDEN')
      return acknowledge(req, res, id, s.principal)
    }))
    .add('GET', CONSOLE_JS, signedIn((req, res) => sendAsset(req, res, o.script, 'no-cache')))
    .add('GET', '/console/export/kpis.csv', signedIn(async (req, res, url, _params, s) => {
      const q = scopeOf(url)
      if (!q) return fail(res, 'HUB_QUERY_INVALID')
      const view = await levelView(o.db, o.directory, s.principal, q.scope, viewPeriod(q.unit, q.at, now()), o.past)
      if (!view) return fail(res, 'HUB_CONSOLE_FORBIDDEN')
      const site = q.scope.id.includes('/') || q.scope.level === 'site' ? q.scope.id.split('/')[0] : undefined
      await o.audit.record({ action: 'export', who: s.principal, site, detail: `${url.pathname}${url.search}`, client: client(req) })
      res.writeHead(200, {
        'content-type': 'text/csv; charset=utf-8', 'cache-control': 'no-store',
        'content-disposition': `attachment; filename="motcua-${q.scope.level}-${view.period.label}.csv"`,
      })
      res.end(levelCsv(view))
    }))
    .add('GET', '/console/api/me', signedIn((_req, res, _url, _params, { principal: p }) =>
      sendJson(res, 200, { username: p.username, name: p.name, role: p.role, sites: p.sites ?? null, video: p.role !== 'ioc', audit: canReadAudit(p) })))
    .add('GET', '/console/api/tree', signedIn((_req, res, _url, _params, { principal: p }) => {
      const sites = o.directory.sites.filter((x) => canSeeMetrics(p, x.id))
      const branches = [...new Set(sites.map((x) => x.branch ?? NO_BRANCH))].map((id) => ({ id, name: id === NO_BRANCH ? null : o.directory.branchName(id) }))
      sendJson(res, 200, { province: o.directory.province, branches, sites: sites.map((x) => ({ id: x.id, name: x.name, branch: x.branch ?? NO_BRANCH })) })
    }))
    .add('GET', '/console/api/kpis', signedIn(scoped(false)))
    .add('GET', '/console/api/latest', signedIn(scoped(true)))
    .add('GET', '/console/api/duty', signedIn((req, res, url, _params, s) => duty(req, res, url, s.principal)))
    .add('GET', '/console/api/alerts', signedIn(async (_req, res, _url, _params, { principal: p }) => {
      const sites = alertSites(p, o.directory)
      const alerts = sites?.length === 0 ? [] : await o.alerts.list(sites, now())
      sendJson(res, 200, { alerts: alerts.map(named) }, NO_STORE)
    }))
    .add('GET', '/console/reports/:file', signedIn((req, res, url, { file = '' }, s) => report(req, res, url, file, s.principal)))
    .add('GET', '/console/api/deliveries', signedIn(async (_req, res, _url, _params, { principal: p }) => {
      if (!canReadAudit(p)) return fail(res, 'HUB_CONSOLE_FORBIDDEN')
      const entries = o.deliveries ? await o.deliveries.log.list(now() - DELIVERY_LOG_DAYS * 86_400_000, now() + 1, 200) : []
      sendJson(res, 200, { entries, state: o.deliveries?.state() ?? [] }, NO_STORE)
    }))
    .add('GET', '/console/api/alert-deliveries', signedIn(async (_req, res, _url, _params, { principal: p }) => {
      if (!canReadAudit(p)) return fail(res, 'HUB_CONSOLE_FORBIDDEN')
      const names = new Map(o.alertDeliveries?.recipients.map((r) => [r.id, r.name]) ?? [])
      const entries = o.alertDeliveries ? await o.alertDeliveries.log.list(now() - ALERT_DELIVERY_LOG_DAYS * 86_400_000, now() + 1, 500) : []
      sendJson(res, 200, { entries: entries.map((e) => ({ ...e, recipientName: names.get(e.recipient) ?? e.recipient, siteName: o.directory.site(e.site).name })) }, NO_STORE)
    }))
    .add('GET', '/console/api/cameras', signedIn(async (_req, res, _url, _params, { principal: p }) => {
      if (p.role === 'ioc') return fail(res, 'HUB_CONSOLE_FORBIDDEN')
      const cams = (o.cameras ? await o.cameras() : o.relay.cameras()).filter((c) => canWatch(p, c.site))
      sendJson(res, 200, { cameras: cams.map((c) => ({ ...c, siteName: o.directory.site(c.site).name })) })
    }))
    .add('GET', '/console/api/audit', signedIn(async (_req, res, url, _params, { principal: p }) => {
      if (!canReadAudit(p)) return fail(res, 'HUB_CONSOLE_FORBIDDEN')
      const days = Math.min(90, Math.max(1, Number(url.searchParams.get('days') ?? 7) || 7))
      sendJson(res, 200, { entries: await o.audit.list(now() - days * 86_400_000, now() + 1, 500) })
    }))

  // Recorded video and snapshots, read from the site's edge (issue 17; hub/console/recordings.ts checks role, reason and audit).
  if (o.requests) {
    const rec = createRecordings({ requests: o.requests, relay: o.relay, audit: o.audit, directory: o.directory, log, now, client })
    const as = (h: RecordingHandler): Page => signedIn((req, res, url, params, s) => h(req, res, url, params, s.principal))
    routes
      .add('GET', '/console/api/recordings/:site/cameras/:camera/timeline', as(rec.timeline))
      .add('GET', '/console/api/recordings/:site/counters/:counter', as(rec.counterCamera))
      .add('GET', '/console/api/recordings/:site/snapshots', as(rec.snapshots))
      .add('GET', '/console/api/recording-exports/:id', as(rec.sidecar))
      .add('GET', '/console/recordings/:site/cameras/:camera/clip.mp4', as(rec.clip))
      .add('GET', '/console/recordings/:site/snapshots/:name', as(rec.snapshot))
  }

  // Complaint cases (issue 16): the tab's list and actions, each behind the session like the routes above.
  if (o.cases) {
    for (const r of caseRoutes({ ...o.cases, db: o.db, directory: o.directory, audit: o.audit, log, now, client })) {
      routes.add(r.method, r.path, signedIn((req, res, url, params, s) => r.handler(req, res, url, params, s.principal)))
    }
  }

  const mount: Mount = {
    prefix: '/console',
    handle(req, res, url) {
      const method = req.method ?? 'GET'
      const posted = open.match(method, url.pathname)
      if (posted.kind === 'found') return posted.handler(req, res, url, posted.params, null)
      const s = o.sessions.read(req)
      if (s?.refresh) res.setHeader('set-cookie', s.refresh)
      const m = routes.match(method, url.pathname)
      if (m.kind === 'found') return m.handler(req, res, url, m.params, s)
      // Without a session every other path is refused alike, so a visitor learns nothing of the API's shape.
      if (!s) return fail(res, 'HUB_SESSION_REQUIRED')
      sendMiss(res, m, HUB_ANSWERS.codes, `${method} ${url.pathname}`, NO_STORE)
    },
  }

  const live = new Router<null>().add('GET', '/console/live/:site/:camera', null)
  const upgrade: UpgradeHandler = (req, socket, head) => {
    const path = (req.url ?? '').split('?')[0] ?? ''
    if (!path.startsWith('/console/')) return false
    const m = live.match(req.method ?? 'GET', path)
    if (m.kind === 'bad_path') return refuseUpgrade(socket, 400)
    const { site = '', camera = '' } = m.kind === 'found' ? m.params : {}
    if (!ID_PATTERN.test(site) || !ID_PATTERN.test(camera)) return refuseUpgrade(socket, 404)
    const s = o.sessions.read(req)
    if (!s || !sameOrigin(req)) return refuseUpgrade(socket, 401)
    // Refused before looking the camera up, so a forbidden user learns nothing about another site's cameras.
    if (!canWatch(s.principal, site)) {
      log.warn({ username: s.principal.username, site, camera }, 'live view refused: role')
      return refuseUpgrade(socket, 403)
    }
    if (!o.relay.camera(site, camera)) return refuseUpgrade(socket, 404)
    // Video only once its viewing is on the audit log: a viewing that cannot be recorded does not start.
    o.audit.viewing(s.principal, site, camera, client(req)).then((viewing) => wss.handleUpgrade(req, socket, head, (ws) => {
      log.info({ username: s.principal.username, site, camera, viewing: viewing.id }, 'remote live view opened')
      // The video ends with the session: its absolute end, its idle limit (issue 11), or a sign-out on any instance.
      const check = setInterval(() => {
        if (!o.sessions.holds(s)) ws.close(SESSION_ENDED, 'session ended')
      }, LIVE_SESSION_CHECK_MS)
      ws.once('close', () => {
        clearInterval(check)
        void viewing.end()
        log.info({ username: s.principal.username, site, camera, viewing: viewing.id }, 'remote live view closed')
      })
      o.relay.attach(ws, site, camera)
    }), (err: unknown) => {
      log.error({ err, username: s.principal.username, site, camera }, 'live view refused: its viewing could not be put on the audit log')
      refuseUpgrade(socket, 503)
    })
    return true
  }

  return {
    mount,
    upgrade,
    close() {
      for (const ws of wss.clients) ws.terminate()
      wss.close()
    },
  }
}
