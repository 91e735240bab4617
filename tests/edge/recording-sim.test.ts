process.env.LOG_LEVEL ??= 'silent'
import { createWriteStream, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DAY_MS } from '../../common/time.js'
import { startCameraSim, type CameraSim } from '../../devices/camera-sim/index.js'
import { blockCycle } from '../../devices/camera-sim/moving-block.js'
import { probeReadable } from '../../edge/recording/recover.js'
import type { NewRecord } from '../../edge/outbox/types.js'
import { waitFor } from '../../testkit/wait.js'
import { blockFrames, options, packets, probe, startStack, tempDir, type Stack } from './recording-fixtures.js'

const rating = (counter: string, eventId: string, dissatisfied: boolean): NewRecord => ({
  kind: 'rating', department: 'd-1', counter, device: 'kiosk-1', officer: null, eventId, scale: 5, level: dissatisfied ? 5 : 1,
  score: dissatisfied ? 0 : 100, dissatisfied, reasons: [], ticket: null, deviceTs: Date.now(), edgeTs: Date.now(), misuse: null,
})

describe('recording the simulated camera', () => {
  let sim: CameraSim
  let stack: Stack | null = null
  let dir: string
  /** The recorder's clock: the wall clock plus a jump the test makes to reach the ring's and the clips' ends. */
  let skew = 0
  beforeEach(async () => {
    sim = await startCameraSim({ discovery: false })
    dir = tempDir('recording')
    skew = 0
  })
  afterEach(async () => {
    await stack?.stop()
    stack = null
    await sim?.stop()
  })
  const videoDir = () => join(dir, 'video', 'cam-1')

  it('writes readable segments without transcoding, no frame missing between them, and serves a clip from a keyframe', { timeout: 120_000 }, async () => {
    stack = await startStack(sim, { options: options(dir), now: () => Date.now() + skew })
    const rec = stack.recording
    await waitFor('four segments', () => rec.status().cameras['cam-1']!.segments >= 4, { timeoutMs: 60_000 })
    const spans = await rec.timeline('cam-1', 0, Date.now() + DAY_MS)
    // One ffmpeg run: the segments join into one span.
    expect(spans).toHaveLength(1)
    expect(spans[0]).toMatchObject({ camera: 'cam-1', kind: 'continuous' })

    const files = readdirSync(videoDir()).filter((f) => f.endsWith('.mp4')).sort()
    expect(files.length).toBeGreaterThanOrEqual(4)
    const first4 = files.slice(0, 4).map((f) => join(videoDir(), f))
    for (const f of first4) {
      expect(await probeReadable(f)).toBe(true)
      // The camera's H.264, copied: 640x360 Baseline stays h264.
      expect((await probe(f)).codec).toBe('h264')
    }
    // Each segment starts on a keyframe and continues the previous one: no frame is missing between two files and
    // none is repeated. Told by the frames' content, not their timestamps: the camera stamps a frame when its
    // encoder takes it, so on a loaded machine one interval reads 10050 where the median is 5992 (a fresh-machine
    // run) with no frame missing. The simulator's moving block counts frames: across the four files, read in order,
    // it advances exactly one step per frame. Decode times still only go forward.
    const perFile = await Promise.all(first4.map(packets))
    for (let i = 0; i < perFile.length; i++) {
      expect(perFile[i]![0]!.key).toBe(true)
      if (i > 0) expect(perFile[i]![0]!.dts).toBeGreaterThan(perFile[i - 1]!.at(-1)!.dts)
    }
    const perFileFrames = await Promise.all(first4.map((f) => blockFrames(f)))
    perFileFrames.forEach((frames, i) => expect(frames, `file ${i}: one decoded frame per packet`).toHaveLength(perFile[i]!.length))
    const frames = perFileFrames.flat()
    expect(frames.every((n) => n !== undefined), 'the block is read in every frame').toBe(true)
    const steps = frames.slice(1).map((n, k) => (n! - frames[k]! + blockCycle(640)) % blockCycle(640))
    expect(steps.filter((s) => s !== 1), 'block steps other than one frame').toEqual([])

    const span = spans[0]!
    const clip = await rec.openClip('cam-1', span.from + 2500, span.from + 5500)
    expect(clip).not.toBeNull()
    expect(clip!.contentType).toBe('video/mp4')
    expect(clip!.from).toBeLessThanOrEqual(span.from + 2500)
    expect(clip!.to).toBeGreaterThanOrEqual(span.from + 5500)
    const out = join(dir, 'clip.mp4')
    await pipeline(clip!.stream, createWriteStream(out))
    expect(await probeReadable(out)).toBe(true)
    const clipPackets = await packets(out)
    expect(clipPackets[0]).toMatchObject({ key: true, dts: 0 })
    const info = await probe(out)
    expect(info.startTime).toBe(0)
    // The clip holds the media between its two keyframes (15 fps, a keyframe each second), whole frames.
    expect(Math.round(info.duration * 15)).toBe(Math.round(((clip!.to - clip!.from) / 1000) * 15))
    expect(await rec.openClip('cam-1', span.from - 60_000, span.from - 30_000)).toBeNull()
  })

  it('closes the segment when the camera goes mid-segment, records again when it is back, and keeps clips of ratings, events and supervisors', { timeout: 180_000 }, async () => {
    stack = await startStack(sim, { options: options(dir), now: () => Date.now() + skew })
    const rec = stack.recording
    await waitFor('a segment', () => rec.status().cameras['cam-1']!.segments >= 1, { timeoutMs: 60_000 })
    // Camera 1 covers counters c-1 (its `counter`) and c-2 (`counters`).
    expect(rec.cameraOfCounter('c-2')).toBe('cam-1')
    expect(rec.cameraOfCounter('c-9')).toBeNull()
    rec.onRecord(rating('c-2', 'evt-dissatisfied-1', true))
    rec.onRecord(rating('c-1', 'evt-satisfied-01', false))
    rec.onCameraEvent('cam-1', 'tamper', true)

    const before = rec.status().cameras['cam-1']!.segments
    await sim.setFault('offline')
    // The open segment is closed on the interruption, whole: no .part is left behind.
    await waitFor('segment closed on the camera going away', () => rec.status().cameras['cam-1']!.segments > before && readdirSync(videoDir()).every((f) => f.endsWith('.mp4')), { timeoutMs: 30_000 })
    const closed = readdirSync(videoDir()).sort().at(-1)!
    expect(await probeReadable(join(videoDir(), closed))).toBe(true)
    await sim.setFault('none')
    const afterGap = rec.status().cameras['cam-1']!.segments
    await waitFor('recording again after the camera came back', () => rec.status().cameras['cam-1']!.segments >= afterGap + 2, { timeoutMs: 60_000 })
    const spans = await rec.timeline('cam-1', 0, Date.now() + DAY_MS)
    // The outage is a gap between two runs; the part around the events is marked as kept.
    expect(spans.length).toBeGreaterThanOrEqual(2)
    expect(spans.some((s) => s.kind === 'event')).toBe(true)

    const now = Date.now()
    const manual = await rec.keep('cam-1', now - 3000, now - 1000, 'supervisor-1', 'khiếu nại của công dân')
    await expect(rec.keep('cam-1', now - 2 * 3600_000, now, 'supervisor-1', 'too long')).rejects.toThrow(RangeError)
    const clips = await rec.clips(null, 0, now + DAY_MS)
    expect(clips.map((c) => [c.reason, c.ref]).sort()).toEqual([['manual', null], ['rating', 'evt-dissatisfied-1'], ['tamper', null]])
    const ratingClip = clips.find((c) => c.reason === 'rating')!
    expect(ratingClip.keepUntil - ratingClip.from).toBeGreaterThan(89 * DAY_MS)
    expect(ratingClip.to - ratingClip.from).toBe(8000)
    // What a supervisor typed and who they are stay on the edge, not in what the tunnel is given.
    expect(Object.keys(manual).sort()).toEqual(['camera', 'from', 'id', 'keepUntil', 'reason', 'ref', 'to'])
    const ratingVideo = await rec.openClip('cam-1', ratingClip.from, ratingClip.to)
    expect(ratingVideo).not.toBeNull()
  })

  it('deletes on schedule: continuous video after the ring, kept clips after their days, files and index together', { timeout: 120_000 }, async () => {
    stack = await startStack(sim, { options: options(dir), now: () => Date.now() + skew, sweepMs: 3_600_000 })
    const rec = stack.recording
    await waitFor('five segments', () => rec.status().cameras['cam-1']!.segments >= 5, { timeoutMs: 60_000 })
    rec.onRecord(rating('c-1', 'evt-dissatisfied-2', true))
    const ratingClip = await waitFor('the rating clip stored', async () => (await rec.clips('cam-1', 0, Date.now() + DAY_MS))[0])
    await waitFor('the segment after the rating', async () => (await rec.timeline('cam-1', 0, Date.now() + DAY_MS)).at(-1)!.to > ratingClip.to, { timeoutMs: 60_000 })
    const early = await rec.timeline('cam-1', 0, Date.now())
    const recordedUntil = early.at(-1)!.to

    skew = 8 * DAY_MS
    await rec.sweep()
    const left = (await rec.timeline('cam-1', 0, recordedUntil)).filter((s) => s.from < recordedUntil)
    // Only the video the rating's clip covers is left of the first eight days.
    expect(left.length).toBeGreaterThan(0)
    for (const s of left) {
      expect(s.kind).toBe('event')
      expect(s.from < ratingClip.to && s.to > ratingClip.from).toBe(true)
    }
    // Files and index agree: the bytes left on disk are the bytes the timeline shows.
    // (The segment being written when the clock jumped is still a .part under its provisional name.)
    const files = readdirSync(videoDir()).filter((f) => f.endsWith('.mp4') && Number(f.split('.')[0]) < recordedUntil)
    expect(files.reduce((n, f) => n + statSync(join(videoDir(), f)).size, 0)).toBe(left.reduce((n, s) => n + s.bytes, 0))
    expect((await rec.clips('cam-1', 0, Date.now() + 100 * DAY_MS)).map((c) => c.id)).toEqual([ratingClip.id])

    skew = 91 * DAY_MS
    await rec.sweep()
    expect(await rec.clips('cam-1', 0, Date.now() + 100 * DAY_MS)).toEqual([])
    expect(await rec.timeline('cam-1', 0, recordedUntil)).toEqual([])
    expect(readdirSync(videoDir()).filter((f) => f.endsWith('.mp4') && Number(f.split('.')[0]) < recordedUntil)).toEqual([])
  })
})
