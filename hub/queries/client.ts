/**
 * Runs InfluxQL over HTTP `/query`. InfluxDB 1.x serves it natively; 2.x
 * serves the same endpoint for compatibility when the bucket has a DBRP
 * mapping to a database named like the bucket (docs/api.md). Statements go
 * in a POST form body, so a 600-site filter never meets a URL length limit.
 */
import { MotcuaError } from '../../common/errors.js'
import type { HubConfig } from '../config/schema.js'
import { rollupRetentionPolicy } from '../influx/writer.js'
import { joinStatements } from './influxql.js'

export interface Series {
  name: string
  tags?: Record<string, string>
  columns: string[]
  values: unknown[][]
}

export interface InfluxQuery {
  /** Prefix naming the rollup's retention policy before a measurement (`"motcua_rollup".`); empty on 2.x, where it shares the bucket. */
  readonly rollup: string
  /** One result (list of series) per statement, in order. Times are epoch ms unless `ns` asks for RFC 3339 strings. */
  run(statements: readonly string[], opts?: { ns?: boolean }): Promise<Series[][]>
}

interface QueryReply {
  results?: { statement_id?: number; series?: Series[]; error?: string; partial?: boolean }[]
  error?: string
}

export function createInfluxQuery(config: HubConfig['influx'], { timeoutMs = 30_000 } = {}): InfluxQuery {
  const base = config.url.replace(/\/$/, '')
  const db = config.version === 1 ? config.database : config.bucket
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' }
  if (config.version === 1 && config.username !== undefined) {
    headers.authorization = `Basic ${Buffer.from(`${config.username}:${config.password ?? ''}`).toString('base64')}`
  } else if (config.version === 2 && config.token) {
    headers.authorization = `Token ${config.token}`
  }
  const rp = config.version === 1 ? config.retentionPolicy : undefined

  return {
    rollup: config.version === 1 ? `"${rollupRetentionPolicy(config)}".` : '',
    async run(statements, opts = {}) {
      if (statements.length === 0) return []
      const form = new URLSearchParams({ db, q: joinStatements(statements) })
      if (!opts.ns) form.set('epoch', 'ms')
      if (rp) form.set('rp', rp)
      let reply: QueryReply
      try {
        const res = await fetch(`${base}/query`, { method: 'POST', headers, body: form, signal: AbortSignal.timeout(timeoutMs) })
        reply = (await res.json()) as QueryReply
        if (!res.ok && !reply.error) throw new Error(`influxdb answered ${res.status}`)
      } catch (err) {
        throw new MotcuaError('HUB_DB_QUERY_FAILED', (err as Error).message, { cause: err })
      }
      if (reply.error) throw new MotcuaError('HUB_DB_QUERY_FAILED', reply.error)
      const results = reply.results ?? []
      return statements.map((_, i) => {
        const r = results.find((x) => (x.statement_id ?? 0) === i)
        if (r?.error) throw new MotcuaError('HUB_DB_QUERY_FAILED', r.error)
        // A partial answer would silently undercount a KPI.
        if (r?.partial) throw new MotcuaError('HUB_DB_QUERY_FAILED', 'the database truncated the answer (max-row-limit)')
        return r?.series ?? []
      })
    },
  }
}

/**
 * Runs one statement whose answer is empty while the database or the
 * retention policy it reads does not exist yet: both appear with the first
 * write (a hub started on a new InfluxDB), and until then nothing is in them.
 */
export async function readIfAny(db: InfluxQuery, statement: string): Promise<Series[]> {
  try {
    return (await db.run([statement]))[0] ?? []
  } catch (err) {
    if (/(database|retention policy) not found/.test((err as Error).message)) return []
    throw err
  }
}

/** A series' rows as objects keyed by column. */
export function rowsOf(series: Series): Record<string, unknown>[] {
  return series.values.map((v) => Object.fromEntries(series.columns.map((c, i) => [c, v[i]])))
}
