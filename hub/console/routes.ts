/**
 * The province console under /console/: sign-in, the app shell and its
 * script, JSON for the drill-down, alerts and their acknowledgement, the
 * camera list, the audit log, CSV export, and the live-video WebSocket
 * /console/live/{site}/{camera} through the edge relay. Every route and the WebSocket check the session
 * and the role on the server (hub/users/roles.ts); the page only hides what
 * would be refused.
 */
import { sendScript } from '../../common/web/assets.js'
import { readForm, sameOrigin, sendHtml } from '../../common/web/page.js'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer } from 'ws'
import { ERRORS, isMotcuaError, type ErrorCode } from '../../common/errors.js'
import type { Logger } from '../../common/log.js'
import { ID_PATTERN } from '../../protocol/patterns.js'
import { alertSite, type AlertStore } from '../alerts-store/store.js'
import type { AuditLog } from '../audit/audit.js'
import { readBody } from '../http/body.js'
import { sendJson } from '../http/respond.js'
import type { Mount, UpgradeHandler } from '../http/server.js'
import type { PeriodUnit } from '../kpi/time.js'
import type { InfluxQuery } from '../queries/client.js'
import type { Directory } from '../queries/directory.js'
import type { Relay } from '../relay/relay.js'
import type { Accounts } from '../users/accounts.js'
import type { Alert } from '../kpi/alerts/types.js'
import { canReadAudit, canSeeMetrics, canWatch, type Principal } from '../users/roles.js'
import type { PageAsset } from './bundle.js'
import { alertSites, latestRatings, levelCsv, levelView, NO_BRANCH, type Level, type Scope } from './data.js'
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
}

export interface Console {
  mount: Mount
  upgrade: UpgradeHandler
  /** Closes every live socket (their viewings end on the audit log). */
  close(): void
}

const ACK = /^\/console\/api\/alerts\/([^/]{1,200})\/ack$/
/** A comment of up to 1000 characters (hub/kpi/alerts), 3 bytes each in UTF-8, and the JSON around it. */
const ACK_BODY_MAX = 8 * 1024
/** Expected failures of an acknowledgement, answered with their own code. */
const ACK_STATUS: Partial<Record<ErrorCode, number>> = {
  HUB_ALERT_NOT_FOUND: 404,
  HUB_ALERT_ACK_INVALID: 400,
  HUB_BODY_TOO_LARGE: 413,
  HUB_DB_QUERY_FAILED: 503,
  HUB_DB_UNAVAILABLE: 503,
}
const LIVE = /^\/console\/live\/([a-z0-9][a-z0-9-]{0,31})\/([a-z0-9][a-z0-9-]{0,31})$/
/** WebSocket close code (application range) for a session that ran out while watching; the page then signs in again. */
export const SESSION_ENDED = 4401
const PERIODS: readonly PeriodUnit[] = ['day', 'week', 'month']
const LEVELS: readonly Level[] = ['province', 'branch', 'site', 'counter']

function fail(res: ServerResponse, status: number, code: ErrorCode): void {
  sendJson(res, status, { error: { code, message: ERRORS[code] } }, { 'cache-control': 'no-store' })
}

/** Pure: the drill-down scope and period from a query string, or null when malformed. */
export function scopeOf(url: URL): { scope: Scope; unit: PeriodUnit } | null {
  const level = (url.searchParams.get('level') ?? 'province') as Level
  const id = url.searchParams.get('id') ?? ''
  const unit = (url.searchParams.get('period') ?? 'day') as PeriodUnit
  if (!LEVELS.includes(level) || !PERIODS.includes(unit)) return null
  const ok =
    level === 'province' ||
    (level === 'branch' && (id === NO_BRANCH || ID_PATTERN.test(id))) ||
    (level === 'site' && ID_PATTERN.test(id)) ||
    (level === 'counter' && id.split('/').length === 2 && id.split('/').every((x) => ID_PATTERN.test(x)))
  return ok ? { scope: { level, id }, unit } : null
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
  const client = (req: IncomingMessage) => req.socket.remoteAddress ?? '?'
  const langOf = (url: URL): Lang => {
    const l = url.searchParams.get('lang')
    return isLang(l) ? l : 'vi'
  }

  const named = (a: Alert) => ({ ...a, siteName: o.directory.site(a.site).name })

  async function acknowledge(req: IncomingMessage, res: ServerResponse, rawId: string, p: Principal): Promise<void> {
    let id = ''
    try {
      id = decodeURIComponent(rawId)
    } catch {
      return fail(res, 404, 'HUB_ALERT_NOT_FOUND')
    }
    const where = alertSite(id)
    if (!where) return fail(res, 404, 'HUB_ALERT_NOT_FOUND')
    if (!canSeeMetrics(p, where.site)) {
      log.warn({ username: p.username, site: where.site }, 'alert acknowledgement refused: role')
      return fail(res, 403, 'HUB_CONSOLE_FORBIDDEN')
    }
    try {
      const comment = await readComment(req)
      if (comment === null) return fail(res, 400, 'HUB_ALERT_ACK_INVALID')
      const alert = await o.alerts.acknowledge(id, { by: `${p.username}: ${p.name}`, comment }, now())
      log.info({ alert: id, username: p.username }, 'alert acknowledged')
      return sendJson(res, 200, { alert: named(alert) }, { 'cache-control': 'no-store' })
    } catch (err) {
      const code = isMotcuaError(err) ? err.code : null
      const status = code ? ACK_STATUS[code] : undefined
      if (!code || !status) throw err
      // The message carries the store's detail (already acknowledged, comment too long).
      sendJson(res, status, { error: { code, message: (err as Error).message } }, { 'cache-control': 'no-store' })
    }
  }

  async function api(req: IncomingMessage, res: ServerResponse, url: URL, s: ConsoleSession): Promise<void> {
    const p = s.principal
    const path = url.pathname
    if (path === '/console/api/me') {
      return sendJson(res, 200, { username: p.username, name: p.name, role: p.role, sites: p.sites ?? null, video: p.role !== 'ioc', audit: canReadAudit(p) })
    }
    if (path === '/console/api/tree') {
      const sites = o.directory.sites.filter((x) => canSeeMetrics(p, x.id))
      const branches = [...new Set(sites.map((x) => x.branch ?? NO_BRANCH))].map((id) => ({ id, name: id === NO_BRANCH ? null : o.directory.branchName(id) }))
      return sendJson(res, 200, { province: o.directory.province, branches, sites: sites.map((x) => ({ id: x.id, name: x.name, branch: x.branch ?? NO_BRANCH })) })
    }
    if (path === '/console/api/kpis' || path === '/console/api/latest') {
      const q = scopeOf(url)
      if (!q) return fail(res, 400, 'HUB_QUERY_INVALID')
      const body = path === '/console/api/kpis'
        ? await levelView(o.db, o.directory, p, q.scope, q.unit, now())
        : await latestRatings(o.db, o.directory, p, q.scope, now())
      if (body === null) return fail(res, 403, 'HUB_CONSOLE_FORBIDDEN')
      return sendJson(res, 200, path === '/console/api/kpis' ? body : { ratings: body })
    }
    if (path === '/console/api/alerts') {
      const sites = alertSites(p, o.directory)
      const alerts = sites?.length === 0 ? [] : await o.alerts.list(sites, now())
      return sendJson(res, 200, { alerts: alerts.map(named) }, { 'cache-control': 'no-store' })
    }
    if (path === '/console/api/cameras') {
      if (p.role === 'ioc') return fail(res, 403, 'HUB_CONSOLE_FORBIDDEN')
      const cams = o.relay.cameras().filter((c) => canWatch(p, c.site))
      return sendJson(res, 200, { cameras: cams.map((c) => ({ ...c, siteName: o.directory.site(c.site).name })) })
    }
    if (path === '/console/api/audit') {
      if (!canReadAudit(p)) return fail(res, 403, 'HUB_CONSOLE_FORBIDDEN')
      const days = Math.min(90, Math.max(1, Number(url.searchParams.get('days') ?? 7) || 7))
      return sendJson(res, 200, { entries: await o.audit.list(now() - days * 86_400_000, now() + 1, 500) })
    }
    return fail(res, 404, 'HUB_NOT_FOUND')
  }

  const mount: Mount = {
    prefix: '/console',
    async handle(req, res, url) {
      const path = url.pathname
      const method = req.method ?? 'GET'
      const secure = 'encrypted' in req.socket
      if (path === '/console') {
        res.writeHead(308, { location: '/console/' })
        return void res.end()
      }
      if (method === 'POST' && path === '/console/login') {
        if (!sameOrigin(req)) return fail(res, 403, 'HUB_SESSION_REQUIRED')
        const form = await readForm(req)
        const lang = isLang(form.get('lang')) ? (form.get('lang') as Lang) : 'vi'
        const username = form.get('username') ?? ''
        const result = await o.accounts.login(username, form.get('password') ?? '', client(req))
        if (result === null || result === 'locked') {
          log.warn({ username: username.slice(0, 32), client: client(req), locked: result === 'locked' }, 'console sign-in refused')
          return sendHtml(res, CSP, result === 'locked' ? 429 : 401, loginPage(lang, result === 'locked' ? 'locked' : 'failed'))
        }
        log.info({ username: result.username, role: result.role }, 'console sign-in')
        res.writeHead(303, { location: `/console/?lang=${lang}`, 'set-cookie': o.sessions.issue(result.username, secure) })
        return void res.end()
      }
      if (method === 'POST' && path === '/console/logout') {
        res.writeHead(303, { location: '/console/', 'set-cookie': o.sessions.cleared(secure) })
        return void res.end()
      }
      const s = o.sessions.read(req)
      if (s?.refresh) res.setHeader('set-cookie', s.refresh)
      if (method === 'GET' && path === '/console/') {
        if (!s) return sendHtml(res, CSP, 200, loginPage(langOf(url), url.searchParams.has('expired') ? 'expired' : null))
        return sendHtml(res, CSP, 200, appPage(langOf(url), s.principal))
      }
      if (!s) return fail(res, 401, 'HUB_SESSION_REQUIRED')
      const ack = method === 'POST' ? ACK.exec(path) : null
      if (ack) {
        if (!sameOrigin(req)) return fail(res, 403, 'HUB_CONSOLE_FORBIDDEN')
        return acknowledge(req, res, ack[1] ?? '', s.principal)
      }
      if (method !== 'GET') return fail(res, 404, 'HUB_NOT_FOUND')
      if (path === CONSOLE_JS) {
        return sendScript(req, res, o.script)
      }
      if (path === '/console/export/kpis.csv') {
        const q = scopeOf(url)
        if (!q) return fail(res, 400, 'HUB_QUERY_INVALID')
        const view = await levelView(o.db, o.directory, s.principal, q.scope, q.unit, now())
        if (!view) return fail(res, 403, 'HUB_CONSOLE_FORBIDDEN')
        const site = q.scope.level === 'site' || q.scope.level === 'counter' ? q.scope.id.split('/')[0] : undefined
        await o.audit.record({ action: 'export', who: s.principal, site, detail: `${path}${url.search}`, client: client(req) })
        res.writeHead(200, {
          'content-type': 'text/csv; charset=utf-8', 'cache-control': 'no-store',
          'content-disposition': `attachment; filename="motcua-${q.scope.level}-${q.unit}.csv"`,
        })
        return void res.end(levelCsv(view))
      }
      if (path.startsWith('/console/api/')) return api(req, res, url, s)
      return fail(res, 404, 'HUB_NOT_FOUND')
    },
  }

  const refuse = (socket: Duplex, status: number, text: string): true => {
    socket.end(`HTTP/1.1 ${status} ${text}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`)
    return true
  }

  const upgrade: UpgradeHandler = (req, socket, head) => {
    const path = (req.url ?? '').split('?')[0] ?? ''
    if (!path.startsWith('/console/')) return false
    const m = LIVE.exec(path)
    if (!m) return refuse(socket, 404, 'Not Found')
    const [, site = '', camera = ''] = m
    const s = o.sessions.read(req)
    if (!s || !sameOrigin(req)) return refuse(socket, 401, 'Unauthorized')
    // Refused before looking the camera up, so a forbidden user learns nothing about another site's cameras.
    if (!canWatch(s.principal, site)) {
      log.warn({ username: s.principal.username, site, camera }, 'live view refused: role')
      return refuse(socket, 403, 'Forbidden')
    }
    if (!o.relay.camera(site, camera)) return refuse(socket, 404, 'Not Found')
    wss.handleUpgrade(req, socket, head, (ws) => {
      const viewing = o.audit.viewing(s.principal, site, camera, client(req))
      log.info({ username: s.principal.username, site, camera, viewing: viewing.id }, 'remote live view opened')
      const expiry = setTimeout(() => ws.close(SESSION_ENDED, 'session ended'), Math.max(0, s.endsAt - now()))
      ws.once('close', () => {
        clearTimeout(expiry)
        void viewing.end()
        log.info({ username: s.principal.username, site, camera, viewing: viewing.id }, 'remote live view closed')
      })
      o.relay.attach(ws, site, camera)
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
