import { describe, expect, it } from 'vitest'
import { isDissatisfied, isValidLevel, normalisedScore, SCALES } from '../../protocol/scales.js'

describe('scales', () => {
  it('maps the default 4-level scale to 100 / 66.7 / 33.3 / 0', () => {
    expect([1, 2, 3, 4].map((l) => normalisedScore(4, l))).toEqual([100, 66.7, 33.3, 0])
    expect(SCALES[4].map((l) => l.vi)).toEqual(['Rất hài lòng', 'Hài lòng', 'Bình thường', 'Không hài lòng'])
  })

  it('maps 3- and 5-level scales linearly', () => {
    expect([1, 2, 3].map((l) => normalisedScore(3, l))).toEqual([100, 50, 0])
    expect([1, 2, 3, 4, 5].map((l) => normalisedScore(5, l))).toEqual([100, 75, 50, 25, 0])
  })

  it('marks only the negative levels as dissatisfied', () => {
    expect([1, 2, 3, 4].map((l) => isDissatisfied(4, l))).toEqual([false, false, false, true])
    expect([1, 2, 3, 4, 5].map((l) => isDissatisfied(5, l))).toEqual([false, false, false, true, true])
    expect([1, 2, 3].map((l) => isDissatisfied(3, l))).toEqual([false, false, true])
  })

  it('refuses levels off the scale', () => {
    expect(isValidLevel(4, 0)).toBe(false)
    expect(isValidLevel(4, 5)).toBe(false)
    expect(isValidLevel(4, 2.5)).toBe(false)
    expect(() => normalisedScore(3, 4)).toThrow(RangeError)
  })
})
