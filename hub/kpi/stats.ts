/**
 * Order statistics for queue times.
 *
 * median: the middle value, or the mean of the two middle values when the
 * count is even (the textbook median, and what InfluxQL MEDIAN() returns).
 *
 * percentile (p90): nearest-rank — the smallest value with at least p% of
 * the values at or below it, i.e. the value at rank ⌈p/100 × n⌉ in ascending
 * order. It is always a time that was actually observed and ties need no
 * rule: equal values share the rank.
 */

const ascending = (values: readonly number[]) => [...values].sort((a, b) => a - b)

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null
  const s = ascending(values)
  const mid = s.length >> 1
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

export function percentileNearestRank(values: readonly number[], p: number): number | null {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`)
  if (values.length === 0) return null
  const s = ascending(values)
  // p × n first keeps integer inputs exact (0.07 × 100 is 7.000000000000001 in floating point).
  const rank = Math.ceil((p * s.length) / 100)
  return s[rank - 1]!
}
