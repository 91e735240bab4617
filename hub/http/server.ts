/** The hub's HTTP(S) server: routes, health and metrics. Holds no state of its own beyond counters. */
import { readFileSync } from 'node:fs'
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import https from 'node:https'
import type { Logger } from '../../common/log.js'
import type { HubConfig } from '../config/schema.js'
import { createIngest } from '../ingest/handlers.js'
import type { PointWriter } from '../influx/writer.js'
import type { HubMetrics } from './metrics.js'
import { sendError, sendJson } from './respond.js'

export interface ServerDeps {
  config: HubConfig
  writer: PointWriter
  metrics: HubMetrics
  log: Logger
  now: () => number
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
    const path = (req.url ?? '/').split('?')[0]
    const route = routes[`${req.method} ${path}`]
    if (!route) return sendError(res, 404, 'HUB_NOT_FOUND', `${req.method} ${path}`)
    Promise.resolve(route(req, res)).catch((err: unknown) => {
      log.error({ err, path }, 'request handler failed')
      if (!res.headersSent) sendError(res, 500, 'HUB_INTERNAL')
      else res.destroy()
    })
  }

  const tls = config.http.tls
  return tls
    ? https.createServer({ cert: readFileSync(tls.cert), key: readFileSync(tls.key) }, handler)
    : http.createServer(handler)
}
