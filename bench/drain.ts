/**
 * Issue 14's "600 edges after a day-long outage": many edge processes, each
 * with a day's backlog, wait out a hub outage, then all drain into one hub
 * and influxd at once. Measures the total drain rate, each edge's drain time
 * (none may starve), the hub's 503 + Retry-After answers, InfluxDB's health
 * while it lasts, and counts every point in InfluxDB (none lost, none twice).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import https from 'node:https'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { hashSecret } from '../common/secrets.js'
import { makeTestPki } from '../testkit/certs.js'
import { startInfluxd, type Influxd } from '../testkit/influxd.js'
import { metricSample } from '../testkit/metrics.js'
import { freePort } from '../testkit/ports.js'
import type { DrainEdgeOptions } from './lib/drain-edge-main.js'
import { startTsProcess, type Proc } from './lib/procs.js'
import { cpuSeconds } from './lib/sampler.js'
import { percentile } from './lib/stats.js'

export interface DrainOptions {
  edges: number
  /** Records per edge: a day of a 20-counter center (see DAY_OF_A_CENTER). */
  recordsPerEdge: number
  ratingEvery: number
  /** How long the hub stays away once every edge holds its backlog and is retrying. */
  outageS: number
  maxConcurrentWrites: number
  retryAfterS: number
  batchSize: number
  inFlightBatches: number
  backoffMaxMs: number
  log?: (s: string) => void
}

/**
 * A day of a 20-counter center: 20 button boxes' heartbeats every 30 s for
 * 24 h (57,600) and 200 ratings per counter (4,000; one record in 15).
 * Device status and edge health add under 2% and are left out.
 */
export const DAY_OF_A_CENTER = { records: 61_600, ratingEvery: 15 }
/** Fifty processes loading under tsx while the first ones fill their backlogs: on a shared 2-core machine (load 60) one took over a minute. */
const EDGE_START_MS = 300_000
/** The province the issue sizes: 600 centers. */
const PROVINCE_EDGES = 600

export interface DrainResults {
  edges: number
  recordsPerEdge: number
  ratingsPerEdge: number
  outageS: number
  hub: { maxConcurrentWrites: number; retryAfterS: number }
  edge: { batchSize: number; inFlightBatches: number; backoffMaxMs: number }
  fillSeconds: number
  /** From the hub listening to the last edge's outbox empty. */
  drainSeconds: number
  pointsPerS: number
  /** Per edge, from the hub listening to its outbox empty. */
  perEdgeSeconds: { min: number; p50: number; max: number }
  /** Per edge, from its first 200 to its outbox empty. */
  perEdgeActiveSeconds: { min: number; max: number }
  answers: Record<string, number>
  /** 503 HUB_OVERLOADED as the hub counted them (an edge misses the few whose connection closed before it read the answer). */
  overloaded: number
  /** Batches the hub refused before their upload (Expect: 100-continue), and the bytes that never crossed an uplink. */
  spared: { uploads: number; bytes: number }
  /** Uploaded batches that found every write slot taken: served after waiting, or refused after the upload. */
  slotWaits: { waited: number; timedOut: number; queueFull: number }
  expected: number
  stored: number
  lost: number
  duplicated: number
  deadLettered: number
  influxPing: { samples: number; failures: number; p50Ms: number; p99Ms: number; maxMs: number }
  /** CPU seconds each part used from the hub's start to the last edge drained: where the time goes on a shared machine. */
  cpuSeconds: { influxd: number; hub: number; edges: number }
  provinceDayMinutes: number
  load: { start: number; end: number }
}

interface Drained {
  at: number
  firstDeliveryAt: number | null
  delivered: number
  deadLettered: number
  answers: Record<string, number>
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const siteOf = (e: number) => `center-${String(e).padStart(3, '0')}`

async function influxQuery(influx: Influxd, db: string, q: string): Promise<{ tags?: Record<string, string>; values: unknown[][] }[]> {
  const res = await fetch(`${influx.url}/query?${new URLSearchParams({ db, q })}`)
  const body = (await res.json()) as { results: { series?: { tags?: Record<string, string>; values: unknown[][] }[]; error?: string }[] }
  if (body.results[0]?.error) throw new Error(body.results[0].error)
  return body.results[0]?.series ?? []
}

/** Points, and distinct seqs per site summed: a record written twice as two points counts once in the second. */
async function countPoints(influx: Influxd, db: string): Promise<{ points: number; distinct: number }> {
  let points = 0
  let distinct = 0
  for (const m of ['rating', 'heartbeat']) {
    for (const s of await influxQuery(influx, db, `SELECT count(seq) FROM ${m} GROUP BY site`)) points += Number(s.values[0]?.[1] ?? 0)
    for (const s of await influxQuery(influx, db, `SELECT count(distinct(seq)) FROM ${m} GROUP BY site`)) distinct += Number(s.values[0]?.[1] ?? 0)
  }
  return { points, distinct }
}

/** Samples of the hub's /metrics (open to loopback without a token), by series; undefined when absent. */
function hubMetrics(url: string, ca: string, names: readonly string[]): Promise<(number | undefined)[]> {
  return new Promise((resolve, reject) => {
    https.get(`${url}/metrics`, { ca, agent: false, timeout: 10_000 }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (text += c))
      res.on('end', () => resolve(names.map((n) => metricSample(text, n))))
      res.on('error', reject)
    }).on('error', reject)
  })
}

/** Pings influxd every 500 ms until stopped: is it still answering, and how fast. */
function pingInflux(influx: Influxd): { stop(): Promise<{ samples: number[]; failures: number }> } {
  const samples: number[] = []
  let failures = 0
  let going = true
  const loop = (async () => {
    while (going) {
      const t = performance.now()
      const ok = await fetch(`${influx.url}/ping`, { signal: AbortSignal.timeout(5000) }).then((r) => r.status === 204, () => false)
      if (ok) samples.push(performance.now() - t)
      else failures++
      await sleep(500)
    }
  })()
  return {
    async stop() {
      going = false
      await loop
      return { samples, failures }
    },
  }
}

export async function benchDrain(opts: DrainOptions): Promise<DrainResults> {
  const say = opts.log ?? (() => undefined)
  const dir = mkdtempSync(join(tmpdir(), 'motcua-bench-drain-'))
  const edges: Proc[] = []
  let hub: Proc | null = null
  const influx = await startInfluxd()
  const loadStart = loadavg()[0]!
  try {
    const pki = makeTestPki(join(dir, 'pki'))
    const hubPort = await freePort()
    const hubUrl = `https://localhost:${hubPort}`
    const token = (e: number) => `drain-bench-token-${String(e).padStart(6, '0')}`
    const hubFile = join(dir, 'hub.yaml')
    writeFileSync(hubFile, stringify({
      http: { host: '127.0.0.1', port: hubPort, tls: { cert: pki.serverCert, key: pki.serverKey } },
      influx: { version: 1, url: influx.url, database: 'bench_drain' },
      maxConcurrentWrites: opts.maxConcurrentWrites,
      retryAfterS: opts.retryAfterS,
      edges: Array.from({ length: opts.edges }, (_, e) => ({ site: siteOf(e), tokenHash: hashSecret(token(e)) })),
    }))

    // 1. The outage: every edge fills its backlog with the hub away, then forwards and is turned away.
    const dayStartMs = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 86_400_000
    const drained = new Map<number, Drained>()
    const ready = new Set<number>()
    const fillStart = performance.now()
    // Ten at a time; every edge that starts is kept at once, so a failure leaves nothing unstopped.
    const startEdge = async (e: number) => {
      const edgeOpts: DrainEdgeOptions = {
        dir: join(dir, `edge-${e}`), site: siteOf(e), hubUrl, token: token(e), ca: pki.caCert,
        records: opts.recordsPerEdge, ratingEvery: opts.ratingEvery, dayStartMs,
        batchSize: opts.batchSize, inFlightBatches: opts.inFlightBatches, backoffMinMs: 500, backoffMaxMs: opts.backoffMaxMs,
      }
      edges.push(await startTsProcess('bench/lib/drain-edge-main.ts', [JSON.stringify(edgeOpts)], 'drain edge started', {}, (line) => {
        if (line.msg === 'drain edge ready') ready.add(e)
        if (line.msg === 'drain edge drained') drained.set(e, line as unknown as Drained)
      }, EDGE_START_MS))
    }
    for (let first = 0; first < opts.edges; first += 10) {
      const group = Array.from({ length: Math.min(10, opts.edges - first) }, (_, k) => first + k)
      const failed = (await Promise.allSettled(group.map(startEdge))).find((r) => r.status === 'rejected')
      if (failed) throw failed.reason
    }
    // Bounded: a backlog fills at thousands of records a second even on a loaded machine.
    const fillDeadline = Date.now() + Math.max(300_000, (opts.edges * opts.recordsPerEdge) / 5)
    while (ready.size < opts.edges && Date.now() < fillDeadline) await sleep(200)
    if (ready.size < opts.edges) throw new Error(`only ${ready.size} of ${opts.edges} edges filled their backlog in time`)
    const fillSeconds = (performance.now() - fillStart) / 1000
    say(`${opts.edges} edges hold ${opts.recordsPerEdge.toLocaleString('en')} records each (filled in ${fillSeconds.toFixed(0)} s); hub away for ${opts.outageS} s`)
    await sleep(opts.outageS * 1000)

    // 2. The hub comes back: everyone drains at once.
    const ping = pingInflux(influx)
    const edgeCpu = () => edges.reduce((n, p) => n + cpuSeconds(p.pid), 0)
    const cpuBefore = { influxd: cpuSeconds(influx.pid()!), edges: edgeCpu() }
    hub = await startTsProcess('hub/main.ts', [hubFile], 'hub listening', { LOG_LEVEL: 'info' })
    const upAt = Date.now()
    const hubCpuAtStart = cpuSeconds(hub.pid)
    // Bounded: at 2,000 points/s a 50-edge day would still be in within this.
    const deadline = upAt + Math.max(120_000, (opts.edges * opts.recordsPerEdge) / 2)
    let lastSaid = 0
    while (drained.size < opts.edges && Date.now() < deadline) {
      if (Date.now() - lastSaid > 15_000) {
        say(`${drained.size}/${opts.edges} edges drained after ${((Date.now() - upAt) / 1000).toFixed(0)} s`)
        lastSaid = Date.now()
      }
      await sleep(100)
    }
    const cpu = {
      influxd: cpuSeconds(influx.pid()!) - cpuBefore.influxd,
      hub: cpuSeconds(hub.pid) - hubCpuAtStart,
      edges: edgeCpu() - cpuBefore.edges,
    }
    const pings = await ping.stop()
    // A labelled counter appears once first counted: absent is zero.
    const [overloaded = 0, sparedUploads = NaN, sparedBytes = NaN, waited = 0, timedOut = 0, queueFull = 0] = await hubMetrics(hubUrl, pki.caPem, [
      'motcua_hub_batches_total{outcome="overloaded"}', 'motcua_hub_batch_uploads_spared_total', 'motcua_hub_batch_upload_bytes_spared_total',
      ...['waited', 'timed_out', 'queue_full'].map((o) => `motcua_hub_write_slot_waits_total{outcome="${o}"}`),
    ])
    if (drained.size < opts.edges) throw new Error(`only ${drained.size} of ${opts.edges} edges drained in ${((deadline - upAt) / 1000).toFixed(0)} s`)
    const done = [...drained.values()]
    const lastAt = Math.max(...done.map((d) => d.at))
    const drainSeconds = (lastAt - upAt) / 1000
    const perEdge = done.map((d) => (d.at - upAt) / 1000)
    const active = done.map((d) => (d.at - (d.firstDeliveryAt ?? d.at)) / 1000)
    const answers: Record<string, number> = {}
    for (const d of done) for (const [status, n] of Object.entries(d.answers)) answers[status] = (answers[status] ?? 0) + n
    const expected = opts.edges * opts.recordsPerEdge
    const { points, distinct } = await countPoints(influx, 'bench_drain')
    const pointsPerS = Math.round(points / drainSeconds)
    const round1 = (x: number) => Math.round(x * 10) / 10
    say(`drained ${points.toLocaleString('en')} points in ${drainSeconds.toFixed(1)} s: ${pointsPerS.toLocaleString('en')} points/s; answers ${JSON.stringify(answers)}`)
    return {
      edges: opts.edges,
      recordsPerEdge: opts.recordsPerEdge,
      ratingsPerEdge: Math.ceil(opts.recordsPerEdge / opts.ratingEvery),
      outageS: opts.outageS,
      hub: { maxConcurrentWrites: opts.maxConcurrentWrites, retryAfterS: opts.retryAfterS },
      edge: { batchSize: opts.batchSize, inFlightBatches: opts.inFlightBatches, backoffMaxMs: opts.backoffMaxMs },
      fillSeconds: Math.round(fillSeconds),
      drainSeconds: round1(drainSeconds),
      pointsPerS,
      perEdgeSeconds: { min: round1(Math.min(...perEdge)), p50: round1(percentile(perEdge, 50)), max: round1(Math.max(...perEdge)) },
      perEdgeActiveSeconds: { min: round1(Math.min(...active)), max: round1(Math.max(...active)) },
      answers,
      overloaded,
      spared: { uploads: sparedUploads, bytes: sparedBytes },
      slotWaits: { waited, timedOut, queueFull },
      expected,
      stored: points,
      lost: expected - distinct,
      duplicated: points - distinct,
      deadLettered: done.reduce((n, d) => n + d.deadLettered, 0),
      influxPing: {
        samples: pings.samples.length, failures: pings.failures,
        p50Ms: Math.round(percentile(pings.samples, 50)), p99Ms: Math.round(percentile(pings.samples, 99)), maxMs: Math.round(Math.max(...pings.samples)),
      },
      cpuSeconds: { influxd: round1(cpu.influxd), hub: round1(cpu.hub), edges: round1(cpu.edges) },
      provinceDayMinutes: round1((PROVINCE_EDGES * DAY_OF_A_CENTER.records) / pointsPerS / 60),
      load: { start: round1(loadStart), end: round1(loadavg()[0]!) },
    }
  } finally {
    await Promise.all(edges.map((p) => p.stop().catch(() => undefined)))
    await hub?.stop().catch(() => undefined)
    await influx.stop()
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 })
  }
}
