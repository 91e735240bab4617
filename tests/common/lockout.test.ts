import { describe, expect, it } from 'vitest'
import { Lockout } from '../../common/web/lockout.js'

function fail(lockout: Lockout, client: string, times: number): void {
  for (let i = 0; i < times; i++) lockout.failed(client)
}

describe('sign-in lockout', () => {
  it('locks an address after N failures, and only that address', () => {
    const lockout = new Lockout({ now: () => 0, maxFailures: 3, lockMs: 60_000 })
    fail(lockout, '10.0.0.1', 2)
    expect(lockout.locked('10.0.0.1')).toBe(false)
    lockout.failed('10.0.0.1')
    expect(lockout.locked('10.0.0.1')).toBe(true)
    expect(lockout.locked('10.0.0.2')).toBe(false)
  })

  it('unlocks once the window after the last failure has passed, and starts counting afresh', () => {
    let now = 1000
    const lockout = new Lockout({ now: () => now, maxFailures: 3, lockMs: 60_000 })
    fail(lockout, 'a', 3)
    now += 59_999
    expect(lockout.locked('a')).toBe(true)
    now += 1
    expect(lockout.locked('a')).toBe(false)
    fail(lockout, 'a', 2)
    expect(lockout.locked('a')).toBe(false)
  })

  it('a success clears the count', () => {
    const lockout = new Lockout({ now: () => 0, maxFailures: 3 })
    fail(lockout, 'a', 2)
    lockout.succeeded('a')
    fail(lockout, 'a', 2)
    expect(lockout.locked('a')).toBe(false)
    expect(lockout.size).toBe(1)
  })

  it('prunes expired addresses as new failures come in', () => {
    let now = 0
    const lockout = new Lockout({ now: () => now, lockMs: 1000 })
    for (let i = 0; i < 50; i++) lockout.failed(`old-${i}`)
    now = 1000
    lockout.failed('new')
    expect(lockout.size).toBe(1)
  })

  it('stays bounded when addresses are sprayed, dropping the oldest first', () => {
    let now = 0
    const lockout = new Lockout({ now: () => now, maxFailures: 2, maxEntries: 100 })
    fail(lockout, 'target', 2)
    for (let i = 0; i < 10_000; i++) {
      now++
      lockout.failed(`spray-${i}`)
      expect(lockout.size).toBeLessThanOrEqual(100)
    }
    expect(lockout.locked('spray-9999')).toBe(false)
    lockout.failed('spray-9999')
    expect(lockout.locked('spray-9999')).toBe(true)
    expect(lockout.locked('target')).toBe(false)
  })
})
