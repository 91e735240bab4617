process.env.LOG_LEVEL ??= 'silent'
import { rmSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import { openOutbox, type OutboxOptions } from '../../edge/outbox/leveldb-outbox.js'
import { isMotcuaError } from '../../common/errors.js'
import { createLogger } from '../../common/log.js'
import { waitFor } from '../../testkit/wait.js'
import { T0, deviceStatus, heartbeat, rating, silentLog, syncedStamp, tempDir } from './outbox-fixtures.js'

const dirs: string[] = []
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

function options(over: Partial<OutboxOptions> = {}): OutboxOptions {
  const dir = tempDir('outbox')
  dirs.push(dir)
  return {
    dir, commitWindowMs: 2, maxBytes: 1e9, minFreeBytes: 0, dedupDays: 30, log: silentLog, now: () => T0,
    statfs: async () => ({ bavail: 1e9, bsize: 4096 }), ...over,
  }
}

describe('outbox group commit', () => {
  it('resolves concurrent appends from one synced batch, and all are there after reopen', async () => {
    const opts = options()
    const box = await openOutbox(opts)
    const results = await Promise.all(Array.from({ length: 500 }, (_, i) => box.append(rating(i), syncedStamp(T0 + i), `kiosk-1:${i}`)))
    expect(results.every((r) => r === 'stored')).toBe(true)
    expect(box.stats().depth).toBe(500)
    await box.close()

    const again = await openOutbox(opts)
    const entries = await again.peek(1000)
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 500 }, (_, i) => i))
    expect(entries.map((e) => e.record)).toEqual(Array.from({ length: 500 }, (_, i) => rating(i)))
    expect(entries[7]!.stamp).toEqual(syncedStamp(T0 + 7))
    expect(again.stats().depth).toBe(500)
    expect(again.stats().bytes).toBe(entries.reduce((n, e) => n + e.bytes, 0))
    await again.close()
  })

  it('shares one fsynced batch between appends arriving together or while a write is in flight', async () => {
    const commits: number[] = []
    const box = await openOutbox(options({ commitWindowMs: 0, onCommit: (n) => commits.push(n) }))
    await Promise.all(Array.from({ length: 200 }, (_, i) => box.append(rating(i), syncedStamp(T0), `k:${i}`)))
    expect(commits.reduce((a, b) => a + b, 0)).toBe(200)
    expect(commits.length).toBeLessThan(10)
    // One at a time, each append waits for its own commit.
    for (let i = 200; i < 205; i++) await box.append(rating(i), syncedStamp(T0), `k:${i}`)
    expect(commits.slice(-5)).toEqual([1, 1, 1, 1, 1])
    await box.close()
  })
})

describe('outbox dedup', () => {
  it('stores a dedup key once, across windows and within one window', async () => {
    const opts = options()
    const box = await openOutbox(opts)
    const same = await Promise.all([
      box.append(rating(1), syncedStamp(T0), 'kiosk-1:ev1'),
      box.append(rating(1), syncedStamp(T0), 'kiosk-1:ev1'),
      box.append(rating(2), syncedStamp(T0), 'kiosk-1:ev2'),
    ])
    expect(same).toEqual(['stored', 'duplicate', 'stored'])
    expect(await box.append(rating(1), syncedStamp(T0), 'kiosk-1:ev1')).toBe('duplicate')
    expect(await box.append(rating(1), syncedStamp(T0), 'kiosk-2:ev1')).toBe('stored')
    // Records without a dedup key (metrics) are never deduplicated.
    expect(await box.append(heartbeat(1), syncedStamp(T0))).toBe('stored')
    expect(await box.append(heartbeat(1), syncedStamp(T0))).toBe('stored')
    expect(box.stats().depth).toBe(5)
    await box.close()
    const again = await openOutbox(opts)
    expect(await again.append(rating(1), syncedStamp(T0), 'kiosk-1:ev1')).toBe('duplicate')
    expect(again.stats().depth).toBe(5)
    await again.close()
  })

  it('forgets dedup keys older than dedupDays', async () => {
    let now = T0
    const opts = options({ now: () => now, dedupDays: 1 })
    const box = await openOutbox(opts)
    expect(await box.append(rating(1), syncedStamp(T0), 'kiosk-1:old')).toBe('stored')
    now = T0 + 12 * 3600_000
    expect(await box.append(rating(2), syncedStamp(now), 'kiosk-1:new')).toBe('stored')
    await box.close()
    now = T0 + 30 * 3600_000
    const again = await openOutbox(opts) // prunes at open
    expect(await again.append(rating(1), syncedStamp(now), 'kiosk-1:old')).toBe('stored')
    expect(await again.append(rating(2), syncedStamp(now), 'kiosk-1:new')).toBe('duplicate')
    await again.close()
  })
})

describe('outbox dedup pruning', () => {
  it('keeps recognising resends of keys stored while a prune scan rebuilds its filter', async () => {
    let prune: (() => void) | null = null
    const timers = {
      setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
      setInterval: (fn: () => void) => ((prune = fn), 0),
      clearInterval: () => undefined,
    }
    // One key older than dedupDays, so that the scan has something to prune and says when it is done.
    const lines: string[] = []
    let now = T0 - 31 * 86_400_000
    const opts = options({ timers, dedupDays: 30, now: () => now, log: createLogger('test', 'info', { write: (line: string) => void lines.push(line) }) })
    const box = await openOutbox(opts)
    expect(await box.append(rating(0), syncedStamp(now), 'kiosk-1:ancient')).toBe('stored')
    now = T0
    await Promise.all(Array.from({ length: 5000 }, (_, i) => box.append(rating(i), syncedStamp(T0), `kiosk-1:old-${i}`)))
    prune!()
    // These land while the scan runs (its iterator reads a snapshot without them).
    const during = await Promise.all(Array.from({ length: 200 }, (_, i) => box.append(rating(i), syncedStamp(T0), `kiosk-1:new-${i}`)))
    expect(during.every((r) => r === 'stored')).toBe(true)
    // The resends below must meet the rebuilt filter, not the one the scan replaces.
    await waitFor('the prune scan to finish', () => lines.some((l) => l.includes('pruned old dedup keys')))
    const resent = await Promise.all([
      ...Array.from({ length: 200 }, (_, i) => box.append(rating(i), syncedStamp(T0), `kiosk-1:new-${i}`)),
      ...Array.from({ length: 200 }, (_, i) => box.append(rating(i), syncedStamp(T0), `kiosk-1:old-${i * 7}`)),
    ])
    expect(resent.every((r) => r === 'duplicate')).toBe(true)
    expect(box.stats().depth).toBe(5201)
    await box.close()
  })
})

describe('outbox order and restart', () => {
  it('continues the sequence after restart, even when the queue was emptied', async () => {
    const opts = options()
    const box = await openOutbox(opts)
    for (let i = 0; i < 3; i++) await box.append(rating(i), syncedStamp(T0), `k:${i}`)
    await box.remove(await box.peek(10))
    expect(box.stats()).toMatchObject({ depth: 0, bytes: 0 })
    await box.close()
    const again = await openOutbox(opts)
    await again.append(rating(9), syncedStamp(T0), 'k:9')
    expect((await again.peek(10)).map((e) => e.seq)).toEqual([3])
    await again.close()
  })

  it('gives ratings before metrics, each oldest first', async () => {
    const box = await openOutbox(options())
    await box.append(heartbeat(0), syncedStamp(T0))
    await box.append(deviceStatus(true), syncedStamp(T0))
    await box.append(rating(1), syncedStamp(T0), 'a')
    await box.append(heartbeat(1), syncedStamp(T0))
    await box.append(rating(2), syncedStamp(T0), 'b')
    const kinds = (await box.peek(10)).map((e) => `${e.record.kind}:${e.seq}`)
    expect(kinds).toEqual(['rating:2', 'rating:4', 'device_status:1', 'heartbeat:0', 'heartbeat:3'])
    expect((await box.peek(2)).map((e) => e.seq)).toEqual([2, 4])
    // Past a batch still being removed: the rest of each lane it touched, and untouched lanes from the start.
    const taken = await box.peek(3)
    expect((await box.peek(10, taken)).map((e) => e.seq)).toEqual([0, 3])
    expect((await box.peek(10, taken.slice(0, 1))).map((e) => e.seq)).toEqual([4, 1, 0, 3])
    await box.close()
  })

  it('moves refused records to dead letters, keeps them counted, and rewrites stamps', async () => {
    const opts = options()
    const box = await openOutbox(opts)
    for (let i = 0; i < 4; i++) await box.append(rating(i), { wall: T0, mono: 5, boot: 'b', t: null, clock: null }, `k:${i}`)
    const [a, b, ...rest] = await box.peek(10)
    await box.markDead([a!], 'HUB_RECORD_INVALID')
    const [b2] = await box.rewrite([{ ...b!, stamp: { ...b!.stamp, t: T0 + 77, clock: 'corrected' } }])
    expect(box.stats()).toMatchObject({ depth: 3, deadLetters: 1 })
    expect(box.stats().bytes).toBe(b2!.bytes + rest.reduce((n, e) => n + e.bytes, 0))
    await box.close()
    const again = await openOutbox(opts)
    expect(again.stats()).toMatchObject({ depth: 3, deadLetters: 1 })
    const [first] = await again.peek(1)
    expect(first!.stamp).toMatchObject({ t: T0 + 77, clock: 'corrected' })
    await again.close()
  })

  it('queues dead letters kept for a reason again once due, under their own sequence numbers, also below where reads had reached and after a reopen', async () => {
    const opts = options()
    const box = await openOutbox(opts)
    await box.append(rating(0), syncedStamp(T0 + 60_000), 'a')
    await box.append(heartbeat(1), syncedStamp(T0 + 90_000))
    await box.append(rating(2), syncedStamp(T0 + 120_000), 'c')
    await box.append(rating(3), syncedStamp(T0), 'd')
    const [early, beat, late, invalid] = await box.peek(10).then((es) => [0, 1, 2, 3].map((seq) => es.find((e) => e.seq === seq)!))
    await box.markDead([early!, beat!, late!], 'HUB_RECORD_FUTURE')
    await box.markDead([invalid!], 'HUB_RECORD_INVALID')
    // An append after them, read and removed: each lane's reads now start past the dead letters' keys.
    await box.append(rating(4), syncedStamp(T0), 'e')
    await box.remove(await box.peek(10))
    expect(box.stats()).toMatchObject({ depth: 0, deadLetters: 4 })

    expect(await box.requeueDead('HUB_RECORD_FUTURE', T0 + 59_999)).toBe(0)
    expect(await box.requeueDead('HUB_RECORD_FUTURE', T0 + 90_000)).toBe(2)
    expect(box.stats()).toMatchObject({ depth: 2, deadLetters: 2 })
    const back = await box.peek(10)
    expect(back.map((e) => [e.seq, e.record, e.stamp])).toEqual([[0, rating(0), syncedStamp(T0 + 60_000)], [1, heartbeat(1), syncedStamp(T0 + 90_000)]])
    expect(box.stats().bytes).toBe(back.reduce((n, e) => n + e.bytes, 0))
    await box.remove(back)
    await box.close()

    // The one still due later is found again at open; the record refused for another reason, older than every
    // due time, stays where it is.
    const again = await openOutbox(opts)
    expect(again.stats()).toMatchObject({ depth: 0, deadLetters: 2 })
    expect(await again.requeueDead('HUB_RECORD_FUTURE', T0 + 119_999)).toBe(0)
    expect(await again.requeueDead('HUB_RECORD_FUTURE', T0 + 120_000)).toBe(1)
    expect((await again.peek(10)).map((e) => [e.seq, e.stamp.t])).toEqual([[2, T0 + 120_000]])
    expect(again.stats()).toMatchObject({ depth: 1, deadLetters: 1 })
    await again.close()
  })

  it('reports the age of the oldest record', async () => {
    let now = T0
    const box = await openOutbox(options({ now: () => now }))
    await box.append(heartbeat(1), syncedStamp(T0))
    await box.append(rating(1), syncedStamp(T0 + 5000), 'a')
    now = T0 + 10_000
    expect(box.stats().oldestAgeS).toBe(10)
    await box.remove((await box.peek(10)).filter((e) => e.record.kind === 'heartbeat'))
    expect(box.stats().oldestAgeS).toBe(5)
    await box.close()
  })
})

describe('outbox disk policy', () => {
  it('refuses every append below the free-space reserve, and accepts again when space returns', async () => {
    let free = 10e6
    let now = T0
    const box = await openOutbox(options({ minFreeBytes: 50e6, statfs: async () => ({ bavail: free / 4096, bsize: 4096 }), now: () => now }))
    const err = await box.append(rating(1), syncedStamp(T0), 'a').catch((e: unknown) => e)
    expect(isMotcuaError(err) && err.code).toBe('EDGE_DISK_FULL')
    expect(box.stats().refusing).toMatch(/below the reserve/)
    expect(box.stats().depth).toBe(0)
    free = 100e6
    now += 2000 // past the statfs cache
    expect(await box.append(rating(1), syncedStamp(T0), 'a')).toBe('stored')
    expect(box.stats().refusing).toBeNull()
    await box.close()
  })

  it('sheds the oldest low-priority records over budget, never ratings or device status', async () => {
    const box = await openOutbox(options({ maxBytes: 20_000 }))
    for (let i = 0; i < 40; i++) await box.append(rating(i), syncedStamp(T0), `r:${i}`)
    await box.append(deviceStatus(true), syncedStamp(T0))
    for (let i = 0; i < 200; i++) await box.append(heartbeat(i), syncedStamp(T0 + i))
    // Shedding runs on the write chain right after the commit that went over budget.
    await waitFor('shedding under the budget', () => box.stats().bytes <= 20_000)
    const s = box.stats()
    expect(s.shed).toBeGreaterThan(0)
    expect(s.bytes).toBeLessThanOrEqual(20_000)
    const entries = await box.peek(1000)
    expect(entries.filter((e) => e.record.kind === 'rating')).toHaveLength(40)
    expect(entries.filter((e) => e.record.kind === 'device_status')).toHaveLength(1)
    const beats = entries.filter((e) => e.record.kind === 'heartbeat')
    expect(beats.length + s.shed).toBe(200)
    // The newest heartbeats are the ones kept.
    expect(beats.at(-1)!.seq).toBe(240)
    expect(beats[0]!.seq).toBe(241 - beats.length)
    // Only critical records left over budget: still accepted.
    await box.remove(beats)
    for (let i = 40; i < 200; i++) expect(await box.append(rating(i), syncedStamp(T0), `r:${i}`)).toBe('stored')
    expect(box.stats().bytes).toBeGreaterThan(20_000)
    await box.close()
  })

  it('keeps its counts right when records the forwarder holds are shed under it', async () => {
    const box = await openOutbox(options({ maxBytes: 10_000 }))
    for (let i = 0; i < 30; i++) await box.append(heartbeat(i), syncedStamp(T0))
    const held = await box.peek(30)
    for (let i = 30; i < 120; i++) await box.append(heartbeat(i), syncedStamp(T0))
    await waitFor('30 records shed', () => box.stats().shed >= 30)
    expect(box.stats().shed).toBeGreaterThanOrEqual(30)
    await box.rewrite(held.map((e) => ({ ...e, stamp: { ...e.stamp, t: 1 } })))
    await box.remove(held)
    const left = await box.peek(1000)
    expect(left.every((e) => e.seq >= 30)).toBe(true)
    expect(box.stats().depth).toBe(left.length)
    expect(box.stats().bytes).toBe(left.reduce((n, e) => n + e.bytes, 0))
    await box.close()
  })
})
