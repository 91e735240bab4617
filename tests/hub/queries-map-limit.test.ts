/** hub/queries/map-limit.ts: bounded concurrency for the KPI statements and the rollup's recounts. */
import { describe, expect, it } from 'vitest'
import { mapLimit } from '../../hub/queries/map-limit.js'

const tick = () => new Promise<void>((resolve) => setImmediate(resolve))

describe('mapLimit', () => {
  it('keeps item order and never runs more than the limit at once', async () => {
    let running = 0
    let most = 0
    const out = await mapLimit([5, 1, 4, 2, 3, 0], 3, async (n) => {
      most = Math.max(most, ++running)
      for (let i = 0; i < n; i++) await tick()
      running--
      return n * 10
    })
    expect(out).toEqual([50, 10, 40, 20, 30, 0])
    expect(most).toBe(3)
  })

  it('answers an empty list without calling fn', async () => {
    expect(await mapLimit([], 2, () => Promise.reject(new Error('called')))).toEqual([])
  })

  it('starts nothing new after a failure, lets the running ones finish, then rejects with the first failure', async () => {
    const started: number[] = []
    const finished: number[] = []
    const run = mapLimit([0, 1, 2, 3, 4], 2, async (n) => {
      started.push(n)
      await tick()
      if (n === 0) throw new Error('first')
      await tick()
      if (n === 1) throw new Error('second')
      finished.push(n)
      return n
    })
    await expect(run).rejects.toThrow('first')
    // Item 1 was running when item 0 failed: it settled before mapLimit did, and nothing after it started.
    expect(started).toEqual([0, 1])
    expect(finished).toEqual([])
  })
})
