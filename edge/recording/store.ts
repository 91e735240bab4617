/**
 * The recording index in LevelDB (as the outbox, edge/outbox/level-store.ts):
 * one entry per finished segment, keyed by camera and start so a clip's
 * segments are one range read, and one per kept clip. The ring's view of the
 * segments (camera, range, bytes) is also held in memory: the retention
 * planner runs over all of it on every sweep.
 */
import { ClassicLevel } from 'classic-level'
import type { SegmentMeta } from './retention.js'
import type { KeptClip } from './types.js'

/** A finished segment file: `<camera>/<file>` under the video directory. */
export interface SegmentRecord extends SegmentMeta {
  file: string
  /** Segments of one ffmpeg run share an init segment and a continuous decode time: they can be joined byte for byte. */
  run: string
  initBytes: number
  timescale: number
  /** Decode time of the first fragment, in `timescale` units. */
  mediaStart: number
  /** Keyframe fragments: [byte offset in the file, ms after `from`]. The first is at `initBytes`, 0. */
  keys: [number, number][]
}

/** A kept clip and who kept it (manual keeps), for the audit trail on the edge. */
export interface StoredClip extends KeptClip {
  createdAt: number
  by: string | null
  note: string | null
}

/** Longest segment the writer makes; range reads start this much before `from`. */
export const MAX_SEGMENT_MS = 120_000

const pad = (n: number) => String(Math.max(0, Math.round(n))).padStart(15, '0')
const segKey = (camera: string, from: number) => `s!${camera}!${pad(from)}`
const clipKey = (id: string) => `c!${id}`

export class RecordingStore {
  private readonly db: ClassicLevel<string, string>
  /** Per camera, sorted by `from`. */
  private readonly segs = new Map<string, SegmentMeta[]>()
  private readonly clipMap = new Map<string, StoredClip>()

  constructor(dir: string) {
    this.db = new ClassicLevel<string, string>(dir, { valueEncoding: 'utf8' })
  }

  async open(): Promise<void> {
    await this.db.open()
    for await (const [, value] of this.db.iterator({ gte: 's!', lt: 's"' })) {
      const r = JSON.parse(value) as SegmentRecord
      this.listOf(r.camera).push({ camera: r.camera, from: r.from, to: r.to, bytes: r.bytes })
    }
    for await (const [, value] of this.db.iterator({ gte: 'c!', lt: 'c"' })) {
      const c = JSON.parse(value) as StoredClip
      this.clipMap.set(c.id, c)
    }
  }

  private listOf(camera: string): SegmentMeta[] {
    let list = this.segs.get(camera)
    if (!list) this.segs.set(camera, (list = []))
    return list
  }

  async putSegment(r: SegmentRecord): Promise<void> {
    await this.db.put(segKey(r.camera, r.from), JSON.stringify(r))
    const list = this.listOf(r.camera)
    const meta = { camera: r.camera, from: r.from, to: r.to, bytes: r.bytes }
    // Segments arrive in order; a salvaged one at start may not.
    if (list.length === 0 || list.at(-1)!.from <= r.from) list.push(meta)
    else {
      list.push(meta)
      list.sort((a, b) => a.from - b.from)
    }
  }

  async deleteSegments(metas: readonly SegmentMeta[]): Promise<void> {
    if (metas.length === 0) return
    await this.db.batch(metas.map((m) => ({ type: 'del' as const, key: segKey(m.camera, m.from) })))
    const gone = new Set(metas.map((m) => `${m.camera}!${m.from}`))
    for (const [camera, list] of this.segs) this.segs.set(camera, list.filter((m) => !gone.has(`${camera}!${m.from}`)))
  }

  /** Full records of a camera's segments overlapping [from, to), oldest first. */
  async segmentsIn(camera: string, from: number, to: number): Promise<SegmentRecord[]> {
    const out: SegmentRecord[] = []
    for await (const value of this.db.values({ gte: segKey(camera, from - MAX_SEGMENT_MS), lt: segKey(camera, to) })) {
      const r = JSON.parse(value) as SegmentRecord
      if (r.to > from) out.push(r)
    }
    return out
  }

  allSegments(): SegmentMeta[] {
    return [...this.segs.values()].flat()
  }

  segmentsOf(camera: string): readonly SegmentMeta[] {
    return this.segs.get(camera) ?? []
  }

  async hasSegment(camera: string, from: number): Promise<boolean> {
    return (await this.db.get(segKey(camera, from))) !== undefined
  }

  async putClip(c: StoredClip): Promise<void> {
    // Evidence: on disk before the caller is told it is kept.
    await this.db.put(clipKey(c.id), JSON.stringify(c), { sync: true })
    this.clipMap.set(c.id, c)
  }

  async deleteClips(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return
    await this.db.batch(ids.map((id) => ({ type: 'del' as const, key: clipKey(id) })))
    for (const id of ids) this.clipMap.delete(id)
  }

  clips(): StoredClip[] {
    return [...this.clipMap.values()]
  }

  close(): Promise<void> {
    return this.db.close()
  }
}
