/** Shared pieces of the hub tests: records, configs, an HTTPS client that verifies the test CA, InfluxQL queries. */
import https from 'node:https'
import http from 'node:http'
import { gzipSync } from 'node:zlib'
import type { HubConfig } from '../../hub/config/schema.js'
import { hubConfigSchema } from '../../hub/config/schema.js'
import { hashSecret } from '../../common/secrets.js'
import type { EdgeRecord } from '../../protocol/records.js'
import { ratingFact, ticketFact, type RatingFact, type TicketFact } from '../../hub/kpi/facts.js'
import { DEMO_SITES, type DemoSiteData } from '../../scripts/lib/demo-data.js'
import type { Influxd } from '../../testkit/influxd.js'
import { metricSample } from '../../testkit/metrics.js'
import { waitFor } from '../../testkit/wait.js'

/** The demo sites' province, branches and sites, as a hub config names them. */
export const DEMO_PROVINCE = {
  province: 'can-tho',
  branches: [{ id: 'ninh-kieu', name: 'Chi nhánh Ninh Kiều' }, { id: 'cai-rang', name: 'Chi nhánh Cái Răng' }],
  sites: DEMO_SITES.map((s) => ({ id: s.id, name: s.name, ...(s.placement.branch ? { branch: s.placement.branch } : {}) })),
}

export const TOKENS = { 'ttpv-can-tho': 'token-can-tho-0123456789', 'chi-nhanh-tay-ho': 'token-tay-ho-9876543210' } as const
export type TestSite = keyof typeof TOKENS

/** A minute-aligned base time an hour ago, so points are recent (VictoriaMetrics retention) and times are easy to read. */
export const BASE_MS = Math.floor((Date.now() - 3_600_000) / 60_000) * 60_000

export function hubConfig(influx: HubConfig['influx'], extra: { tls?: { cert: string; key: string }; maxConcurrentWrites?: number; maxBodyBytes?: number; writeSlotWaitMs?: number } = {}): HubConfig {
  return hubConfigSchema.parse({
    http: { host: '127.0.0.1', port: 0, ...(extra.tls ? { tls: extra.tls } : {}), ...(extra.maxBodyBytes ? { maxBodyBytes: extra.maxBodyBytes } : {}) },
    influx,
    maxConcurrentWrites: extra.maxConcurrentWrites ?? 8,
    ...(extra.writeSlotWaitMs === undefined ? {} : { writeSlotWaitMs: extra.writeSlotWaitMs }),
    retryAfterS: 7,
    edges: Object.entries(TOKENS).map(([site, token]) => ({ site, tokenHash: hashSecret(token) })),
  })
}

export function rating(seq: number, over: Partial<Extract<EdgeRecord, { kind: 'rating' }>> = {}): EdgeRecord {
  const t = BASE_MS + seq * 1000
  return {
    kind: 'rating',
    seq,
    t,
    clock: 'synced',
    department: 'tu-phap',
    counter: `q${seq % 3}`,
    device: `kiosk-${seq % 3}`,
    officer: seq % 2 ? 'cb-nguyen-an' : null,
    eventId: `evt-${String(seq).padStart(8, '0')}`,
    scale: 4,
    level: 2,
    score: 66.7,
    dissatisfied: false,
    reasons: [],
    ticket: `A${100 + seq}`,
    deviceTs: t - 150,
    edgeTs: t - 20,
    misuse: null,
    ...over,
  } as EdgeRecord
}

export const ratings = (from: number, count: number) => Array.from({ length: count }, (_, i) => rating(from + i))

export const batchOf = (site: string, records: unknown[]) => ({ v: 1, site, records })

/**
 * Holds a hub's write slot (its only one, under maxConcurrentWrites 1) with a batch of Cần Thơ's into a stopped
 * influxd; `held` is its answer, due after `influx.resume()`.
 */
export async function holdTheWriteSlot(hubUrl: string, influx: Influxd, from: number): Promise<{ held: Promise<number> }> {
  const site = 'ttpv-can-tho'
  await influx.pause()
  const held = request(`${hubUrl}/v1/batches`, { token: TOKENS[site], body: batchOf(site, ratings(from, 5)) }).then((r) => r.status)
  await waitFor('a batch holding the only write slot', async () => (metricSample((await request(`${hubUrl}/metrics`)).text, 'motcua_hub_writes_in_flight') ?? 0) >= 1)
  return { held }
}

export interface Reply {
  status: number
  headers: http.IncomingHttpHeaders
  body: unknown
  text: string
}

/** One request; `ca` turns on HTTPS with verification against that CA only. */
export function request(
  url: string,
  opts: { method?: string; token?: string; body?: unknown; rawBody?: string | Buffer; gzip?: boolean; ca?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  let payload: Buffer | undefined = opts.rawBody !== undefined ? Buffer.from(opts.rawBody) : opts.body !== undefined ? Buffer.from(JSON.stringify(opts.body)) : undefined
  const headers: Record<string, string | number> = { ...opts.headers }
  if (opts.token) headers.authorization = `Bearer ${opts.token}`
  if (payload && opts.gzip) {
    payload = gzipSync(payload)
    headers['content-encoding'] = 'gzip'
  }
  if (payload) {
    headers['content-type'] = 'application/json'
    headers['content-length'] = payload.length
  }
  const u = new URL(url)
  return new Promise((resolve, reject) => {
    const mod = u.protocol === 'https:' ? https : http
    const req = mod.request(u, { method: opts.method ?? (payload ? 'POST' : 'GET'), headers, ca: opts.ca, agent: false, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let body: unknown = text
        try {
          body = JSON.parse(text)
        } catch {
          // not JSON (metrics)
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text })
      })
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error('request timed out')))
    req.on('error', reject)
    req.end(payload)
  })
}

export interface Series {
  name: string
  tags?: Record<string, string>
  columns: string[]
  values: unknown[][]
}

/** InfluxQL against influxd 1.x; times come back as RFC 3339 strings with full nanoseconds. */
export async function influxQuery(url: string, db: string, q: string): Promise<Series[]> {
  const res = await fetch(`${url}/query?${new URLSearchParams({ db, q })}`, { signal: AbortSignal.timeout(10_000) })
  const json = (await res.json()) as { results: { series?: Series[]; error?: string }[] }
  const first = json.results[0]
  if (!first || first.error) throw new Error(`query failed: ${first?.error ?? res.status}`)
  return first.series ?? []
}

/** Rows of the first series as objects keyed by column. */
export async function influxRows(url: string, db: string, q: string): Promise<Record<string, unknown>[]> {
  const [s] = await influxQuery(url, db, q)
  return s ? s.values.map((v) => Object.fromEntries(s.columns.map((c, i) => [c, v[i]]))) : []
}

export async function influxCount(url: string, db: string, measurement: string, field = 'seq'): Promise<number> {
  const rows = await influxRows(url, db, `SELECT count("${field}") FROM "${measurement}"`)
  return Number(rows[0]?.count ?? 0)
}

/** The demo records as hub/kpi facts: the reference the database-backed KPIs are compared with. */
export function demoFacts(data: readonly DemoSiteData[]): { ratings: RatingFact[]; tickets: TicketFact[] } {
  const ratings: RatingFact[] = []
  const tickets: TicketFact[] = []
  for (const d of data) {
    for (const r of d.records) {
      if (r.kind === 'rating') ratings.push(ratingFact(d.site, d.placement, r))
      else if (r.kind === 'ticket') tickets.push(ticketFact(d.site, d.placement, r))
    }
  }
  return { ratings, tickets }
}

/** Sums in another order differ in the last bit; 12 significant digits is far finer than any KPI is read. */
export function rounded<T>(value: T): T {
  return JSON.parse(JSON.stringify(value), (_k, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(12)) : v)) as T
}
