/** The hub's HTTP(S) server: routes, health and metrics. Holds no state of its own beyond counters. */
import { readFileSync } from 'node:fs'
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import https from 'node:https'
import type { Logger } from '../../common/log.js'
import { dispatch, requestUrl, sendError, sendJson, type DispatchOptions, type RouteHandler } from '../../common/web/answer.js'
import { sendMetrics } from '../../common/web/access.js'
import { proxyList, trustForwarded } from '../../common/web/forwarded.js'
import { Router } from '../../common/web/router.js'
import { handleUpgrades, serverOptions, type UpgradeHandler } from '../../common/web/server.js'
import type { HubConfig } from '../config/schema.js'
import { createIngest } from '../ingest/handlers.js'
import type { PointWriter } from '../influx/writer.js'
import type { HubMetrics } from './metrics.js'

/** A feature that owns `prefix` and every path under it (the API, the console); built by hub/main.ts. */
export interface Mount {
  prefix: string
  handle(req: IncomingMessage, res: ServerResponse, url: URL): void | Promise<void>
}

export type { UpgradeHandler }

/** The hub's codes for a request no route takes, or whose handler failed. */
export const HUB_ANSWERS: Omit<DispatchOptions, 'log'> = {
  codes: { not_found: 'HUB_NOT_FOUND', method_not_allowed: 'HUB_METHOD_NOT_ALLOWED', bad_path: 'HUB_PATH_INVALID', internal: 'HUB_INTERNAL' },
}

/** One year: the hub is only ever served over TLS, directly or behind the proxy (docs/haproxy.md). */
export const HSTS = 'max-age=31536000'

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

  const router = new Router<RouteHandler>()
    .add('POST', '/v1/batches', ingest.batch)
    .add('GET', '/v1/clock', ingest.clock)
    // Status only, for anyone; the relay's viewers and the rest are on /metrics, behind its token (finding 10).
    .add('GET', '/healthz', async (_req, res) => {
      if (await writer.ping()) sendJson(res, 200, { status: 'ok' })
      else sendError(res, 'HUB_DB_UNAVAILABLE', 'database does not answer', { 'retry-after': String(config.retryAfterS) })
    })
    .add('GET', '/metrics', (req, res) => sendMetrics(req, res, metrics.registry, config.metricsToken, 'HUB_METRICS_REFUSED'))
  for (const m of deps.mounts ?? []) router.mount(m.prefix, (req, res, url) => m.handle(req, res, url))

  // The client and scheme behind the configured proxies, resolved before any route reads them (common/web/forwarded.ts).
  const proxies = config.trustedProxies.length > 0 ? proxyList(config.trustedProxies) : null
  const resolveClient = (req: IncomingMessage, res: ServerResponse) => {
    // A browser that reached the hub over TLS, directly or through the proxy, never tries it in clear again.
    if (trustForwarded(req, proxies).https) res.setHeader('strict-transport-security', HSTS)
  }
  const route = (req: IncomingMessage, res: ServerResponse) => dispatch(router, req, res, { ...HUB_ANSWERS, log })
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    resolveClient(req, res)
    return route(req, res)
  }

  const tls = config.http.tls
  const server = tls
    ? https.createServer({ ...serverOptions(), cert: readFileSync(tls.cert), key: readFileSync(tls.key) }, handler)
    : http.createServer(serverOptions(), handler)
  // Expect: 100-continue (the edge's batches): a batch ingest would refuse is answered before its upload;
  // anything else is told to go on at once, as Node does when nobody listens for this event.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    resolveClient(req, res)
    if (req.method === 'POST' && requestUrl(req)?.pathname === '/v1/batches' && ingest.refuseUpload(req, res)) return
    res.writeContinue()
    void route(req, res)
  })
  handleUpgrades(server, () => deps.upgrades ?? [], log)
  server.prependListener('upgrade', (req: IncomingMessage) => void trustForwarded(req, proxies))
  return server
}
