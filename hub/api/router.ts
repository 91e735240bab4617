/**
 * The KPI API under /api/: authentication, routing, errors. Everything it
 * reads comes from InfluxDB and the config, so any hub instance answers any
 * request. /api/v1/sites/{site}/… is the same endpoint with the site fixed
 * by the path (and checked against the key like a query parameter).
 */
import { readFileSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { parse as parseYaml } from 'yaml'
import { isMotcuaError, type ErrorCode } from '../../common/errors.js'
import type { Logger } from '../../common/log.js'
import { ID_PATTERN } from '../../protocol/patterns.js'
import type { AlertStore } from '../alerts-store/store.js'
import type { HubConfig } from '../config/schema.js'
import { sendError, sendJson } from '../http/respond.js'
import type { PointWriter } from '../influx/writer.js'
import { createInfluxQuery, type InfluxQuery } from '../queries/client.js'
import { createDirectory } from '../queries/directory.js'
import { authenticate } from './auth.js'
import type { ApiDeps, ApiHandler } from './context.js'
import { ratingsCsv, ratingsPage } from './export.js'
import { ackAlert, decision766, listAlerts, queueKpi, ratingsKpi, siteHealth } from './kpi.js'
import { monthlyReport } from './report.js'
import { createStreamHandler, createStreamRegistry } from './stream.js'

const STATUS: Partial<Record<ErrorCode, number>> = {
  HUB_API_KEY_INVALID: 401,
  HUB_API_FORBIDDEN: 403,
  HUB_QUERY_INVALID: 400,
  HUB_ALERT_NOT_FOUND: 404,
  HUB_ALERT_ACK_INVALID: 400,
  HUB_BODY_TOO_LARGE: 413,
  HUB_DB_QUERY_FAILED: 503,
  HUB_DB_UNAVAILABLE: 503,
}

export const OPENAPI: unknown = parseYaml(readFileSync(new URL('./openapi.yaml', import.meta.url), 'utf8'))

/** Mounted at /api by hub/main.ts (a `Mount` of hub/http/server.ts). */
export interface Api {
  prefix: '/api'
  handle(req: IncomingMessage, res: ServerResponse): void
  /** Ends open event streams, so the server can close. */
  close(): void
}

export interface ApiOptions {
  config: HubConfig
  writer: PointWriter
  log: Logger
  now: () => number
  db?: InfluxQuery
  streamPollMs?: number
  streamAlertMs?: number
  /** The hub's one alert store (hub/main.ts starts and stops it). */
  alerts: AlertStore
}

export function createApi(opts: ApiOptions): Api {
  const { config, writer, log, now } = opts
  const db = opts.db ?? createInfluxQuery(config.influx)
  const dir = createDirectory(config)
  const deps: ApiDeps = {
    config,
    db,
    writer,
    dir,
    log,
    now,
    alerts: opts.alerts,
    streamPollMs: opts.streamPollMs,
    streamAlertMs: opts.streamAlertMs,
  }
  const streams = createStreamRegistry()
  const directory: ApiHandler = async ({ res, key }) => {
    const visible = dir.sites.filter((s) => key.scope === 'ioc' || key.sites?.includes(s.id))
    sendJson(res, 200, { data: { province: dir.province, sites: visible, branches: config.branches } })
  }
  /** Site-relative names for /api/v1/sites/{site}/…; the same handlers as the top-level paths. */
  const routes: Record<string, ApiHandler> = {
    'GET kpi/ratings': ratingsKpi,
    'GET kpi/queue': queueKpi,
    'GET kpi/decision766': decision766,
    'GET health/sites': siteHealth,
    'GET alerts': listAlerts,
    'GET ratings': ratingsPage,
    'GET export/ratings.csv': ratingsCsv,
    'GET reports/monthly': monthlyReport,
    'GET stream': createStreamHandler(streams),
    'GET sites': directory,
  }

  function route(method: string, rest: string): { handler: ApiHandler; params: string[] } | null {
    const exact = routes[`${method} ${rest}`]
    if (exact) return { handler: exact, params: [] }
    const m = /^alerts\/([^/]+)\/ack$/.exec(rest)
    if (m && method === 'POST') return { handler: ackAlert, params: [m[1]!] }
    return null
  }

  return {
    prefix: '/api',
    handle(req, res) {
      const url = new URL(req.url ?? '/', 'http://hub')
      if (req.method === 'GET' && url.pathname === '/api/openapi.json') return sendJson(res, 200, OPENAPI)
      let rest = url.pathname.slice('/api/v1/'.length)
      let pathSite: string | undefined
      const sitePath = /^sites\/([^/]+)\/(.+)$/.exec(rest)
      if (url.pathname.startsWith('/api/v1/') && sitePath) {
        pathSite = sitePath[1]!
        rest = sitePath[2] === 'health' ? 'health/sites' : sitePath[2]!
      }
      const found = url.pathname.startsWith('/api/v1/') ? route(req.method ?? 'GET', rest) : null
      if (!found) return sendError(res, 404, 'HUB_NOT_FOUND', `${req.method} ${url.pathname}`)
      const run = async () => {
        const key = authenticate(req, config.apiKeys)
        if (pathSite !== undefined && !ID_PATTERN.test(pathSite)) {
          return sendError(res, 400, 'HUB_QUERY_INVALID', 'the site in the path is not an id')
        }
        await found.handler({ req, res, key, query: url.searchParams, pathSite, params: found.params }, deps)
      }
      run().catch((err: unknown) => {
        const code = isMotcuaError(err) ? err.code : null
        const status = code ? STATUS[code] : undefined
        if (!code || !status) log.error({ err, path: url.pathname }, 'api request failed')
        else if (status >= 500) log.warn({ code, path: url.pathname }, 'api request failed')
        if (res.headersSent) return void res.destroy()
        if (code && status) {
          // The message carries the detail (which parameter, which site), not only the catalogue text.
          return sendJson(res, status, { error: { code, message: (err as Error).message } }, status === 401 ? { 'www-authenticate': 'Bearer' } : {})
        }
        sendError(res, 500, 'HUB_INTERNAL')
      })
    },
    close: () => streams.closeAll(),
  }
}
