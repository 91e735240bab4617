/**
 * The few ISO-BMFF fields recording needs beyond the live splitter
 * (common/live/fmp4.ts): a track's timescale, each fragment's decode time
 * and duration, the decode time rewritten so that a clip starts at zero, and
 * the readable prefix of a segment file cut short by a crash. Pure: no I/O.
 * Field layouts: ISO/IEC 14496-12 8.4.2 (mdhd), 8.8.3 (trex), 8.8.7 (tfhd),
 * 8.8.8 (trun), 8.8.12 (tfdt).
 */
import { child, childBoxes, payloadOf, type Box } from '../../common/live/fmp4.js'

export interface TrackInfo {
  timescale: number
  /** trex default_sample_duration: used when neither trun nor tfhd carries one. */
  defaultDuration: number
}

export interface FragmentTime {
  /** baseMediaDecodeTime, in the track's timescale. */
  start: number
  /** Sum of the fragment's sample durations, in the track's timescale. */
  duration: number
}

const path = (box: Box | undefined, types: string[]): Box | undefined => types.reduce<Box | undefined>((b, t) => (b ? child(b, t) : undefined), box)

/** Timescale and default sample duration of the (single video) track of an init segment; null when it has none. */
export function trackInfo(init: Buffer): TrackInfo | null {
  const moov = childBoxes(init).find((b) => b.type === 'moov')
  const mdhd = path(moov, ['trak', 'mdia', 'mdhd'])
  if (!mdhd) return null
  const m = payloadOf(mdhd)
  const timescale = m.readUInt32BE(m[0] === 1 ? 20 : 12)
  if (timescale <= 0) return null
  const trex = path(moov, ['mvex', 'trex'])
  return { timescale, defaultDuration: trex ? payloadOf(trex).readUInt32BE(12) : 0 }
}

/** Decode time and duration of one fragment (moof + mdat). */
export function fragmentTime(fragment: Buffer, track: TrackInfo): FragmentTime {
  const moof = childBoxes(fragment).find((b) => b.type === 'moof')
  const traf = moof && child(moof, 'traf')
  if (!traf) throw new RangeError('fragment without moof/traf')
  const kids = childBoxes(payloadOf(traf))
  const tfdt = kids.find((b) => b.type === 'tfdt')
  if (!tfdt) throw new RangeError('fragment without tfdt')
  const t = payloadOf(tfdt)
  const start = t[0] === 1 ? Number(t.readBigUInt64BE(4)) : t.readUInt32BE(4)
  let defaultDuration = track.defaultDuration
  const tfhd = kids.find((b) => b.type === 'tfhd')
  if (tfhd) {
    const h = payloadOf(tfhd)
    const hf = h.readUInt32BE(0) & 0xffffff
    if (hf & 0x8) defaultDuration = h.readUInt32BE(8 + (hf & 0x1 ? 8 : 0) + (hf & 0x2 ? 4 : 0))
  }
  let duration = 0
  for (const trun of kids.filter((b) => b.type === 'trun')) {
    const r = payloadOf(trun)
    const flags = r.readUInt32BE(0) & 0xffffff
    const count = r.readUInt32BE(4)
    if (!(flags & 0x100)) {
      duration += count * defaultDuration
      continue
    }
    let at = 8 + (flags & 0x1 ? 4 : 0) + (flags & 0x4 ? 4 : 0)
    const entry = 4 + (flags & 0x200 ? 4 : 0) + (flags & 0x400 ? 4 : 0) + (flags & 0x800 ? 4 : 0)
    for (let i = 0; i < count && at + 4 <= r.length; i++, at += entry) duration += r.readUInt32BE(at)
  }
  return { start, duration }
}

/**
 * Copy of a fragment with its decode time moved back by `by` (timescale units),
 * so a clip cut from the middle of a recording starts at 0 in every player.
 */
export function shiftFragment(fragment: Buffer, by: number): Buffer {
  const out = Buffer.from(fragment)
  const moof = childBoxes(out).find((b) => b.type === 'moof')
  const traf = moof && child(moof, 'traf')
  const tfdt = traf && child(traf, 'tfdt')
  if (!tfdt) throw new RangeError('fragment without tfdt')
  const t = payloadOf(tfdt)
  if (t[0] === 1) t.writeBigUInt64BE(t.readBigUInt64BE(4) - BigInt(by), 4)
  else t.writeUInt32BE(t.readUInt32BE(4) - by, 4)
  return out
}

export interface ReadablePrefix {
  /** ftyp + moov bytes. */
  initBytes: number
  /** Bytes of the init and every complete moof + mdat pair after it. */
  bytes: number
  /** Start offsets of the complete fragments. */
  fragments: number[]
}

/**
 * What survives of a segment file a crash cut short: the init segment and the
 * whole fragments after it. A torn last box, or a moof without its mdat, is
 * left out; null when not even the init segment is whole.
 */
export function readablePrefix(file: Buffer): ReadablePrefix | null {
  const boxes = childBoxes(file)
  const moovAt = boxes.findIndex((b) => b.type === 'moov')
  if (moovAt < 0) return null
  const offsetOf = (b: Box) => b.data.byteOffset - file.byteOffset
  const initBytes = offsetOf(boxes[moovAt]!) + boxes[moovAt]!.data.length
  let bytes = initBytes
  const fragments: number[] = []
  let moof: Box | null = null
  for (const b of boxes.slice(moovAt + 1)) {
    if (b.type === 'moof') moof = b
    else if (b.type === 'mdat' && moof) {
      fragments.push(offsetOf(moof))
      bytes = offsetOf(b) + b.data.length
      moof = null
    }
  }
  return { initBytes, bytes, fragments }
}
