/**
 * Write throughput of the 1.x path, for the benchmark runner: N synthetic
 * ratings in batches of 5000, mapped, serialized and written by the same
 * writer the hub uses, with a few batches in flight as several edges would.
 */
import { createLogger } from '../../common/log.js'
import type { EdgeRecord } from '../../protocol/records.js'
import { toPoint } from './points.js'
import { createV1Writer } from './writerV1.js'

export interface BenchOptions {
  /** InfluxDB 1.x base URL, e.g. from tests/support/influxd.ts. */
  url: string
  database?: string
  points: number
  batchSize?: number
  /** Batches in flight at once. */
  concurrency?: number
  /** Time of the first point, ms; points follow 1 ms apart. */
  startMs?: number
}

export interface BenchResult {
  points: number
  batches: number
  seconds: number
  pointsPerSecond: number
}

export function syntheticRating(n: number, t: number): EdgeRecord {
  const level = (n % 4) + 1
  return {
    kind: 'rating',
    seq: n,
    t,
    clock: 'synced',
    department: `dept-${n % 17}`,
    counter: `q${n % 20}`,
    device: `kiosk-${n % 20}`,
    officer: n % 5 === 0 ? null : `cb-${n % 27}`,
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
  await writer.write([toPoint('bench', syntheticRating(0, start))])
  let next = 0
  const began = performance.now()
  const lane = async () => {
    for (let b = next++; b < batches.length; b = next++) {
      await writer.write((batches[b] ?? []).map((r) => toPoint('bench', r)))
    }
  }
  await Promise.all(Array.from({ length: concurrency }, lane))
  const seconds = (performance.now() - began) / 1000
  await writer.close()
  return { points: opts.points, batches: batches.length, seconds, pointsPerSecond: Math.round(opts.points / seconds) }
}
