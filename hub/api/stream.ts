/**
 * GET /api/v1/stream — Server-Sent Events for wall displays. The hub keeps
 * no shared state, so each connection polls InfluxDB: new ratings every
 * ~2 s (points newer than the newest one this connection sent), alerts
 * every ~15 s (ids this connection has not sent yet). Any hub instance can
 * serve any stream; a reconnecting client starts from "now" again.
 * A rating whose own time is older than the newest one sent (an edge
 * emptying a backlog) is not streamed; it is in the KPIs and the CSV. One
 * dated after the hub's clock is streamed once that time has come.
 */
import type { ServerResponse } from 'node:http'
import { rfc3339ToNs, toRawRating } from '../queries/raw.js'
import { rowsOf } from '../queries/client.js'
import { tagFilters } from '../queries/influxql.js'
import type { ApiDeps, ApiHandler } from './context.js'
import { filters } from './params.js'

const MAX_PER_POLL = 500
const KEEPALIVE_MS = 15_000

export interface StreamRegistry {
  add(res: ServerResponse, stop: () => void): void
  /** Ends every open stream (hub shutdown). */
  closeAll(): void
}

export function createStreamRegistry(): StreamRegistry {
  const open = new Map<ServerResponse, () => void>()
  return {
    add(res, stop) {
      open.set(res, stop)
      res.on('close', () => open.delete(res))
    },
    closeAll() {
      for (const [res, stop] of open) {
        stop()
        res.end()
      }
      open.clear()
    },
  }
}

export function createStreamHandler(registry: StreamRegistry): ApiHandler {
  return async ({ req, res, key, query, pathSite }, deps: ApiDeps) => {
    const filter = filters(query, key, deps.dir, pathSite)
    const pollMs = deps.streamPollMs ?? 2000
    const alertMs = deps.streamAlertMs ?? 15_000
    let lastNs = BigInt(deps.now()) * 1_000_000n
    const sentAlerts = new Set<string>()
    const log = deps.log.child({ stream: key.id })
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' })
    res.write(`retry: 3000\n: motcua stream\n\n`)
    const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
    let busy = false
    let lastAlertAt = 0
    let lastWriteAt = Date.now()
    const empty = filter.site?.length === 0

    const poll = async () => {
      if (busy || res.destroyed || empty) return
      busy = true
      try {
        // Bounded by the hub's clock: a point stored with a future time (before the ingest refused them, or
        // within the allowed skew) must not move the cursor past every rating still to come (issue 11).
        const nowNs = BigInt(deps.now()) * 1_000_000n
        const where = [`time > ${lastNs}`, `time <= ${nowNs}`, ...tagFilters(filter)].join(' AND ')
        const [series] = await deps.db.run([`SELECT * FROM "rating" WHERE ${where} ORDER BY time ASC LIMIT ${MAX_PER_POLL}`], { ns: true })
        for (const row of (series ?? []).flatMap(rowsOf)) {
          const rating = toRawRating(row)
          send('rating', rating)
          lastNs = rfc3339ToNs(rating.time)
          lastWriteAt = Date.now()
        }
        if (Date.now() - lastAlertAt >= alertMs) {
          lastAlertAt = Date.now()
          for (const a of await deps.alerts.list(filter.site, deps.now())) {
            if (sentAlerts.has(a.id)) continue
            sentAlerts.add(a.id)
            send('alert', a)
            lastWriteAt = Date.now()
          }
        }
        // Proxies drop idle connections; a comment line keeps this one open.
        if (Date.now() - lastWriteAt >= KEEPALIVE_MS) {
          res.write(': keepalive\n\n')
          lastWriteAt = Date.now()
        }
      } catch (err) {
        log.warn({ err }, 'stream poll failed')
        send('error', { code: 'HUB_DB_QUERY_FAILED' })
      } finally {
        busy = false
      }
    }
    const timer = setInterval(() => void poll(), pollMs)
    const stop = () => clearInterval(timer)
    registry.add(res, stop)
    req.on('close', stop)
    void poll()
  }
}

