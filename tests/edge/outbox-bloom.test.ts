import { describe, expect, it } from 'vitest'
import { BloomFilter } from '../../edge/outbox/bloom.js'

describe('dedup Bloom filter', () => {
  it('never forgets a key it was given', () => {
    const bloom = new BloomFilter(16, 7)
    const keys = Array.from({ length: 5000 }, (_, i) => `button-q${i % 30}:ev-${i}-${(i * 7919).toString(36)}`)
    for (const k of keys) bloom.add(k)
    expect(keys.every((k) => bloom.mightContain(k))).toBe(true)
  })

  it('rarely says maybe for keys it never saw, at the sizes the outbox uses', () => {
    const bloom = new BloomFilter()
    for (let i = 0; i < 200_000; i++) bloom.add(`kiosk-q01:event-${i}`)
    let falsePositives = 0
    for (let i = 0; i < 200_000; i++) if (bloom.mightContain(`kiosk-q01:other-${i}`)) falsePositives++
    // Theory gives about 2e-6 here; 20 in 200,000 (1e-4) would already mean a broken hash.
    expect(falsePositives).toBeLessThan(20)
  })

  it('tells apart keys that differ in one character', () => {
    const bloom = new BloomFilter(20, 7)
    bloom.add('kiosk-q01:abcdefgh')
    expect(bloom.mightContain('kiosk-q01:abcdefgh')).toBe(true)
    expect(['kiosk-q01:abcdefgi', 'kiosk-q02:abcdefgh', 'kiosk-q01:abcdefg'].some((k) => bloom.mightContain(k))).toBe(false)
  })
})
