/** The hub's HTTP(S) server: routes, health and metrics. Holds no state of its own beyond counters. */
import { readFileSync } from 'node:fs'
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import https from 'node:https'
import type { Duplex } from 'node:stream'
import type { Logger } from '../../common/log.js'
import type { HubConfig } from '../config/schema.js'
import { createIngest } from '../ingest/handlers.js'
import type { PointWriter } from '../influx/writer.js'
import type { HubMetrics } from './metrics.js'
import { sendError, sendJson } from './respond.js'

/** A feature that owns every path under `prefix` (the console, the relay); built by hub/main.ts. */
export interface Mount {
  prefix: string
  handle(req: IncomingMessage, res: ServerResponse, url: URL): void | Promise<void>
}

/** WebSocket endpoints: each returns true when it took the upgrade (accepted or refused). */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => boolean

export interface ServerDeps {
  config: HubConfig
  writer: PointWriter
  metrics: HubMetrics
  log: Logger
  now: () => number
  mounts?: readonly Mount[]
  upgrades?: readonly UpgradeHandler[]
}

export function createHubServer(deps: ServerDeps): http.Server {
  const { config, writer, metrics, log } = deps
  const ingest = createIngest(deps)

  const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void | Promise<void>> = {
    'POST /v1/batches': ingest.batch,
    'GET /v1/clock': ingest.clock,
    async 'GET /healthz'(_req, res) {
      if (await writer.ping()) sendJson(res, 200, { status: 'ok' })
      else sendError(res, 503, 'HUB_DB_UNAVAILABLE', 'database does not answer', { 'retry-after': String(config.retryAfterS) })
    },
    async 'GET /metrics'(_req, res) {
      const text = await metrics.registry.metrics()
      res.writeHead(200, { 'content-type': metrics.registry.contentType })
      res.end(text)
    },
  }

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/'
    const mount = deps.mounts?.find((m) => path === m.prefix || path.startsWith(`${m.prefix}/`))
    const route = mount ? (rq: IncomingMessage, rs: ServerResponse) => mount.handle(rq, rs, new URL(req.url ?? '/', 'http://hub.local')) : routes[`${req.method} ${path}`]
    if (!route) return sendError(res, 404, 'HUB_NOT_FOUND', `${req.method} ${path}`)
    Promise.resolve(route(req, res)).catch((err: unknown) => {
      log.error({ err, path }, 'request handler failed')
      if (!res.headersSent) sendError(res, 500, 'HUB_INTERNAL')
      else res.destroy()
    })
  }

  const tls = config.http.tls
  const server = tls
    ? https.createServer({ cert: readFileSync(tls.cert), key: readFileSync(tls.key) }, handler)
    : http.createServer(handler)
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy())
    if (!deps.upgrades?.some((u) => u(req, socket, head))) {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n')
    }
  })
  return server
}
