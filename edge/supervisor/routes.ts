/**
 * The supervisor page on the edge's HTTP server, everything under
 * /supervisor/: login/logout, the camera grid, a JSON camera list, snapshot
 * files, and the live-video WebSocket /supervisor/live/{camera}. Everything
 * but the login page needs a session, the WebSocket included.
 */
import { sendScript } from '../../common/web/assets.js'
import { readForm, sameOrigin, sendHtml } from '../../common/web/page.js'
import { readFile } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer } from 'ws'
import { ERRORS, type ErrorCode } from '../../common/errors.js'
import type { Logger } from '../../common/log.js'
import type { CameraView } from '../cameras/camera.js'
import type { UnconfiguredCamera } from '../cameras/subsystem.js'
import { sendJson, type EdgeHttp } from '../http/server.js'
import type { LiveService } from '../live/service.js'
import { SUPERVISOR_JS, type PageAsset } from './bundle.js'
import { isLang, type Lang } from './i18n.js'
import { appPage, CSP, loginPage } from './page.js'
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

function fail(res: ServerResponse, status: number, code: ErrorCode): void {
  sendJson(res, status, { error: { code, message: ERRORS[code] } })
}

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

  http.mount('/supervisor', async (req, res, url) => {
    const path = url.pathname
    const method = req.method ?? 'GET'
    if (path === '/supervisor') {
      res.writeHead(308, { location: '/supervisor/' })
      return void res.end()
    }
    if (method === 'POST' && path === '/supervisor/login') {
      if (!sameOrigin(req)) return fail(res, 403, 'EDGE_SESSION_REQUIRED')
      const form = await readForm(req)
      const lang = isLang(form.get('lang')) ? (form.get('lang') as Lang) : 'vi'
      const result = await sessions.login(form.get('username') ?? '', form.get('password') ?? '', req.socket.remoteAddress ?? '?')
      if (result === null || result === 'locked') {
        log.warn({ username: (form.get('username') ?? '').slice(0, 32), client: req.socket.remoteAddress, locked: result === 'locked' }, 'supervisor login refused')
        return sendHtml(res, CSP, result === 'locked' ? 429 : 401, loginPage(lang, o.siteName, result === 'locked' ? 'locked' : 'failed'))
      }
      log.info({ username: result.session.username }, 'supervisor signed in')
      const secure = 'encrypted' in req.socket
      res.writeHead(303, { location: `/supervisor/?lang=${lang}`, 'set-cookie': sessionCookie(result.token, Math.floor(ttlMs / 1000), secure) })
      return void res.end()
    }
    if (method === 'POST' && path === '/supervisor/logout') {
      sessions.logout(readCookie(req.headers.cookie, SESSION_COOKIE))
      res.writeHead(303, { location: '/supervisor/', 'set-cookie': clearedCookie })
      return void res.end()
    }
    const session = sessionOf(req)
    if (method === 'GET' && path === '/supervisor/') {
      if (!session) return sendHtml(res, CSP, 200, loginPage(langOf(url), o.siteName, null))
      return sendHtml(res, CSP, 200, appPage(langOf(url), o.siteName, session.name, SUPERVISOR_JS))
    }
    if (!session) return fail(res, 401, 'EDGE_SESSION_REQUIRED')
    if (method === 'GET' && path === SUPERVISOR_JS) {
      return sendScript(req, res, o.script)
    }
    if (method === 'GET' && path === '/supervisor/api/cameras') {
      return sendJson(res, 200, { cameras: o.cameras.cameras().map(publicView), unconfigured: o.cameras.unconfigured() })
    }
    const shot = /^\/supervisor\/api\/cameras\/([a-z0-9-]{1,32})\/snapshot$/.exec(path)
    if (method === 'POST' && shot) {
      if (!sameOrigin(req)) return fail(res, 403, 'EDGE_SESSION_REQUIRED')
      if (!o.cameras.cameras().some((c) => c.id === shot[1])) return fail(res, 404, 'EDGE_CAMERA_UNKNOWN')
      try {
        return sendJson(res, 200, { snapshot: await o.cameras.snapshot(shot[1]!) })
      } catch (err) {
        log.warn({ camera: shot[1], err: (err as Error).message }, 'snapshot on demand failed')
        return fail(res, 502, 'EDGE_SNAPSHOT_FAILED')
      }
    }
    if (method === 'GET' && path.startsWith('/supervisor/snapshots/')) {
      const file = o.cameras.snapshots.pathOf(decodeURIComponent(path.slice('/supervisor/snapshots/'.length)))
      const body = file ? await readFile(file).catch(() => null) : null
      if (!body) return fail(res, 404, 'EDGE_CAMERA_UNKNOWN')
      res.writeHead(200, { 'content-type': 'image/jpeg', 'cache-control': 'private, max-age=3600' })
      return void res.end(body)
    }
    return sendJson(res, 404, { error: { code: 'NOT_FOUND', message: `${method} ${path}` } })
  })

  const refuse = (socket: Duplex, status: number, text: string) => {
    socket.end(`HTTP/1.1 ${status} ${text}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`)
  }
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://edge.local')
    if (!url.pathname.startsWith(LIVE_PREFIX)) return
    const camera = decodeURIComponent(url.pathname.slice(LIVE_PREFIX.length))
    const session = sessionOf(req)
    if (!session || !sameOrigin(req)) return refuse(socket, 401, 'Unauthorized')
    if (!o.cameras.cameras().some((c) => c.id === camera)) return refuse(socket, 404, 'Not Found')
    wss.handleUpgrade(req, socket, head, (ws) => {
      log.info({ camera, username: session.username }, 'live view opened')
      // The video stops when the session does; the page then finds itself signed out.
      const expiry = setTimeout(() => ws.close(SESSION_EXPIRED, 'session expired'), Math.max(0, session.expiresAt - (o.now ?? Date.now)()))
      ws.once('close', () => clearTimeout(expiry))
      o.live.attach(ws, camera)
    })
  }
  http.server.on('upgrade', onUpgrade)

  return {
    sessions,
    close() {
      http.server.off('upgrade', onUpgrade)
      for (const ws of wss.clients) ws.terminate()
      wss.close()
    },
  }
}
