import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createWriteSlots, type SlotOutcome } from '../../hub/ingest/write-slots.js'

beforeEach(() => {
  vi.useFakeTimers()
})

afterEach(() => {
  vi.useRealTimers()
})

/** The outcomes settled so far, in the order of the takes. */
function tracked(promises: Promise<SlotOutcome>[]): Array<SlotOutcome | 'pending'> {
  const seen: Array<SlotOutcome | 'pending'> = promises.map(() => 'pending')
  promises.forEach((p, i) => void p.then((o) => (seen[i] = o)))
  return seen
}

describe('write slots', () => {
  it('gives free slots at once, then hands each released slot to the oldest waiter', async () => {
    const slots = createWriteSlots({ max: 2, maxWaiting: 2, waitMs: 1000 })
    expect(await slots.take()).toBe('now')
    expect(await slots.take()).toBe('now')
    expect(slots.full()).toBe(true)
    const seen = tracked([slots.take(), slots.take()])
    await vi.advanceTimersByTimeAsync(10)
    expect(seen).toEqual(['pending', 'pending'])
    expect(slots.waiting).toBe(2)
    slots.release()
    await vi.advanceTimersByTimeAsync(0)
    expect(seen).toEqual(['waited', 'pending'])
    // The slot passed straight on: still full, so a new batch is refused before its upload.
    expect(slots.inFlight).toBe(2)
    expect(slots.full()).toBe(true)
    slots.release()
    await vi.advanceTimersByTimeAsync(0)
    expect(seen).toEqual(['waited', 'waited'])
    slots.release()
    slots.release()
    expect(slots.inFlight).toBe(0)
    expect(slots.full()).toBe(false)
  })

  it('refuses a body past maxWaiting at once, and one that waited waitMs with no slot', async () => {
    const slots = createWriteSlots({ max: 1, maxWaiting: 1, waitMs: 1000 })
    await slots.take()
    const seen = tracked([slots.take(), slots.take()])
    await vi.advanceTimersByTimeAsync(0)
    expect(seen).toEqual(['pending', 'queue_full'])
    await vi.advanceTimersByTimeAsync(999)
    expect(seen[0]).toBe('pending')
    await vi.advanceTimersByTimeAsync(1)
    expect(seen).toEqual(['timed_out', 'queue_full'])
    expect(slots.waiting).toBe(0)
    // The timed-out waiter left the line: the release frees the slot instead of handing it to nobody.
    slots.release()
    expect(slots.inFlight).toBe(0)
    expect(await slots.take()).toBe('now')
  })

  it('with waitMs 0 never waits', async () => {
    const slots = createWriteSlots({ max: 1, maxWaiting: 4, waitMs: 0 })
    await slots.take()
    expect(await slots.take()).toBe('timed_out')
    expect(slots.waiting).toBe(0)
  })
})
