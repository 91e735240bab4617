/**
 * Issue 11's HTTP fuzz, long run: the same harness as
 * tests/faults/http-fuzz.test.ts against the edge's and the hub's real
 * processes, many more requests, with throughput and footprint reported.
 */
import { EDGE_PATHS, fuzzHttp, HUB_PATHS, type FuzzResult } from '../testkit/http-fuzz.js'
import { measureFuzz, startFuzzStack, type MeasuredFuzz } from './lib/fuzz-stack.js'

export interface FuzzSurface extends MeasuredFuzz {
  surface: 'edge' | 'hub'
  requestsPerS: number
  fiveXx: number
}

export async function benchFuzz(o: { requests: number; log: (s: string) => void }): Promise<FuzzSurface[]> {
  const stack = await startFuzzStack()
  try {
    const surfaces: FuzzSurface[] = []
    const runs = [
      { surface: 'edge', proc: stack.edge, alive: stack.edgeAlive, run: () => fuzzHttp({ host: '127.0.0.1', port: stack.edgePort, paths: EDGE_PATHS }, { requests: o.requests, seed: 1111 }) },
      { surface: 'hub', proc: stack.hub, alive: stack.hubAlive, run: () => fuzzHttp({ host: '127.0.0.1', port: stack.hubPort, ca: stack.pki.caPem, paths: HUB_PATHS }, { requests: o.requests, seed: 1112 }) },
    ] as const
    for (const r of runs) {
      o.log(`fuzz: ${o.requests} requests against the ${r.surface}`)
      const m = await measureFuzz(r.proc, r.alive, r.run)
      surfaces.push({ surface: r.surface, ...m, requestsPerS: perSecond(m.result), fiveXx: m.result.statuses['5xx'] ?? 0 })
    }
    return surfaces
  } finally {
    await stack.stop()
  }
}

const perSecond = (r: FuzzResult) => Math.round((r.requests / Math.max(1, r.elapsedMs)) * 1000)
