/**
 * The one way benchmarks summarise samples: nearest-rank percentiles (the
 * smallest sample with at least p% of the samples at or below it), the same
 * definition as the KPI maths (hub/kpi/stats.ts). The summaries differ only
 * in shape and rounding, kept as the results and the README already use them.
 */

const ascending = (samples: readonly number[]) => [...samples].sort((a, b) => a - b)

/** Nearest rank in samples already sorted ascending; NaN for none. */
function rank(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
}

/** Nearest-rank percentile (p in 0..100) of unsorted samples; NaN for none. */
export function percentile(samples: readonly number[], p: number): number {
  return rank(ascending(samples), p)
}

export interface Summary {
  n: number
  p50: number
  p95: number
  max: number
}

/** Count, median, p95 and maximum (rounded to ms); NaN where there are no samples. */
export function summarize(samples: readonly number[]): Summary {
  const s = ascending(samples)
  const r = (v: number) => Math.round(v)
  return { n: s.length, p50: r(rank(s, 50)), p95: r(rank(s, 95)), max: r(rank(s, 100)) }
}

export interface LatencyStats {
  samples: number
  minMs: number
  medianMs: number
  p95Ms: number
  maxMs: number
}

/** Count, minimum, median, p95 and maximum, unrounded; NaN where there are no samples. */
export function latencyStats(values: readonly number[]): LatencyStats {
  const s = ascending(values)
  return { samples: s.length, minMs: s[0] ?? NaN, medianMs: rank(s, 50), p95Ms: rank(s, 95), maxMs: rank(s, 100) }
}

export interface Timing {
  samples: number[]
  median: number
  p95: number
  max: number
}

/** The samples in the order taken, and their median, p95 and maximum, to 0.1 ms. */
export function timing(samples: readonly number[]): Timing {
  const s = ascending(samples)
  const r = (x: number) => Math.round(x * 10) / 10
  return { samples: samples.map(r), median: r(rank(s, 50)), p95: r(rank(s, 95)), max: r(rank(s, 100)) }
}
