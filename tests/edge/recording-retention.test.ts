import { describe, expect, it } from 'vitest'
import { DAY_MS } from '../../common/time.js'
import { planClip } from '../../edge/recording/clip.js'
import { planRetention, type RecordingMode, type RetentionPolicy, type SegmentMeta } from '../../edge/recording/retention.js'
import type { SegmentRecord } from '../../edge/recording/store.js'

const T0 = Date.UTC(2026, 11, 1, 8, 0, 0)
const SEG = 10_000
const MB = 1e6

/** `n` contiguous 10 s segments of 1 MB from `at`. */
const segs = (camera: string, at: number, n: number): SegmentMeta[] =>
  Array.from({ length: n }, (_, i) => ({ camera, from: at + i * SEG, to: at + (i + 1) * SEG, bytes: MB }))

const policy = (modes: Record<string, RecordingMode>, over: Partial<RetentionPolicy> = {}): RetentionPolicy => ({
  mode: (c) => modes[c] ?? 'off', ringMs: 7 * DAY_MS, eventBufferMs: 120_000, maxBytes: 1e12, ...over,
})

describe('recording ring and retention planner', () => {
  it('deletes continuous video past the ring, keeps what a live clip covers, and drops clips whose time is up', () => {
    const old = segs('cam-1', T0, 6) // 08:00:00 – 08:01:00
    const recent = segs('cam-1', T0 + 6 * DAY_MS, 3)
    // A rating clip 08:00:15 – 08:00:35 kept for 90 days; a motion clip over the first segment, expired.
    const clips = [
      { id: 'r1', camera: 'cam-1', from: T0 + 15_000, to: T0 + 35_000, keepUntil: T0 + 90 * DAY_MS },
      { id: 'm1', camera: 'cam-1', from: T0, to: T0 + 5_000, keepUntil: T0 + 30 * DAY_MS },
    ]
    const eightDaysOn = T0 + 8 * DAY_MS
    const plan = planRetention({ segments: [...old, ...recent], clips, now: eightDaysOn, policy: policy({ 'cam-1': 'continuous' }), needBytes: 0 })
    expect(plan.deleteClips).toEqual([])
    // Segments 10–20, 20–30, 30–40 s overlap the rating clip; the motion clip still protects 0–10 s.
    expect(plan.deleteSegments.map((s) => (s.from - T0) / 1000)).toEqual([40, 50])
    expect(plan.keptBytes).toBe(7 * MB)
    expect(plan.short).toBe(0)

    const after90 = planRetention({ segments: [...old, ...recent], clips, now: T0 + 91 * DAY_MS, policy: policy({ 'cam-1': 'continuous' }), needBytes: 0 })
    expect(after90.deleteClips.sort()).toEqual(['m1', 'r1'])
    expect(after90.deleteSegments).toHaveLength(9)
  })

  it('keeps only the pre-roll buffer of a camera recording around events, and the ring of another camera', () => {
    const now = T0 + 10 * 60_000
    const a = segs('cam-a', T0, 60) // ten minutes
    const b = segs('cam-b', T0, 60)
    const clips = [{ id: 'e', camera: 'cam-a', from: T0 + 60_000, to: T0 + 90_000, keepUntil: now + DAY_MS }]
    const plan = planRetention({ segments: [...a, ...b], clips, now, policy: policy({ 'cam-a': 'events', 'cam-b': 'continuous' }), needBytes: 0 })
    const deletedA = plan.deleteSegments.filter((s) => s.camera === 'cam-a').map((s) => (s.from - T0) / 1000)
    // Kept: 60–90 s (the event) and the last 2 minutes (480 s on); cam-b keeps all ten minutes.
    expect(deletedA).toHaveLength(60 - 3 - 12)
    expect(deletedA).not.toContain(60)
    expect(deletedA).not.toContain(80)
    expect(deletedA).toContain(470)
    expect(deletedA).not.toContain(480)
    expect(plan.deleteSegments.some((s) => s.camera === 'cam-b')).toBe(false)
  })

  it('makes room oldest first across cameras, never from kept clips, and says how much it could not free', () => {
    const a = segs('cam-a', T0, 5)
    const b = segs('cam-b', T0 + 5_000, 5)
    const clips = [{ id: 'k', camera: 'cam-a', from: T0, to: T0 + 50_000, keepUntil: T0 + DAY_MS }]
    const p = policy({ 'cam-a': 'continuous', 'cam-b': 'continuous' }, { maxBytes: 8 * MB })
    const budget = planRetention({ segments: [...b, ...a], clips: [], now: T0 + 60_000, policy: p, needBytes: 0 })
    // 10 MB against 8: the two oldest go, cam-a's first (08:00:00) then cam-b's (08:00:05).
    expect(budget.deleteSegments.map((s) => [s.camera, (s.from - T0) / 1000])).toEqual([['cam-a', 0], ['cam-b', 5]])
    expect(budget.short).toBe(0)

    // Short of free space with cam-a all kept: cam-b goes entirely, and 2 MB are still missing.
    const disk = planRetention({ segments: [...a, ...b], clips, now: T0 + 60_000, policy: p, needBytes: 7 * MB })
    expect(disk.deleteSegments.every((s) => s.camera === 'cam-b')).toBe(true)
    expect(disk.deleteSegments).toHaveLength(5)
    expect(disk.short).toBe(2 * MB)
  })
})

describe('clip planner', () => {
  const rec = (from: number, run: string, keysMs: number[]): SegmentRecord => ({
    camera: 'cam-1', from, to: from + SEG, bytes: 1000 + keysMs.length * 100, file: `${from}.mp4`, run, initBytes: 1000, timescale: 90_000,
    mediaStart: 0, keys: keysMs.map((ms, i) => [1000 + i * 100, ms]),
  })
  const everySecond = Array.from({ length: 10 }, (_, i) => i * 1000)

  it('starts at the keyframe at or before `from`, ends at the first keyframe at or after `to`, and stops at a restart', () => {
    const records = [rec(T0, 'r1', everySecond), rec(T0 + SEG, 'r1', everySecond), rec(T0 + 2 * SEG, 'r2', everySecond)]
    const plan = planClip(records, T0 + 4_500, T0 + 12_200)!
    expect(plan.from).toBe(T0 + 4_000)
    expect(plan.to).toBe(T0 + 13_000)
    expect(plan.pieces.map((p) => [p.rec.from - T0, p.start, p.end])).toEqual([[0, 1400, 2000], [10_000, 1000, 1300]])
    // Past the restart (run r2) the clip ends where r1 ended.
    const long = planClip(records, T0 + 4_500, T0 + 29_000)!
    expect(long.to).toBe(T0 + 2 * SEG)
    expect(long.pieces).toHaveLength(2)
    expect(planClip(records, T0 + 40_000, T0 + 50_000)).toBeNull()
  })
})
