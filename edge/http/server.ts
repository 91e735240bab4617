/**
 * The edge's HTTP server. Parts register their routes (health and metrics
 * here; kiosk and camera pages later) instead of editing a dispatcher, and
 * `server` is exposed for WebSocket upgrades.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Logger } from '../../common/log.js'

export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>

export interface EdgeHttp {
  readonly server: Server
  /** Exact path, e.g. route('GET', '/healthz', ...). */
  route(method: string, path: string, handler: Handler): void
  /** Every path under a prefix ("/kiosk/"), for pages with assets. */
  mount(prefix: string, handler: Handler): void
  listen(): Promise<number>
  close(): Promise<void>
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' })
  res.end(text)
}

export function createEdgeHttp(opts: { host: string; port: number; log: Logger }): EdgeHttp {
  const log = opts.log.child({ module: 'http' })
  const routes = new Map<string, Handler>()
  const mounts: { prefix: string; handler: Handler }[] = []

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://edge.local')
    const handler =
      routes.get(`${req.method} ${url.pathname}`) ?? mounts.find((m) => url.pathname.startsWith(m.prefix))?.handler
    if (!handler) {
      const otherMethod = [...routes.keys()].some((k) => k.endsWith(` ${url.pathname}`))
      return sendJson(res, otherMethod ? 405 : 404, { error: { code: otherMethod ? 'METHOD_NOT_ALLOWED' : 'NOT_FOUND', message: `${req.method} ${url.pathname}` } })
    }
    Promise.resolve()
      .then(() => handler(req, res, url))
      .catch((err: unknown) => {
        log.error({ err, path: url.pathname }, 'request handler failed')
        if (!res.headersSent) sendJson(res, 500, { error: { code: 'INTERNAL', message: 'internal error' } })
        else res.destroy()
      })
  })
  const sockets = new Set<import('node:net').Socket>()
  server.on('connection', (s) => {
    sockets.add(s)
    s.once('close', () => sockets.delete(s))
  })

  return {
    server,
    route: (method, path, handler) => void routes.set(`${method.toUpperCase()} ${path}`, handler),
    mount: (prefix, handler) => void mounts.push({ prefix, handler }),
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject)
        server.listen(opts.port, opts.host, () => {
          server.off('error', reject)
          const addr = server.address()
          const port = typeof addr === 'object' && addr ? addr.port : opts.port
          log.info({ host: opts.host, port }, 'http listening')
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
