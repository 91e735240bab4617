process.env.LOG_LEVEL ??= 'silent'
import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCameraSim, type CameraSim } from '../../devices/camera-sim/index.js'
import { openOutbox } from '../../edge/outbox/leveldb-outbox.js'
import { waitFor } from '../../testkit/wait.js'
import { rating, silentLog, syncedStamp, T0 } from './outbox-fixtures.js'
import { options, startStack, tempDir, type Stack } from './recording-fixtures.js'

// A real 40 MB filesystem shared by the recording and the outbox, as on the Pi's SD card.
const root = tempDir('recording-tmpfs')
const mnt = join(root, 'mnt')
let mounted = false
let sim: CameraSim | null = null
let stack: Stack | null = null

beforeAll(() => {
  mkdirSync(mnt)
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=40m', 'tmpfs', mnt])
  mounted = true
})
afterAll(async () => {
  await stack?.stop()
  await sim?.stop()
  if (mounted) execFileSync('umount', [mnt])
  rmSync(root, { recursive: true, force: true })
})

const freeBytes = () => {
  const s = statfsSync(mnt)
  return s.bavail * s.bsize
}

describe('recording on a disk running full', () => {
  it('stops recording above the outbox reserve, ratings are still stored, and recording starts again when space returns', { timeout: 180_000 }, async () => {
    const MIN_FREE = 16e6
    const outbox = await openOutbox({ dir: join(mnt, 'outbox'), commitWindowMs: 1, maxBytes: 1e9, minFreeBytes: 2e6, dedupDays: 30, log: silentLog, now: () => T0 })
    sim = await startCameraSim({ discovery: false })
    // Leave the recording ~250 KB (a few seconds of the simulator's stream) above its reserve.
    const filler = join(mnt, 'filler')
    writeFileSync(filler, Buffer.alloc(Math.max(0, freeBytes() - MIN_FREE - 250e3)))
    stack = await startStack(sim, { options: options(join(mnt, 'recording'), { minFreeBytes: MIN_FREE }), now: Date.now })
    const rec = stack.recording
    // All of it kept as evidence, so the ring has nothing it may delete for room.
    const now = Date.now()
    await rec.keep('cam-1', now - 60_000, now + 59 * 60_000, 'supervisor-1', 'giữ lại')
    const videoDir = join(mnt, 'recording', 'video', 'cam-1')

    await waitFor('recording stopped for space', () => rec.status().paused === 'disk', { timeoutMs: 90_000 })
    // The open segment was closed, whole, when recording stopped; the kept video is all still there.
    await waitFor('no segment open', () => readdirSync(videoDir).every((f) => f.endsWith('.mp4')))
    const segments = readdirSync(videoDir).length
    expect(segments).toBeGreaterThan(0)
    expect(freeBytes()).toBeGreaterThan(2e6)

    // Ratings have priority over video: the outbox on the same disk still takes every one.
    for (let i = 0; i < 200; i++) {
      const r = rating(i)
      expect(await outbox.append(r, syncedStamp(T0 + i), `kiosk-1:${i}`)).toBe('stored')
    }
    expect(outbox.stats().refusing).toBeNull()

    rmSync(filler)
    await waitFor('recording started again', () => rec.status().paused === null, { timeoutMs: 30_000 })
    await waitFor('a new segment after the pause', () => readdirSync(videoDir).filter((f) => f.endsWith('.mp4')).length > segments, { timeoutMs: 60_000 })
    await outbox.close()
  })
})
