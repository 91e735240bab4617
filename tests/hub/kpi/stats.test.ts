import { describe, expect, it } from 'vitest'
import { median, percentileNearestRank } from '../../../hub/kpi/stats.js'

describe('median and nearest-rank percentile', () => {
  it('empty input has no median or percentile', () => {
    expect(median([])).toBeNull()
    expect(percentileNearestRank([], 90)).toBeNull()
  })

  it('median is the middle value, or the mean of the two middle values', () => {
    expect(median([7])).toBe(7)
    expect(median([9, 1, 5])).toBe(5)
    expect(median([4, 1, 3, 2])).toBe(2.5)
  })

  it('p90 is the value at rank ⌈0.9 n⌉', () => {
    const ten = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    expect(percentileNearestRank(ten, 90)).toBe(90) // rank 9
    expect(percentileNearestRank([...ten, 110], 90)).toBe(100) // ⌈9.9⌉ = rank 10
    expect(percentileNearestRank([42], 90)).toBe(42)
    expect(percentileNearestRank([3, 1, 2], 90)).toBe(3) // ⌈2.7⌉ = rank 3
    // 7 × 100 / 100 must be rank 7 exactly, not 8 from floating-point error.
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1)
    expect(percentileNearestRank(hundred, 7)).toBe(7)
  })

  it('ties share a rank', () => {
    expect(percentileNearestRank([5, 5, 5, 5, 5, 5, 5, 5, 5, 1], 90)).toBe(5)
    expect(percentileNearestRank([1, 2, 2, 2, 2, 2, 2, 2, 2, 9], 90)).toBe(2)
    expect(median([3, 3, 3, 8])).toBe(3)
  })

  it('refuses a percentile outside (0, 100]', () => {
    expect(() => percentileNearestRank([1], 0)).toThrow(RangeError)
    expect(() => percentileNearestRank([1], 101)).toThrow(RangeError)
  })
})
