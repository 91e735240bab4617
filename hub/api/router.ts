/**
 * The KPI API under /api/: authentication, routing, errors. Everything it
 * reads comes from InfluxDB and the config, so any hub instance answers any
 * request. /api/v1/sites/{site}/… is the same endpoint with the site fixed
 * by the path (and checked against the key like a query parameter).
 */
import { readFileSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { parse as parseYaml } from 'yaml'
import { httpStatus, isMotcuaError } from '../../common/errors.js'
import type { Logger } from '../../common/log.js'
import { sendCaught, sendError, sendJson, sendMiss, type RouteHandler } from '../../common/web/answer.js'
import { Router } from '../../common/web/router.js'
import { ID_PATTERN } from '../../protocol/patterns.js'
import type { AlertStore } from '../alerts-store/store.js'
import type { AuditLog } from '../audit/audit.js'
import type { HubConfig } from '../config/schema.js'
import { HUB_ANSWERS } from '../http/server.js'
import type { PointWriter } from '../influx/writer.js'
import type { PastAnswers } from '../queries/past-answers.js'
import { createInfluxQuery, type InfluxQuery } from '../queries/client.js'
import { createDirectory, type Directory } from '../queries/directory.js'
import { authenticate } from './auth.js'
import type { ApiDeps, ApiHandler } from './context.js'
import { casesApi } from './cases.js'
import { dutyApi } from './duty.js'
import { alertDeliveriesApi } from './alert-deliveries.js'
import { ratingsCsv, ratingsPage } from './export.js'
import { ackAlert, decision766, listAlerts, queueKpi, ratingsKpi, siteHealth } from './kpi.js'
import { monthlyReport } from './report.js'
import { createStreams } from './stream.js'

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
  /** The hub's one alert store (hub/main.ts starts and stops it); streams send its background evaluations. */
  alerts: AlertStore
  /** The hub's one audit log: raw exports and streams are recorded on it. */
  audit: AuditLog
  /** The hub's one site directory (names from the edges); default one from the config alone, naming every id by itself. */
  dir?: Directory
  /** Answers about past days this instance keeps (with its own writer); without it every question is read afresh. */
  past?: PastAnswers
}

export function createApi(opts: ApiOptions): Api {
  const { config, writer, log, now } = opts
  const db = opts.db ?? createInfluxQuery(config.influx)
  const dir = opts.dir ?? createDirectory(config)
  const deps: ApiDeps = {
    config,
    db,
    writer,
    dir,
    log,
    now,
    alerts: opts.alerts,
    audit: opts.audit,
    streamPollMs: opts.streamPollMs,
    past: opts.past,
  }
  const streams = createStreams(deps, config.streams)
  const directory: ApiHandler = async ({ res, key }) => {
    const visible = dir.sites
      .filter((s) => key.scope === 'ioc' || key.sites?.includes(s.id))
      // Each site's departments and counters with their names, from its edge (issue 15); empty until it sent them.
      .map((s) => ({ ...s, departments: dir.departments(s.id), counters: dir.counters(s.id) }))
    sendJson(res, 200, { data: { province: dir.province, sites: visible, branches: config.branches } })
  }
  /** An endpoint behind an API key; a site in the path is checked like a query parameter. */
  const keyed = (handler: ApiHandler): RouteHandler => async (req, res, url, { site: pathSite, ...params }) => {
    const key = authenticate(req, config.apiKeys)
    if (pathSite !== undefined && !ID_PATTERN.test(pathSite)) return sendError(res, 'HUB_QUERY_INVALID', 'the site in the path is not an id')
    await handler({ req, res, key, query: url.searchParams, pathSite, params }, deps)
  }
  const routes = new Router<RouteHandler>().add('GET', '/api/openapi.json', (_req, res) => sendJson(res, 200, OPENAPI))
  // Each endpoint also answers as /api/v1/sites/{site}/…, the same handler with the site fixed by the path.
  const endpoint = (method: string, path: string, handler: ApiHandler) =>
    routes.add(method, `/api/v1/${path}`, keyed(handler)).add(method, `/api/v1/sites/:site/${path}`, keyed(handler))
  endpoint('GET', 'kpi/ratings', ratingsKpi)
  endpoint('GET', 'kpi/queue', queueKpi)
  endpoint('GET', 'kpi/decision766', decision766)
  endpoint('GET', 'health/sites', siteHealth)
  routes.add('GET', '/api/v1/sites/:site/health', keyed(siteHealth))
  endpoint('GET', 'alerts', listAlerts)
  endpoint('GET', 'alerts/deliveries', alertDeliveriesApi())
  endpoint('POST', 'alerts/:id/ack', ackAlert)
  endpoint('GET', 'ratings', ratingsPage)
  endpoint('GET', 'export/ratings.csv', ratingsCsv)
  endpoint('GET', 'reports/monthly', monthlyReport)
  endpoint('GET', 'stream', streams.handler)
  endpoint('GET', 'duty', dutyApi)
  endpoint('GET', 'cases', casesApi)
  endpoint('GET', 'sites', directory)

  return {
    prefix: '/api',
    handle(req, res) {
      const url = new URL(req.url ?? '/', 'http://hub')
      const method = req.method ?? 'GET'
      const found = routes.match(method, url.pathname)
      if (found.kind !== 'found') return sendMiss(res, found, HUB_ANSWERS.codes, `${method} ${url.pathname}`)
      Promise.resolve()
        .then(() => found.handler(req, res, url, found.params))
        .catch((err: unknown) => {
          const code = isMotcuaError(err) ? err.code : undefined
          const status = code && httpStatus(code)
          if (!status) log.error({ err, path: url.pathname }, 'api request failed')
          else if (status >= 500) log.warn({ code, path: url.pathname }, 'api request failed')
          if (res.headersSent) return void res.destroy()
          // The message carries the detail (which parameter, which site), not only the catalogue text.
          if (!sendCaught(res, err, status === 401 ? { 'www-authenticate': 'Bearer' } : {})) sendError(res, 'HUB_INTERNAL')
        })
    },
    close: () => streams.closeAll(),
  }
}
