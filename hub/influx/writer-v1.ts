/**
 * InfluxDB 1.x writer. The `influx` package creates the database and pings;
 * points go to /write as line protocol we build ourselves: measured on this
 * machine its writePoints (per-point coercion objects) was no faster than our
 * serializer, and raw lines keep nanosecond timestamps exact as strings.
 */
import http from 'node:http'
import https from 'node:https'
import { InfluxDB } from 'influx'
import { MotcuaError } from '../../common/errors.js'
import type { HubConfig } from '../config/schema.js'
import type { Point } from './line-protocol.js'
import { toLineProtocol } from './points.js'
import type { PointWriter, WriterOptions } from './writer.js'

type V1Config = Extract<HubConfig['influx'], { version: 1 }>

/** Never takes the host out of the pool: each call tries the database, and the edge's retry sets the pace. */
const noBackoff = {
  getDelay: () => 0,
  next() {
    return this
  },
  reset() {
    return this
  },
}

export function createV1Writer(config: V1Config, opts: WriterOptions): PointWriter {
  const { log, timeoutMs = 30_000 } = opts
  const base = new URL(config.url)
  const secure = base.protocol === 'https:'
  const agent = secure ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true })
  const client = new InfluxDB({
    host: base.hostname.replace(/^\[|\]$/g, ''),
    port: Number(base.port) || (secure ? 443 : 80),
    protocol: secure ? 'https' : 'http',
    path: base.pathname.replace(/\/$/, ''),
    username: config.username,
    password: config.password,
    database: config.database,
    options: { agent },
    pool: { maxRetries: 0, requestTimeout: timeoutMs, backoff: noBackoff },
  })
  const query = new URLSearchParams({ db: config.database, precision: 'ns' })
  if (config.retentionPolicy) query.set('rp', config.retentionPolicy)
  const writeUrl = new URL(`${base.pathname.replace(/\/$/, '')}/write?${query}`, base)
  const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' }
  if (config.username !== undefined) {
    headers.authorization = `Basic ${Buffer.from(`${config.username}:${config.password ?? ''}`).toString('base64')}`
  }
  let databaseReady: Promise<void> | null = null

  async function createDatabase(): Promise<void> {
    await client.createDatabase(config.database)
    const rp = config.retentionPolicy
    if (!opts.createRetentionPolicy || !rp) return
    const q = `CREATE RETENTION POLICY "${rp}" ON "${config.database}" DURATION INF REPLICATION 1 SHARD DURATION ${opts.createRetentionPolicy}`
    const res = await fetch(new URL(`${base.pathname.replace(/\/$/, '')}/query`, base), {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ q }),
      signal: AbortSignal.timeout(timeoutMs),
    })
    const reply = (await res.json().catch(() => ({}))) as { error?: string; results?: { error?: string }[] }
    const error = reply.error ?? reply.results?.[0]?.error
    // Made by an administrator with other settings: use it as it is.
    if (error && !/already exists/.test(error)) throw new Error(`cannot create retention policy ${rp}: ${error}`)
  }

  // CREATE DATABASE is a no-op when it exists; done once, again after a failure.
  const ensureDatabase = () => {
    databaseReady ??= createDatabase().catch((err: unknown) => {
      databaseReady = null
      throw err
    })
    return databaseReady
  }

  const post = (body: string) =>
    new Promise<void>((resolve, reject) => {
      const req = (secure ? https : http).request(
        writeUrl,
        { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) }, timeout: timeoutMs },
        (res) => {
          let text = ''
          res.setEncoding('utf8')
          res.on('data', (c: string) => (text = (text + c).slice(0, 1000)))
          res.on('end', () => {
            if (res.statusCode === 204) return resolve()
            if (res.statusCode === 404) databaseReady = null
            reject(new MotcuaError('HUB_DB_UNAVAILABLE', `influxdb answered ${res.statusCode}: ${text.trim()}`))
          })
          res.on('error', reject)
        },
      )
      req.on('timeout', () => req.destroy(new MotcuaError('HUB_DB_UNAVAILABLE', `no answer within ${timeoutMs} ms`)))
      req.on('error', (err) =>
        reject(err instanceof MotcuaError ? err : new MotcuaError('HUB_DB_UNAVAILABLE', err.message, { cause: err })),
      )
      req.end(body)
    })

  // The influx package's errors carry the request, Authorization header included: keep only the message.
  void ensureDatabase().catch((err: unknown) => log.warn({ error: (err as Error).message }, 'database not created yet'))

  return {
    async write(points: readonly Point[]) {
      if (points.length === 0) return
      try {
        await ensureDatabase()
      } catch (err) {
        throw new MotcuaError('HUB_DB_UNAVAILABLE', (err as Error).message.trim())
      }
      await post(toLineProtocol(points))
    },
    async ping() {
      const hosts = await client.ping(Math.min(timeoutMs, 2000)).catch(() => [])
      return hosts.some((h) => h.online)
    },
    async close() {
      agent.destroy()
    },
  }
}
