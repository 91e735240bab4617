/** Nearest-rank percentile (p in 0..100) of unsorted samples; NaN for none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
}

export interface Summary {
  n: number
  p50: number
  p95: number
  max: number
}

/** Count, median, p95 and maximum (nearest rank, rounded to ms); NaN where there are no samples. */
export function summarize(samples: readonly number[]): Summary {
  const r = (v: number) => Math.round(v)
  return { n: samples.length, p50: r(percentile(samples, 50)), p95: r(percentile(samples, 95)), max: r(samples.length ? Math.max(...samples) : NaN) }
}
