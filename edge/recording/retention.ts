/**
 * What the recording ring deletes, decided without touching the disk: video
 * older than the ring (or, for cameras recording around events only, older
 * than the pre-roll), the oldest video while over the byte budget or short of
 * free space, and kept clips whose time is up. Video inside a kept clip is
 * never deleted for room: evidence outranks routine video (docs/recording.md).
 */
import type { KeptClip } from './types.js'

export type RecordingMode = 'off' | 'continuous' | 'events'

/** A finished segment as the ring sees it. */
export interface SegmentMeta {
  camera: string
  from: number
  to: number
  bytes: number
}

export interface RetentionPolicy {
  mode(camera: string): RecordingMode
  /** Continuous video is kept this long. */
  ringMs: number
  /** Cameras recording around events keep unclaimed video this long, so an event can still claim its pre-roll. */
  eventBufferMs: number
  /** Budget for all recorded video, kept clips included. */
  maxBytes: number
}

export interface RetentionInput {
  /** Every finished segment, any order. */
  segments: readonly SegmentMeta[]
  clips: readonly Pick<KeptClip, 'id' | 'camera' | 'from' | 'to' | 'keepUntil'>[]
  now: number
  policy: RetentionPolicy
  /** Bytes to free on the disk on top of the budget (the disk is short of its reserve). */
  needBytes: number
}

export interface RetentionPlan {
  deleteSegments: SegmentMeta[]
  deleteClips: string[]
  /** Bytes still to free once the plan is carried out: only kept clips are left to delete, so recording must stop. */
  short: number
  /** Bytes of the segments that stay. */
  keptBytes: number
}

/** Sorted, merged [from, to) intervals. */
function merge(ranges: { from: number; to: number }[]): { from: number; to: number }[] {
  const sorted = [...ranges].sort((a, b) => a.from - b.from)
  const out: { from: number; to: number }[] = []
  for (const r of sorted) {
    const last = out.at(-1)
    if (last && r.from <= last.to) last.to = Math.max(last.to, r.to)
    else out.push({ ...r })
  }
  return out
}

/** True when [from, to) overlaps one of the merged, sorted intervals. */
function overlaps(intervals: { from: number; to: number }[], from: number, to: number): boolean {
  // Last interval starting before `to`.
  let lo = 0
  let hi = intervals.length - 1
  let found = -1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    if (intervals[mid]!.from < to) {
      found = mid
      lo = mid + 1
    } else hi = mid - 1
  }
  return found >= 0 && intervals[found]!.to > from
}

export function planRetention(input: RetentionInput): RetentionPlan {
  const { now, policy } = input
  const deleteClips = input.clips.filter((c) => c.keepUntil <= now).map((c) => c.id)
  const liveByCamera = new Map<string, { from: number; to: number }[]>()
  for (const c of input.clips) {
    if (c.keepUntil <= now) continue
    const list = liveByCamera.get(c.camera) ?? []
    list.push({ from: c.from, to: c.to })
    liveByCamera.set(c.camera, list)
  }
  const protectedBy = new Map([...liveByCamera].map(([camera, list]) => [camera, merge(list)]))
  const isProtected = (s: SegmentMeta) => overlaps(protectedBy.get(s.camera) ?? [], s.from, s.to)

  const deleteSegments: SegmentMeta[] = []
  const spare: SegmentMeta[] = []
  let keptBytes = 0
  let freed = 0
  for (const s of input.segments) {
    if (isProtected(s)) {
      keptBytes += s.bytes
      continue
    }
    const keepMs = policy.mode(s.camera) === 'events' ? policy.eventBufferMs : policy.ringMs
    if (s.to <= now - keepMs) {
      deleteSegments.push(s)
      freed += s.bytes
    } else {
      spare.push(s)
      keptBytes += s.bytes
    }
  }
  // Room: the oldest unprotected video goes first, whichever camera it is from.
  spare.sort((a, b) => a.from - b.from)
  const over = () => Math.max(keptBytes - policy.maxBytes, input.needBytes - freed)
  for (const s of spare) {
    if (over() <= 0) break
    deleteSegments.push(s)
    keptBytes -= s.bytes
    freed += s.bytes
  }
  return { deleteSegments, deleteClips, short: Math.max(0, over()), keptBytes }
}
