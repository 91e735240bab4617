/**
 * The supervisor page on the edge's HTTP server, everything under
 * /supervisor/: login/logout, the camera grid, a JSON camera list, snapshot
 * files, and the live-video WebSocket /supervisor/live/{camera}. Everything
 * but the login page needs a session, the WebSocket included.
 */
import { sendAsset } from '../../common/web/assets.js'
import { NO_STORE, refuseCrossSite, refuseUpgrade, requestUrl, sendError, sendJson, sendMiss } from '../../common/web/answer.js'
import { sameOrigin, sendHtml } from '../../common/web/page.js'
import { Router, type Params } from '../../common/web/router.js'
import { signIn } from '../../common/web/sign-in.js'
import { readFile } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer } from 'ws'
import type { Logger } from '../../common/log.js'
import type { CameraView } from '../cameras/camera.js'
import type { UnconfiguredCamera } from '../cameras/subsystem.js'
import { EDGE_ANSWERS, type EdgeHttp } from '../http/server.js'
import type { LiveService } from '../live/service.js'
import type { EdgeAudit } from './audit.js'
import { SUPERVISOR_JS, type PageAsset } from './bundle.js'
import { isLang, type Lang } from './i18n.js'
import { appPage, CSP, loginPage } from './page.js'
import { parseSnapshotName } from '../cameras/snapshot-store.js'
import { readCookie } from '../../common/web/cookies.js'
import { clearedCookie, SESSION_COOKIE, sessionCookie, SessionStore, type Session, type SupervisorAccount } from './sessions.js'

/** What the page needs from the camera subsystem. */
export interface CameraSource {
  cameras(): CameraView[]
  unconfigured(): UnconfiguredCamera[]
  snapshot(id: string): Promise<string>
  snapshots: { pathOf(name: string): string | null }
}

export interface SupervisorOptions {
  siteName: string
  accounts: readonly SupervisorAccount[]
  cameras: CameraSource
  live: LiveService
  /** Where views and snapshots are recorded; nothing is shown whose entry was not stored. */
  audit: EdgeAudit
  script: PageAsset
  log: Logger
  sessionTtlMs?: number
  now?: () => number
}

export interface SupervisorRoutes {
  sessions: SessionStore
  /** Closes live sockets; the LiveService itself is stopped by its owner. */
  close(): void
}

const LIVE_PREFIX = '/supervisor/live/'
/** WebSocket close code (application range) for a session that ran out while watching. */
export const SESSION_EXPIRED = 4401

type Page = (req: IncomingMessage, res: ServerResponse, url: URL, params: Params, session: Session | null) => void | Promise<void>

/** The API view of a camera: no stream or snapshot URI, nothing that could carry a credential. */
function publicView(v: CameraView) {
  return {
    id: v.id, name: v.name, counter: v.counter, state: v.state, onvif: v.onvif, stream: v.stream, detail: v.detail,
    cameraOffsetMs: v.cameraOffsetMs, motion: v.motion, tamper: v.tamper, events: v.events,
    lastChangeAt: v.lastChangeAt, latestSnapshot: v.latestSnapshot,
  }
}

export function mountSupervisor(http: EdgeHttp, o: SupervisorOptions): SupervisorRoutes {
  const log = o.log.child({ module: 'supervisor' })
  const ttlMs = o.sessionTtlMs ?? 12 * 3600_000
  const sessions = new SessionStore(o.accounts, ttlMs, o.now)
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 })

  const sessionOf = (req: IncomingMessage): Session | null => sessions.get(readCookie(req.headers.cookie, SESSION_COOKIE))
  const langOf = (url: URL): Lang => {
    const l = url.searchParams.get('lang')
    return isLang(l) ? l : 'vi'
  }
  const signedIn = (h: (req: IncomingMessage, res: ServerResponse, params: Params, session: Session) => void | Promise<void>): Page =>
    (req, res, _url, params, session) => (session ? h(req, res, params, session) : sendError(res, 'EDGE_SESSION_REQUIRED', undefined, NO_STORE))
  const clientOf = (req: IncomingMessage) => req.socket.remoteAddress ?? ''
  /** Stores the audit entry first; false (and the request answered 503) when it could not be. */
  const recorded = async (res: ServerResponse, e: Parameters<EdgeAudit['record']>[0]): Promise<boolean> => {
    try {
      await o.audit.record(e)
      return true
    } catch {
      sendError(res, 'EDGE_AUDIT_UNAVAILABLE', undefined, NO_STORE)
      return false
    }
  }

  const routes = new Router<Page>()
    .add('*', '/supervisor', (_req, res) => void res.writeHead(308, { location: '/supervisor/' }).end())
    .add('POST', '/supervisor/login', (req, res) => signIn(req, res, {
      home: '/supervisor/', csp: CSP, sessionCode: 'EDGE_SESSION_REQUIRED',
      login: (username, password, client) => sessions.login(username, password, client),
      loginPage: (lang, problem) => loginPage(lang, o.siteName, problem),
      cookie: (r, secure) => sessionCookie(r.token, Math.floor(ttlMs / 1000), secure),
      log, said: { refused: 'supervisor login refused', signedIn: 'supervisor signed in' },
      logged: (r) => ({ username: r.session.username }),
    }))
    .add('POST', '/supervisor/logout', (req, res) => {
      sessions.logout(readCookie(req.headers.cookie, SESSION_COOKIE))
      res.writeHead(303, { location: '/supervisor/', 'set-cookie': clearedCookie }).end()
    })
    .add('GET', '/supervisor/', (_req, res, url, _params, session) =>
      sendHtml(res, CSP, 200, session ? appPage(langOf(url), o.siteName, session.name, SUPERVISOR_JS) : loginPage(langOf(url), o.siteName, null)))
    .add('GET', SUPERVISOR_JS, signedIn((req, res) => sendAsset(req, res, o.script, 'no-cache')))
    .add('GET', '/supervisor/api/cameras', signedIn((_req, res) =>
      sendJson(res, 200, { cameras: o.cameras.cameras().map(publicView), unconfigured: o.cameras.unconfigured() }, NO_STORE)))
    .add('POST', '/supervisor/api/cameras/:camera/snapshot', signedIn(async (req, res, { camera = '' }, session) => {
      if (!sameOrigin(req)) return refuseCrossSite(res, 'EDGE_SESSION_REQUIRED')
      if (!o.cameras.cameras().some((c) => c.id === camera)) return sendError(res, 'EDGE_CAMERA_UNKNOWN', undefined, NO_STORE)
      let snapshot: string
      try {
        snapshot = await o.cameras.snapshot(camera)
      } catch (err) {
        log.warn({ camera, err: (err as Error).message }, 'snapshot on demand failed')
        return sendError(res, 'EDGE_SNAPSHOT_FAILED', undefined, NO_STORE)
      }
      if (!(await recorded(res, { action: 'snapshot_take', user: session.username, camera, client: clientOf(req), detail: snapshot }))) return
      return sendJson(res, 200, { snapshot }, NO_STORE)
    }))
    .add('GET', '/supervisor/snapshots/*name', signedIn(async (req, res, { name = '' }, session) => {
      const file = o.cameras.snapshots.pathOf(name)
      const body = file ? await readFile(file).catch(() => null) : null
      if (!body) return sendError(res, 'EDGE_CAMERA_UNKNOWN', undefined, NO_STORE)
      const camera = parseSnapshotName(name)?.camera ?? ''
      if (!(await recorded(res, { action: 'snapshot_view', user: session.username, camera, client: clientOf(req), detail: name }))) return
      res.writeHead(200, { 'content-type': 'image/jpeg', 'cache-control': 'private, max-age=3600' })
      res.end(body)
    }))

  http.mount('/supervisor', (req, res, url) => {
    const method = req.method ?? 'GET'
    const session = sessionOf(req)
    const m = routes.match(method, url.pathname)
    if (m.kind === 'found') return m.handler(req, res, url, m.params, session)
    // Without a session every other path is refused alike, so a visitor learns nothing of the API's shape.
    if (!session) return sendError(res, 'EDGE_SESSION_REQUIRED', undefined, NO_STORE)
    sendMiss(res, m, EDGE_ANSWERS.codes, `${method} ${url.pathname}`, NO_STORE)
  })

  const live = new Router<null>().add('GET', `${LIVE_PREFIX}*camera`, null)
  const removeUpgrade = http.upgrade((req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const m = live.match(req.method ?? 'GET', requestUrl(req)?.pathname ?? '')
    if (m.kind === 'not_found' || m.kind === 'method_not_allowed') return false
    if (m.kind === 'bad_path') return refuseUpgrade(socket, 400)
    const camera = m.params.camera ?? ''
    const session = sessionOf(req)
    if (!session || !sameOrigin(req)) return refuseUpgrade(socket, 401)
    if (!o.cameras.cameras().some((c) => c.id === camera)) return refuseUpgrade(socket, 404)
    // Video only once its viewing is stored for the audit log: a viewing that cannot be recorded does not start.
    o.audit.viewing(session.username, camera, clientOf(req)).then((viewing) => wss.handleUpgrade(req, socket, head, (ws) => {
      log.info({ camera, username: session.username, viewing: viewing.id }, 'live view opened')
      // The video stops when the session does; the page then finds itself signed out.
      const expiry = setTimeout(() => ws.close(SESSION_EXPIRED, 'session expired'), Math.max(0, session.expiresAt - (o.now ?? Date.now)()))
      ws.once('close', () => {
        clearTimeout(expiry)
        void viewing.end()
      })
      o.live.attach(ws, camera)
    }), () => refuseUpgrade(socket, 503))
    return true
  })

  return {
    sessions,
    close() {
      removeUpgrade()
      for (const ws of wss.clients) ws.terminate()
      wss.close()
    },
  }
}
