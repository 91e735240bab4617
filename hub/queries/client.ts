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
  /**
   * One statement's series handed to `onSeries` as InfluxDB sends them
   * (`chunked=true`, times in epoch ms), never held as one answer: a
   * province's counter cube is ~24,000 series a statement, and parsed whole
   * they held hundreds of MB of the hub (bench reports). A series longer than
   * a chunk arrives in pieces, each with the series' tags.
   */
  each(statement: string, onSeries: (series: Series) => void): Promise<void>
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

  const formOf = (q: string, ns = false) => {
    const form = new URLSearchParams({ db, q })
    if (!ns) form.set('epoch', 'ms')
    if (rp) form.set('rp', rp)
    return form
  }
  const post = (form: URLSearchParams) => fetch(`${base}/query`, { method: 'POST', headers, body: form, signal: AbortSignal.timeout(timeoutMs) })

  return {
    rollup: config.version === 1 ? `"${rollupRetentionPolicy(config)}".` : '',
    async run(statements, opts = {}) {
      if (statements.length === 0) return []
      let reply: QueryReply
      try {
        const res = await post(formOf(joinStatements(statements), opts.ns))
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
    async each(statement, onSeries) {
      const form = formOf(statement)
      form.set('chunked', 'true')
      // The database's failures become HUB_DB_QUERY_FAILED; what onSeries throws is the caller's and passes as it is.
      const failed = (err: unknown) => (err instanceof MotcuaError ? err : new MotcuaError('HUB_DB_QUERY_FAILED', (err as Error).message, { cause: err }))
      const res = await post(form).catch((err: unknown) => Promise.reject(failed(err)))
      // An error before the first chunk comes as one JSON object with a non-2xx status, like run's.
      if (!res.ok || !res.body) throw failed(new Error(replyError(await res.text().catch(() => '')) ?? `influxdb answered ${res.status}`))
      const reader = res.body.getReader()
      const lines = new ReplyLines()
      try {
        for (;;) {
          const read = await reader.read().catch((err: unknown) => Promise.reject(failed(err)))
          for (const line of read.done ? lines.end() : lines.push(read.value)) for (const series of seriesOfLine(line)) onSeries(series)
          if (read.done) return
        }
      } catch (err) {
        // Nothing more is wanted of an answer that failed halfway: the connection goes back, not left to the timeout.
        await reader.cancel().catch(() => undefined)
        throw err
      }
    },
  }
}

/** A chunked answer's lines, each one JSON reply, from the body's bytes as they come (a line may span many reads). */
export class ReplyLines {
  private readonly decoder = new TextDecoder()
  private parts: string[] = []
  push(bytes: Uint8Array): string[] {
    const text = this.decoder.decode(bytes, { stream: true })
    const lines: string[] = []
    let start = 0
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      this.parts.push(text.slice(start, nl))
      const line = this.parts.join('')
      this.parts = []
      if (line !== '') lines.push(line)
      start = nl + 1
    }
    if (start < text.length) this.parts.push(text.slice(start))
    return lines
  }
  end(): string[] {
    this.parts.push(this.decoder.decode())
    const last = this.parts.join('')
    this.parts = []
    return last.trim() === '' ? [] : [last]
  }
}

function replyError(text: string): string | undefined {
  try {
    return (JSON.parse(text) as QueryReply).error
  } catch {
    return undefined
  }
}

/** One line of a chunked answer; an error in it (the database's or a statement's) fails the whole read. */
function seriesOfLine(line: string): Series[] {
  let reply: QueryReply
  try {
    reply = JSON.parse(line) as QueryReply
  } catch (err) {
    throw new MotcuaError('HUB_DB_QUERY_FAILED', `the database's answer is not JSON: ${(err as Error).message}`, { cause: err })
  }
  if (reply.error) throw new MotcuaError('HUB_DB_QUERY_FAILED', reply.error)
  const series: Series[] = []
  for (const r of reply.results ?? []) {
    if (r.error) throw new MotcuaError('HUB_DB_QUERY_FAILED', r.error)
    // `partial` here means "more chunks follow"; a chunked answer has no row limit to truncate it.
    series.push(...(r.series ?? []))
  }
  return series
}

/**
 * Runs one statement whose answer is empty while the database or the
 * retention policy it reads does not exist yet: both appear with the first
 * write (a hub started on a new InfluxDB), and until then nothing is in them.
 */
export async function readIfAny(db: Pick<InfluxQuery, 'run'>, statement: string): Promise<Series[]> {
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
