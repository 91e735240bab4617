/**
 * The edge's HTTP server. Parts register their routes (health and metrics
 * here; kiosk and camera pages later) and their WebSocket endpoints instead
 * of editing a dispatcher; the server owns the one upgrade listener, so an
 * upgrade no endpoint takes is refused, not left holding its socket.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { Logger } from '../../common/log.js'
import { dispatch, NO_STORE, type DispatchOptions } from '../../common/web/answer.js'
import { Router, type Params } from '../../common/web/router.js'
import { handleUpgrades, serverOptions, type UpgradeHandler } from '../../common/web/server.js'
import type { TlsFiles } from '../config/tls.js'

export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL, params: Params) => void | Promise<void>

export interface EdgeHttp {
  readonly server: Server
  /** A path pattern of common/web/router.ts, e.g. route('GET', '/healthz', ...). */
  route(method: string, path: string, handler: Handler): void
  /** The prefix ("/kiosk") and every path under it, any method, for pages with assets. */
  mount(prefix: string, handler: Handler): void
  /** A WebSocket endpoint; the returned function removes it. */
  upgrade(handler: UpgradeHandler): () => void
  listen(): Promise<number>
  close(): Promise<void>
}

/** The edge's error answers: never cached, with its codes for a path no route takes. */
export const EDGE_ANSWERS: Omit<DispatchOptions, 'log'> = {
  codes: { not_found: 'NOT_FOUND', method_not_allowed: 'METHOD_NOT_ALLOWED', bad_path: 'EDGE_PATH_INVALID', internal: 'INTERNAL' },
  headers: NO_STORE,
}

/** With `tls` the server speaks HTTPS only (edge/config/tls.ts: the supervisor's password and video cross the site LAN). */
export function createEdgeHttp(opts: { host: string; port: number; log: Logger; tls?: TlsFiles | undefined }): EdgeHttp {
  const log = opts.log.child({ module: 'http' })
  const router = new Router<Handler>()

  const upgrades: UpgradeHandler[] = []
  const onRequest = (req: IncomingMessage, res: ServerResponse) => dispatch(router, req, res, { ...EDGE_ANSWERS, log })
  const server: Server = opts.tls ? createHttpsServer({ ...serverOptions(), cert: opts.tls.cert, key: opts.tls.key }, onRequest) : createServer(serverOptions(), onRequest)
  handleUpgrades(server, () => upgrades, log)
  const sockets = new Set<import('node:net').Socket>()
  server.on('connection', (s) => {
    sockets.add(s)
    s.once('close', () => sockets.delete(s))
  })

  return {
    server,
    route: (method, path, handler) => void router.add(method, path, handler),
    mount: (prefix, handler) => void router.mount(prefix, handler),
    upgrade(handler) {
      upgrades.push(handler)
      return () => {
        const at = upgrades.indexOf(handler)
        if (at >= 0) upgrades.splice(at, 1)
      }
    },
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject)
        server.listen(opts.port, opts.host, () => {
          server.off('error', reject)
          const addr = server.address()
          const port = typeof addr === 'object' && addr ? addr.port : opts.port
          log.info({ host: opts.host, port, tls: Boolean(opts.tls) }, 'http listening')
          resolve(port)
        })
      }),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        for (const s of sockets) s.destroy()
      }),
  }
}
