process.env.LOG_LEVEL ??= 'silent'
import { execFileSync } from 'node:child_process'
import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isMotcuaError } from '../../common/errors.js'
import { openOutbox } from '../../edge/outbox/leveldb-outbox.js'
import { T0, rating, silentLog, syncedStamp, tempDir } from './outbox-fixtures.js'

// A real 2 MB filesystem, so LevelDB itself runs into ENOSPC.
const root = tempDir('outbox-tmpfs')
const mnt = join(root, 'mnt')
let mounted = false

beforeAll(() => {
  mkdirSync(mnt)
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mnt])
  mounted = true
})
afterAll(() => {
  if (mounted) execFileSync('umount', [mnt])
  rmSync(root, { recursive: true, force: true })
})

describe('outbox on a full disk', () => {
  it('rejects appends with EDGE_DISK_FULL at ENOSPC and loses nothing acknowledged', async () => {
    const dir = join(mnt, 'outbox')
    let now = T0
    const opts = { dir, commitWindowMs: 1, maxBytes: 1e9, minFreeBytes: 0, dedupDays: 30, log: silentLog, now: () => now }
    const box = await openOutbox(opts)
    const acked: string[] = []
    let failure: unknown = null
    // Bounded: 2 MB holds far fewer than 20,000 ratings.
    for (let i = 0; i < 20_000 && failure === null; i += 50) {
      const batch = Array.from({ length: 50 }, (_, k) => rating(i + k))
      const results = await Promise.allSettled(batch.map((r) => box.append(r, syncedStamp(T0), r.kind === 'rating' ? r.eventId : '')))
      results.forEach((res, k) => {
        const r = batch[k]!
        if (res.status === 'fulfilled' && r.kind === 'rating') acked.push(r.eventId)
        else if (res.status === 'rejected') failure = res.reason
      })
    }
    expect(isMotcuaError(failure) && failure.code).toBe('EDGE_DISK_FULL')
    expect(box.stats().refusing).toMatch(/disk full/)
    expect(acked.length).toBeGreaterThan(100)
    // While refusing, appends fail fast instead of hammering the disk.
    const again = await box.append(rating(99_999), syncedStamp(T0), 'x').catch((e: unknown) => e)
    expect(isMotcuaError(again) && again.code).toBe('EDGE_DISK_FULL')

    // The operator frees space: the same outbox accepts again once its back-off has passed.
    execFileSync('mount', ['-o', 'remount,size=8m', mnt])
    now += 10_000
    expect(await box.append(rating(400_000), syncedStamp(T0), 'freed')).toBe('stored')
    expect(box.stats().refusing).toBeNull()
    await box.close()
    // Everything acknowledged is still there, once.
    const reopened = await openOutbox(opts)
    const ids = (await reopened.peek(1e6)).map((e) => (e.record.kind === 'rating' ? e.record.eventId : ''))
    expect(new Set(ids).size).toBe(ids.length)
    expect(acked.filter((id) => !ids.includes(id))).toEqual([])
    expect(await reopened.append(rating(500_000), syncedStamp(T0), 'after')).toBe('stored')
    await reopened.close()
  })
})
