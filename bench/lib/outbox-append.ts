/**
 * Micro-benchmark of outbox appends: `concurrency`
 * writers append ratings as fast as the group commit lets them, each append
 * awaited as the broker awaits it before PUBACK.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLogger } from '../../common/log.js'
import type { Stamp } from '../../edge/clock/types.js'
import { openOutbox } from '../../edge/outbox/leveldb-outbox.js'
import type { ForwardableOutbox, NewRecord } from '../../edge/outbox/types.js'
import { percentile } from './stats.js'

export interface AppendBenchResult {
  records: number
  concurrency: number
  seconds: number
  recordsPerS: number
  commits: number
  /** Median and 99th percentile of one append's latency, ms. */
  p50Ms: number
  p99Ms: number
}

export function benchRating(i: number): NewRecord {
  return {
    kind: 'rating', department: 'tu-phap', counter: `q${i % 20}`, device: `kiosk-${i % 20}`, officer: 'nguyen-van-a',
    eventId: `bench-${i.toString(36).padStart(10, '0')}`, scale: 4, level: 1 + (i % 4), score: 100, dissatisfied: false,
    reasons: [], ticket: null, deviceTs: 1_763_700_000_000 + i, edgeTs: 1_763_700_000_000 + i, misuse: null,
  }
}

export const benchStamp = (i: number): Stamp => ({ wall: 1_763_700_000_000 + i, mono: i, boot: 'bench', t: 1_763_700_000_000 + i, clock: 'synced' })

/** Appends n ratings with dedup keys into `outbox` using `concurrency` writers. */
export async function appendRatings(outbox: ForwardableOutbox, n: number, concurrency: number, latencies?: number[]): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < n) {
      const i = next++
      const r = benchRating(i)
      const start = performance.now()
      await outbox.append(r, benchStamp(i), `bench:${i}`)
      latencies?.push(performance.now() - start)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
}

export async function benchOutboxAppend(n: number, concurrency: number, dir?: string): Promise<AppendBenchResult> {
  const where = dir ?? mkdtempSync(join(tmpdir(), 'motcua-bench-outbox-'))
  let commits = 0
  const outbox = await openOutbox({
    dir: where, commitWindowMs: 2, maxBytes: 2e9, minFreeBytes: 0, dedupDays: 30, log: createLogger('bench', 'silent'),
    now: Date.now, onCommit: () => commits++,
  })
  const latencies: number[] = []
  try {
    const start = performance.now()
    await appendRatings(outbox, n, concurrency, latencies)
    const seconds = (performance.now() - start) / 1000
    const pct = (p: number) => Math.round(percentile(latencies, p) * 100) / 100
    return { records: n, concurrency, seconds, recordsPerS: Math.round(n / seconds), commits, p50Ms: pct(50), p99Ms: pct(99) }
  } finally {
    await outbox.close()
    if (!dir) rmSync(where, { recursive: true, force: true })
  }
}
