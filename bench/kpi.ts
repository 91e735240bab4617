/**
 * KPI query benchmark, for the benchmark runner: loads a province-sized year
 * of ratings into an InfluxDB 1.x (default 600 sites × 20 counters, ~4,000
 * ratings a day, ~1.5 M points, written as line protocol in big batches
 * through the hub's own mapping and writer), runs the daily rollup over it
 * (timed), writes the last day's ratings again after that so the newest day
 * is stale as it is during opening hours, starts a hub, and times
 * representative KPI API calls over HTTP. Target: p95 ≤ 300 ms per call.
 * Ratings only: no ticket events.
 */
import { createLogger } from '../common/log.js'
import { hashSecret } from '../common/secrets.js'
import type { EdgeRecord } from '../protocol/records.js'
import { isDissatisfied, normalisedScore } from '../protocol/scales.js'
import { hubConfigSchema } from '../hub/config/schema.js'
import { toPoint } from '../hub/influx/points.js'
import type { Point } from '../hub/influx/line-protocol.js'
import type { PointWriter } from '../hub/influx/writer.js'
import { createWriter } from '../hub/rollup/writer.js'
import { createRollup } from '../hub/rollup/worker.js'
import { createInfluxQuery } from '../hub/queries/client.js'
import { createDirectory } from '../hub/queries/directory.js'
import { bucketOf, type PeriodUnit } from '../hub/kpi/time.js'
import { startHub } from '../hub/main.js'
import { seededRandom } from '../common/random.js'
import { percentile } from './lib/stats.js'

export interface KpiBenchOptions {
  /** InfluxDB 1.x base URL (testkit/influxd.ts gives one). */
  url: string
  database?: string
  sites?: number
  countersPerSite?: number
  days?: number
  ratingsPerDay?: number
  /** Timed calls per kind of request. */
  iterations?: number
  /** Last moment of the data, ms (default now). */
  endMs?: number
  /** Skip loading when the database already holds this data set. */
  skipLoad?: boolean
  /**
   * Resolves once the database is idle: after loading ~1.5 M points influxd
   * compacts for minutes, which is not what a province's API sees all day.
   */
  settle?: () => Promise<void>
}

export interface CallStats {
  n: number
  p50Ms: number
  p95Ms: number
  maxMs: number
  /** Groups in the last answer, to show what was asked. */
  groups: number
}

export interface KpiBenchResult {
  points: number
  loadSeconds: number
  loadPointsPerSecond: number
  /** Rolling up the whole loaded year from scratch (what a hub does after a restore or a long outage). */
  rollupSeconds: number
  /** Ratings written again after the rollup, leaving the newest day stale. */
  stalePoints: number
  calls: Record<string, CallStats>
  /** The first call asked again and again of a hub that keeps answers about past days (an IOC wall's repeat). */
  askedAgain: CallStats
  targetP95Ms: number
  meetsTarget: boolean
}

const DAY = 86_400_000
const KEY = 'bench-key-0123456789abcdef0123456789'
const siteId = (i: number) => `s${String(i).padStart(3, '0')}`


async function load(o: Required<Omit<KpiBenchOptions, 'skipLoad' | 'settle'>>, fromMs: number, total: number, seed: number): Promise<{ points: number; seconds: number }> {
  const writer = createWriter({ version: 1, url: o.url, database: o.database }, { log: createLogger('bench', 'silent') })
  const rand = seededRandom(seed)
  const days = (o.endMs - fromMs) / DAY
  // Bigger batches hit influxd's 10 s write timeout while it creates the first ~100k series.
  const batchSize = 10_000
  const seqBySite = new Array<number>(o.sites).fill(0)
  const began = performance.now()
  const inFlight = new Set<Promise<void>>()
  let failure: unknown
  for (let i = 0; i < total; i += batchSize) {
    const points: Point[] = []
    for (let k = i; k < Math.min(total, i + batchSize); k++) {
      const site = Math.floor(rand() * o.sites)
      const c = Math.floor(rand() * o.countersPerSite)
      // Opening hours, spread evenly over the year.
      const t = Math.floor(fromMs + (k / total) * days * DAY)
      const level = 1 + Math.min(3, Math.floor(Math.pow(rand(), 1.8) * 4))
      // Seeds apart keep the stale day's points apart from the year's (a point's time carries seq).
      const seq = ++seqBySite[site]! + seed * 100_000
      const r: EdgeRecord = {
        kind: 'rating', seq, t, clock: 'synced', department: `dept-${c % 17}`, counter: `q${c}`, device: `kiosk-${c}`,
        officer: rand() < 0.1 ? null : `o-${siteId(site)}-${c}`, eventId: `b${seed}-${site}-${seq}`.padEnd(8, '0'), scale: 4, level,
        score: normalisedScore(4, level), dissatisfied: isDissatisfied(4, level), reasons: [], ticket: null, deviceTs: t, edgeTs: t,
        misuse: rand() < 0.03 ? 'rapid' : null,
      }
      points.push(toPoint(siteId(site), r))
    }
    // A failed batch is kept and thrown below, never left as an unhandled rejection.
    const p = writeWithRetry(writer, points)
      .catch((err: unknown) => void (failure ??= err))
      .finally(() => inFlight.delete(p))
    inFlight.add(p)
    if (inFlight.size >= 2) await Promise.race(inFlight)
    if (failure) break
  }
  await Promise.all(inFlight)
  if (failure) throw failure
  await writer.close()
  return { points: total, seconds: (performance.now() - began) / 1000 }
}

/** influxd answers 500 "timeout" when series creation outruns its write timeout; the points are written again (idempotent). */
async function writeWithRetry(writer: PointWriter, points: Point[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await writer.write(points)
    } catch (err) {
      if (attempt >= 5) throw err
      await new Promise((r) => setTimeout(r, 1000 * attempt))
    }
  }
}

/** The province-sized data set in the database, rolled up, with the newest day stale (what the reports bench reads too). */
export interface KpiDataSet {
  /** The options filled in: the data set's shape and where it lives. */
  options: Required<Omit<KpiBenchOptions, 'skipLoad' | 'settle'>>
  points: number
  loadSeconds: number
  rollupSeconds: number
  stalePoints: number
}

/** Departments of the data set: counter `q{c}` serves `dept-{c % 17}` (ids only: the edges send no directory). */
export const KPI_DEPARTMENTS = 17
/** The data set's ids, for benchmarks that read it. */
export const kpiIds = {
  site: siteId,
  counter: (c: number) => `q${c}`,
  department: (c: number) => `dept-${c % KPI_DEPARTMENTS}`,
  officer: (site: number, c: number) => `o-${siteId(site)}-${c}`,
}

/** Loads the data set (unless `skipLoad`), rolls it up from scratch (timed), writes the stale day, and waits for `settle`. */
export async function loadKpiDataSet(opts: KpiBenchOptions): Promise<KpiDataSet> {
  const o = {
    url: opts.url,
    database: opts.database ?? 'motcua_kpi_bench',
    sites: opts.sites ?? 600,
    countersPerSite: opts.countersPerSite ?? 20,
    days: opts.days ?? 365,
    ratingsPerDay: opts.ratingsPerDay ?? 4000,
    iterations: opts.iterations ?? 20,
    endMs: opts.endMs ?? Math.floor(Date.now() / DAY) * DAY,
  }
  const loaded = opts.skipLoad ? { points: o.days * o.ratingsPerDay, seconds: 0 } : await load(o, o.endMs - o.days * DAY, o.days * o.ratingsPerDay, 766)
  const { influx, ...dirConfig } = hubConfigSchema.parse({ influx: { version: 1, url: o.url, database: o.database }, edges: [{ site: siteId(0), tokenHash: hashSecret('unused-edge-token-0123456789') }] })
  const rollup = createRollup({ db: createInfluxQuery(influx), writer: createWriter(influx, { log: createLogger('bench', 'silent') }).rollup, dir: createDirectory(dirConfig), log: createLogger('bench', 'silent') })
  const rollupBegan = performance.now()
  await rollup.catchUp()
  const rollupSeconds = (performance.now() - rollupBegan) / 1000
  const stale = opts.skipLoad ? { points: 0 } : await load(o, o.endMs - DAY / 2, o.ratingsPerDay / 2, 767)
  await opts.settle?.()
  return { options: o, points: loaded.points, loadSeconds: loaded.seconds, rollupSeconds, stalePoints: stale.points }
}

export async function runKpiBench(opts: KpiBenchOptions): Promise<KpiBenchResult> {
  const data = await loadKpiDataSet(opts)
  const o = data.options
  const config = hubConfigSchema.parse({
    http: { host: '127.0.0.1', port: 0 },
    influx: { version: 1, url: o.url, database: o.database },
    edges: [{ site: siteId(0), tokenHash: hashSecret('unused-edge-token-0123456789') }],
    apiKeys: [{ id: 'bench', keyHash: hashSecret(KEY), scope: 'ioc' }],
  })
  // Every call timed as read afresh: with kept answers, each repeat of a question about past days would be a lookup.
  const hub = await startHub(config, { log: createLogger('bench', 'silent'), keepPastAnswers: false })
  const label = (unit: PeriodUnit, back: number) => bucketOf(o.endMs - back, unit).label
  const rand = seededRandom(1)
  const pick = (n: number) => Math.floor(rand() * n)
  const calls: Record<string, () => string> = {
    'province month': () => `groupBy=province&at=${label('month', 35 * DAY)}`,
    'province month by site': () => `groupBy=site&at=${label('month', 35 * DAY)}`,
    'province month by department': () => `groupBy=department&at=${label('month', 35 * DAY)}`,
    'province this month by site, newest day not rolled up': () => `groupBy=site&at=${label('month', 1)}`,
    'site counter × month (year)': () => `site=${siteId(pick(o.sites))}&groupBy=counter&period=month&from=${o.endMs - o.days * DAY}&to=${o.endMs}`,
    'department year': () => `department=dept-${pick(17)}&groupBy=department&at=${label('year', 100 * DAY)}`,
    'officer quarter': () => `officer=o-${siteId(pick(o.sites))}-${pick(o.countersPerSite)}&groupBy=officer&at=${label('quarter', 100 * DAY)}`,
  }
  const timed = async (url: string, name: string, query: () => string): Promise<CallStats> => {
    const times: number[] = []
    let groups = 0
    // Two untimed calls first: the first answer of a kind pays for cold caches, not for the query.
    for (let i = -2; i < o.iterations; i++) {
      const began = performance.now()
      const res = await fetch(`${url}/api/v1/kpi/ratings?${query()}`, { headers: { 'x-api-key': KEY }, signal: AbortSignal.timeout(60_000) })
      const body = (await res.json()) as { data?: unknown[] }
      if (!res.ok) throw new Error(`${name}: ${res.status} ${JSON.stringify(body).slice(0, 200)}`)
      if (i >= 0) times.push(performance.now() - began)
      groups = body.data?.length ?? 0
    }
    return { n: times.length, p50Ms: Math.round(percentile(times, 50)), p95Ms: Math.round(percentile(times, 95)), maxMs: Math.round(percentile(times, 100)), groups }
  }
  const stats: Record<string, CallStats> = {}
  try {
    for (const [name, query] of Object.entries(calls)) stats[name] = await timed(hub.url, name, query)
  } finally {
    await hub.stop()
  }
  const keeping = await startHub(config, { log: createLogger('bench', 'silent') })
  let askedAgain: CallStats
  try {
    const [name, query] = Object.entries(calls)[0]!
    askedAgain = await timed(keeping.url, name, query)
  } finally {
    await keeping.stop()
  }
  const targetP95Ms = 300
  return {
    points: data.points,
    loadSeconds: Math.round(data.loadSeconds * 10) / 10,
    loadPointsPerSecond: data.loadSeconds ? Math.round(data.points / data.loadSeconds) : 0,
    rollupSeconds: Math.round(data.rollupSeconds * 10) / 10,
    stalePoints: data.stalePoints,
    calls: stats,
    askedAgain,
    targetP95Ms,
    meetsTarget: Object.values(stats).every((s) => s.p95Ms <= targetP95Ms),
  }
}
