/**
 * One camera's recorder: a viewer of the camera's live channel
 * (common/live/channel.ts), so recording and live view share one ffmpeg and
 * one RTSP session per camera (counter cameras often allow only two or three)
 * and inherit the remuxer's watchdog, restarts and reaping
 * (edge/live/remuxer.ts). The fragments (`-c copy`, each keyframe starts one)
 * are appended to `<from>.mp4.part` a second's worth at a time, behind the
 * run's init segment; every `segmentMs` the next keyframe closes the file, which is
 * renamed to `<from>.mp4` and indexed. A crash leaves a `.part` holding whole
 * fragments but perhaps a torn last one: recovery (recover.ts) keeps the
 * readable prefix or deletes it, and nothing unindexed is ever served.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, open, rename, rm, truncate, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from '../../common/log.js'
import type { Viewer } from '../../common/live/channel.js'
import { childBoxes, startsWithKeyframe } from '../../common/live/fmp4.js'
import { fragmentTime, trackInfo, type TrackInfo } from './fragment.js'
import type { SegmentRecord } from './store.js'

/** A segment starting within this of the previous one's end, in the same run, is joined to it exactly. */
export const CONTIGUOUS_MS = 1000

/**
 * Fragments (100 ms each from the live remux) are written a second's worth at
 * a time: a tenth of the writes, for at most this much video lost to a crash.
 */
const WRITE_EVERY_MS = 1000

export interface WriterOptions {
  camera: string
  /** The camera's folder of segment files. */
  dir: string
  segmentMs: number
  now(): number
  log: Logger
  /** False while recording is paused (disk short of its reserve, budget full of kept clips). */
  canWrite(): boolean
  /** A finished, renamed segment to index. */
  onSegment(r: SegmentRecord): Promise<void>
  /** A write failed (ENOSPC...): the segment was closed on its last whole fragment. */
  onWriteError(err: Error): void
}

interface Open {
  part: string
  fh: Promise<FileHandle>
  /** Appends in order; each resolves once written. */
  chain: Promise<void>
  /** Bytes known written, from the start of the file: always the end of a whole fragment. */
  written: number
  /** Decode time at the end of the last fragment written. */
  writtenEnd: number
  failed: Error | null
  firstStart: number
  mediaEnd: number
  lastArrival: number
  keys: [number, number][]
  bytes: number
  /** Fragments not yet handed to the disk, and the decode time they end at. */
  held: Buffer[]
  heldEnd: number
  heldSince: number
}

export class SegmentWriter implements Viewer {
  private initSeg: Buffer | null = null
  private track: TrackInfo | null = null
  private run = ''
  private cur: Open | null = null
  private pending = 0
  private closing: Promise<void> = Promise.resolve()
  /** End of the last segment of the current run, to join the next one exactly. */
  private lastTo: number | null = null
  private readonly log: Logger
  segments = 0
  lastSegmentAt: number | null = null

  constructor(private readonly o: WriterOptions) {
    this.log = o.log.child({ module: 'recording', camera: o.camera })
  }

  init(_codec: string | null, data: Buffer): void {
    this.close()
    this.initSeg = data
    this.track = trackInfo(data)
    this.run = randomBytes(6).toString('hex')
    this.lastTo = null
    if (!this.track) this.log.warn({}, 'init segment without a readable track; not recording this run')
  }

  fragment(data: Buffer): void {
    if (!this.initSeg || !this.track) return
    const moof = childBoxes(data)[0]
    if (moof?.type !== 'moof') return
    const keyframe = startsWithKeyframe(moof.data)
    const time = fragmentTime(data, this.track)
    const arrival = this.o.now()
    const cur = this.cur
    if (cur && (cur.failed || (keyframe && ((time.start - cur.firstStart) / this.track.timescale) * 1000 >= this.o.segmentMs))) this.close()
    if (!this.o.canWrite()) return this.close()
    if (!this.cur) {
      // A segment starts on a keyframe, so every file plays from its first byte.
      if (!keyframe) return
      this.cur = this.openSegment(arrival - (time.duration / this.track.timescale) * 1000, time.start)
    }
    this.append(this.cur, data, keyframe, time.start, time.start + time.duration, arrival)
  }

  interrupted(reason: string): void {
    this.log.info({ reason }, 'stream interrupted; closing the segment')
    this.close()
    this.initSeg = null
    this.track = null
  }

  backlog(): number {
    return this.pending
  }

  /** Closes the open segment (if any) and resolves once every segment closed so far is indexed. */
  flush(): Promise<void> {
    this.close()
    return this.closing
  }

  private openSegment(provisionalFrom: number, firstStart: number): Open {
    const from = Math.round(provisionalFrom)
    const part = join(this.o.dir, `${from}.mp4.part`)
    const init = this.initSeg as Buffer
    const fh = mkdir(this.o.dir, { recursive: true }).then(() => open(part, 'w'))
    const seg: Open = {
      part, fh, chain: Promise.resolve(), written: 0, writtenEnd: firstStart, failed: null, firstStart, mediaEnd: firstStart,
      lastArrival: from, keys: [], bytes: init.length, held: [], heldEnd: firstStart, heldSince: firstStart,
    }
    this.write(seg, init, firstStart)
    return seg
  }

  private append(seg: Open, data: Buffer, keyframe: boolean, start: number, end: number, arrival: number): void {
    if (keyframe) seg.keys.push([seg.bytes, Math.round(((start - seg.firstStart) / (this.track as TrackInfo).timescale) * 1000)])
    seg.bytes += data.length
    seg.mediaEnd = end
    seg.lastArrival = arrival
    seg.held.push(data)
    seg.heldEnd = end
    this.pending += data.length
    if (((end - seg.heldSince) / (this.track as TrackInfo).timescale) * 1000 >= WRITE_EVERY_MS) this.release(seg)
  }

  /** Hands the held fragments to the disk in one write. */
  private release(seg: Open): void {
    if (seg.held.length === 0) return
    const data = Buffer.concat(seg.held)
    this.pending -= data.length
    seg.held = []
    seg.heldSince = seg.heldEnd
    this.write(seg, data, seg.heldEnd)
  }

  private write(seg: Open, data: Buffer, end: number): void {
    this.pending += data.length
    seg.chain = seg.chain.then(async () => {
      try {
        if (seg.failed) return
        const fh = await seg.fh
        await fh.write(data, 0, data.length, seg.written)
        seg.written += data.length
        seg.writtenEnd = end
      } catch (err) {
        if (!seg.failed) {
          seg.failed = err as Error
          this.o.onWriteError(err as Error)
        }
      } finally {
        this.pending -= data.length
      }
    })
  }

  private close(): void {
    const seg = this.cur
    if (!seg) return
    this.cur = null
    this.release(seg)
    const track = this.track as TrackInfo
    const run = this.run
    const init = this.initSeg as Buffer
    const durationMs = ((seg.mediaEnd - seg.firstStart) / track.timescale) * 1000
    // The last fragment is whole when it arrives: by the edge's clock the segment ends then and starts its media length before.
    // Within a run it follows the previous one exactly, so wall and media time stay in step; a camera clock
    // drifting more than CONTIGUOUS_MS from the edge's re-anchors it.
    const byArrival = Math.round(seg.lastArrival - durationMs)
    const from = this.lastTo !== null && Math.abs(byArrival - this.lastTo) <= CONTIGUOUS_MS ? this.lastTo : byArrival
    const to = Math.round(from + durationMs)
    this.lastTo = to
    this.closing = this.closing.then(() => this.finish(seg, { from, to, run, initBytes: init.length, timescale: track.timescale }))
  }

  private async finish(seg: Open, t: { from: number; to: number; run: string; initBytes: number; timescale: number }): Promise<void> {
    await seg.chain
    const fh = await seg.fh.catch(() => null)
    await fh?.close().catch(() => undefined)
    // A failed write leaves the whole fragments before it (a torn one is cut off); a segment of its init alone is nothing.
    if (seg.failed) await truncate(seg.part, seg.written).catch(() => undefined)
    const keys = seg.keys.filter(([offset]) => offset < seg.written)
    const to = seg.failed ? Math.round(t.from + ((seg.writtenEnd - seg.firstStart) / t.timescale) * 1000) : t.to
    if (keys.length === 0 || to <= t.from) {
      await rm(seg.part, { force: true })
      return
    }
    const file = `${t.from}.mp4`
    try {
      await rename(seg.part, join(this.o.dir, file))
      await this.o.onSegment({
        camera: this.o.camera, from: t.from, to, bytes: seg.written, file, run: t.run,
        initBytes: t.initBytes, timescale: t.timescale, mediaStart: seg.firstStart, keys,
      })
      this.segments++
      this.lastSegmentAt = t.to
    } catch (err) {
      this.log.warn({ err: (err as Error).message, file }, 'segment not indexed; recovery will look at it on the next start')
    }
  }
}
