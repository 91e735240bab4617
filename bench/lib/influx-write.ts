/**
 * Write throughput of the 1.x path, for the benchmark runner: N synthetic
 * ratings in batches of 5000, mapped, serialized and written by the same
 * writer the hub uses, with a few batches in flight as several edges would.
 */
import { createLogger } from '../../common/log.js'
import type { EdgeRecord } from '../../protocol/records.js'
import { toPoint } from '../../hub/influx/points.js'
import { createV1Writer } from '../../hub/influx/writer-v1.js'
import { cpuSeconds } from './sampler.js'

export interface BenchOptions {
  /** InfluxDB 1.x base URL, e.g. from testkit/influxd.ts. */
  url: string
  database?: string
  points: number
  batchSize?: number
  /** Batches in flight at once. */
  concurrency?: number
  /** Time of the first point, ms; points follow 1 ms apart. */
  startMs?: number
  /** Sites the batches come from, in turn, as from that many edges. */
  sites?: number
  /** PID of a local database server, to report its CPU time too (Linux /proc). */
  serverPid?: number
}

export interface BenchResult {
  points: number
  batches: number
  seconds: number
  pointsPerSecond: number
  /** CPU seconds this process spent (mapping, serializing, HTTP): independent of other load on the machine. */
  clientCpuSeconds: number
  /** CPU seconds the database server spent, when serverPid was given. */
  serverCpuSeconds?: number
}

/**
 * A rating as a busy site produces them: the counter decides department,
 * device and (usually) officer, as in a real hall, so series counts stay
 * realistic (20 counters × officer-or-none × 4 levels per site).
 */
export function syntheticRating(n: number, t: number): EdgeRecord {
  const counter = n % 20
  const level = (Math.floor(n / 20) % 4) + 1
  return {
    kind: 'rating',
    seq: n,
    t,
    clock: 'synced',
    department: `dept-${counter % 17}`,
    counter: `q${counter}`,
    device: `kiosk-${counter}`,
    officer: n % 10 === 0 ? null : `cb-${counter}`,
    eventId: `bench-${n.toString(36).padStart(8, '0')}`,
    scale: 4,
    level,
    score: Math.round(((4 - level) / 3) * 1000) / 10,
    dissatisfied: level === 4,
    reasons: level === 4 ? ['cho-lau'] : [],
    ticket: `A${n % 1000}`,
    deviceTs: t,
    edgeTs: t,
    misuse: null,
  }
}

export async function benchWrite(opts: BenchOptions): Promise<BenchResult> {
  const batchSize = opts.batchSize ?? 5000
  const concurrency = opts.concurrency ?? 2
  const start = opts.startMs ?? Date.now() - opts.points - 60_000
  const writer = createV1Writer(
    { version: 1, url: opts.url, database: opts.database ?? 'motcua_bench' },
    { log: createLogger('bench', 'silent') },
  )
  const batches: EdgeRecord[][] = []
  for (let i = 0; i < opts.points; i += batchSize) {
    batches.push(Array.from({ length: Math.min(batchSize, opts.points - i) }, (_, k) => syntheticRating(i + k, start + i + k)))
  }
  const sites = opts.sites ?? 10
  const siteOf = (batch: number) => `site-${batch % sites}`
  await writer.write([toPoint(siteOf(0), syntheticRating(0, start))])
  let next = 0
  const serverCpu0 = opts.serverPid ? cpuSeconds(opts.serverPid) : 0
  const cpu0 = process.cpuUsage()
  const began = performance.now()
  const lane = async () => {
    for (let b = next++; b < batches.length; b = next++) {
      const site = siteOf(b)
      await writer.write((batches[b] ?? []).map((r) => toPoint(site, r)))
    }
  }
  await Promise.all(Array.from({ length: concurrency }, lane))
  const seconds = (performance.now() - began) / 1000
  const cpu = process.cpuUsage(cpu0)
  const serverCpuSeconds = opts.serverPid ? cpuSeconds(opts.serverPid) - serverCpu0 : undefined
  await writer.close()
  return {
    points: opts.points,
    batches: batches.length,
    seconds,
    pointsPerSecond: Math.round(opts.points / seconds),
    clientCpuSeconds: (cpu.user + cpu.system) / 1e6,
    ...(serverCpuSeconds === undefined ? {} : { serverCpuSeconds }),
  }
}
