/**
 * A clip as one fragmented MP4 without ffmpeg: the run's init segment, then
 * the fragments from the keyframe at or before `from` to the first keyframe at
 * or after `to`, read from consecutive segments of one ffmpeg run (they share
 * the init segment and a continuous decode time), with decode times moved so
 * the clip starts at 0. It stops early at a gap or a restart of the stream;
 * the range it returns says what it holds. First bytes go out as soon as the
 * first segment is read: no process to start, no transcoding.
 */
import { open } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { childBoxes } from '../../common/live/fmp4.js'
import { fragmentTime, shiftFragment } from './fragment.js'
import type { SegmentRecord } from './store.js'
import { CONTIGUOUS_MS } from './writer.js'

export const MAX_CLIP_MS = 10 * 60_000

interface Piece {
  rec: SegmentRecord
  start: number
  end: number
}

/** Which byte ranges of which segments make the clip, and the range it covers; null when nothing is recorded in it. */
export function planClip(records: readonly SegmentRecord[], from: number, to: number): { pieces: Piece[]; from: number; to: number } | null {
  const until = Math.min(to, from + MAX_CLIP_MS)
  const first = records.findIndex((r) => r.to > from && r.from < until)
  if (first < 0) return null
  const pieces: Piece[] = []
  let clipFrom = 0
  let clipTo = 0
  for (let i = first; i < records.length; i++) {
    const r = records[i]!
    const prev = pieces.at(-1)?.rec
    if (r.from >= until) break
    if (prev && (r.run !== prev.run || r.from - prev.to > CONTIGUOUS_MS)) break
    let start = r.initBytes
    let startMs = 0
    if (!prev) {
      // The keyframe at or before `from`.
      for (const [offset, ms] of r.keys) if (r.from + ms <= from) [start, startMs] = [offset, ms]
      clipFrom = r.from + startMs
    }
    const stop = r.keys.find(([, ms]) => r.from + ms >= until && r.from + ms > r.from + startMs)
    pieces.push({ rec: r, start, end: stop ? stop[0] : r.bytes })
    clipTo = stop ? r.from + stop[1] : r.to
    if (stop) break
  }
  return { pieces, from: clipFrom, to: clipTo }
}

async function readRange(path: string, start: number, end: number): Promise<Buffer> {
  const fh = await open(path, 'r')
  try {
    const buf = Buffer.alloc(end - start)
    const { bytesRead } = await fh.read(buf, 0, buf.length, start)
    return buf.subarray(0, bytesRead)
  } finally {
    await fh.close()
  }
}

/** The clip's bytes, segment by segment. `dirOf` gives a camera's folder of segment files. */
export function clipStream(pieces: Piece[], dirOf: (camera: string) => string): Readable {
  async function* bytes(): AsyncGenerator<Buffer> {
    let shift: number | null = null
    for (const [i, p] of pieces.entries()) {
      const path = join(dirOf(p.rec.camera), p.rec.file)
      if (i === 0) yield await readRange(path, 0, p.rec.initBytes)
      const body = await readRange(path, p.start, p.end)
      const out: Buffer[] = []
      let moof: Buffer | null = null
      for (const box of childBoxes(body)) {
        if (box.type === 'moof') moof = box.data
        else if (box.type === 'mdat' && moof) {
          const fragment = Buffer.concat([moof, box.data])
          moof = null
          shift ??= fragmentTime(fragment, { timescale: p.rec.timescale, defaultDuration: 0 }).start
          out.push(shiftFragment(fragment, shift))
        }
      }
      yield Buffer.concat(out)
    }
  }
  return Readable.from(bytes(), { objectMode: false })
}
