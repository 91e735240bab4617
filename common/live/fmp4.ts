/**
 * Just enough ISO-BMFF to serve fragmented MP4 to Media Source Extensions:
 * cut ffmpeg's byte stream into top-level boxes, keep the init segment
 * (ftyp + moov) for late joiners, group moof + mdat into media segments, and
 * tell which segments start with a keyframe (a late joiner must start there).
 * Pure: no I/O.
 */

export interface Box {
  type: string
  /** The whole box, header included. */
  data: Buffer
}

export type Fmp4Piece = { kind: 'init'; data: Buffer; codec: string | null } | { kind: 'segment'; data: Buffer; keyframe: boolean }

/** Boxes larger than this are refused: a live fragment of a camera stream is a few hundred KB at most. */
const MAX_BOX_BYTES = 16 * 1024 * 1024

function boxSize(buf: Buffer, at: number): { size: number; header: number } | null {
  if (buf.length - at < 8) return null
  const size32 = buf.readUInt32BE(at)
  if (size32 === 1) {
    if (buf.length - at < 16) return null
    return { size: Number(buf.readBigUInt64BE(at + 8)), header: 16 }
  }
  // size 0 ("to end of file") cannot occur in a live fragmented stream.
  return { size: size32, header: 8 }
}

/** Children of a container box's payload. */
export function childBoxes(payload: Buffer): Box[] {
  const out: Box[] = []
  let at = 0
  while (at + 8 <= payload.length) {
    const s = boxSize(payload, at)
    if (!s || s.size < s.header || at + s.size > payload.length) break
    out.push({ type: payload.toString('latin1', at + 4, at + 8), data: payload.subarray(at, at + s.size) })
    at += s.size
  }
  return out
}

export const payloadOf = (box: Box): Buffer => box.data.subarray(box.data.readUInt32BE(0) === 1 ? 16 : 8)
export const child = (box: Box, type: string): Box | undefined => childBoxes(payloadOf(box)).find((b) => b.type === type)

/** RFC 6381 codec string ("avc1.42c01e") from the avcC box of an init segment, for MediaSource.isTypeSupported. */
export function codecOf(init: Buffer): string | null {
  const moov = childBoxes(init).find((b) => b.type === 'moov')
  const trak = moov && child(moov, 'trak')
  const stsd = trak && ['mdia', 'minf', 'stbl', 'stsd'].reduce<Box | undefined>((b, t) => (b ? child(b, t) : undefined), trak)
  if (!stsd) return null
  // stsd: version/flags (4) + entry count (4), then sample entries.
  const entries = childBoxes(payloadOf(stsd).subarray(8))
  const avc1 = entries.find((e) => e.type === 'avc1' || e.type === 'avc3')
  if (!avc1) return null
  // VisualSampleEntry has 78 bytes of fixed fields before its child boxes.
  const avcC = childBoxes(payloadOf(avc1).subarray(78)).find((b) => b.type === 'avcC')
  if (!avcC) return null
  const p = payloadOf(avcC)
  if (p.length < 4) return null
  return `${avc1.type}.${p.subarray(1, 4).toString('hex')}`
}

const NON_SYNC = 0x10000

/** True when the first sample of a moof's first track run is a sync sample (keyframe). */
export function startsWithKeyframe(moof: Buffer): boolean {
  const traf = childBoxes(moof.subarray(8)).find((b) => b.type === 'traf')
  if (!traf) return false
  const kids = childBoxes(payloadOf(traf))
  const tfhd = kids.find((b) => b.type === 'tfhd')
  const trun = kids.find((b) => b.type === 'trun')
  if (!trun) return false
  const t = payloadOf(trun)
  const flags = t.readUInt32BE(0) & 0xffffff
  let at = 8 // version/flags + sample_count
  if (flags & 0x1) at += 4 // data_offset
  if (flags & 0x4) return (t.readUInt32BE(at) & NON_SYNC) === 0
  if (flags & 0x400) {
    const before = (flags & 0x100 ? 4 : 0) + (flags & 0x200 ? 4 : 0)
    return (t.readUInt32BE(at + before) & NON_SYNC) === 0
  }
  if (tfhd) {
    const h = payloadOf(tfhd)
    const hf = h.readUInt32BE(0) & 0xffffff
    if (hf & 0x20) {
      const o = 8 + (hf & 0x1 ? 8 : 0) + (hf & 0x2 ? 4 : 0) + (hf & 0x8 ? 4 : 0) + (hf & 0x10 ? 4 : 0)
      return (h.readUInt32BE(o) & NON_SYNC) === 0
    }
  }
  // No flags anywhere means every sample is a sync sample (ISO/IEC 14496-12 8.8.3).
  return true
}

/**
 * Incremental splitter: feed it ffmpeg's stdout chunks, get back the init
 * segment once and then one media segment per moof + mdat pair.
 */
export class Fmp4Splitter {
  private pending: Buffer = Buffer.alloc(0)
  private initParts: Buffer[] = []
  private moof: Buffer | null = null
  private initDone = false

  push(chunk: Buffer): Fmp4Piece[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk
    const out: Fmp4Piece[] = []
    let at = 0
    for (;;) {
      const s = boxSize(this.pending, at)
      if (!s) break
      if (s.size < s.header || s.size > MAX_BOX_BYTES) throw new RangeError(`unusable MP4 box size ${s.size}`)
      if (this.pending.length - at < s.size) break
      const type = this.pending.toString('latin1', at + 4, at + 8)
      const data = Buffer.from(this.pending.subarray(at, at + s.size))
      at += s.size
      this.take(type, data, out)
    }
    this.pending = this.pending.subarray(at)
    return out
  }

  private take(type: string, data: Buffer, out: Fmp4Piece[]): void {
    if (!this.initDone) {
      this.initParts.push(data)
      if (type === 'moov') {
        const init = Buffer.concat(this.initParts)
        this.initParts = []
        this.initDone = true
        out.push({ kind: 'init', data: init, codec: codecOf(init) })
      }
      return
    }
    if (type === 'moof') this.moof = data
    else if (type === 'mdat' && this.moof) {
      out.push({ kind: 'segment', data: Buffer.concat([this.moof, data]), keyframe: startsWithKeyframe(this.moof) })
      this.moof = null
    }
    // styp, sidx, mfra and the like carry nothing MSE needs from a live stream.
  }
}
