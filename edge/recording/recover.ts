/**
 * At start, before anything is served: a `.part` left by a crash (SIGKILL,
 * power cut) is cut back to its init segment and whole fragments, checked
 * with ffprobe and indexed, or deleted; a finished file the index missed is
 * indexed the same way; an index entry whose file is gone is dropped. So the
 * index names only files ffprobe could read.
 */
import { execFile } from 'node:child_process'
import { readdir, readFile, rename, rm, truncate } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { startsWithKeyframe } from '../../common/live/fmp4.js'
import type { Logger } from '../../common/log.js'
import { fragmentTime, readablePrefix, trackInfo } from './fragment.js'
import type { RecordingStore, SegmentRecord } from './store.js'

const run = promisify(execFile)

export interface RecoveryReport {
  salvaged: number
  discarded: number
  dropped: number
}

/** True when ffprobe reads every packet of the file's video without an error. */
export async function probeReadable(file: string, ffprobePath = 'ffprobe'): Promise<boolean> {
  try {
    const { stdout, stderr } = await run(ffprobePath, [
      '-v', 'error', '-select_streams', 'v:0', '-count_packets', '-show_entries', 'stream=nb_read_packets', '-of', 'csv=p=0', file,
    ], { timeout: 30_000 })
    return stderr.trim() === '' && Number(stdout.trim()) > 0
  } catch {
    return false
  }
}

/** The index record of a segment file, from its bytes; null when nothing in it is readable. */
export function describeSegment(camera: string, from: number, file: string, bytes: Buffer): (SegmentRecord & { keep: number }) | null {
  const prefix = readablePrefix(bytes)
  if (!prefix || prefix.fragments.length === 0) return null
  const track = trackInfo(bytes.subarray(0, prefix.initBytes))
  if (!track) return null
  const ends = [...prefix.fragments.slice(1), prefix.bytes]
  let firstStart = -1
  let end = 0
  const keys: [number, number][] = []
  prefix.fragments.forEach((at, i) => {
    const frag = bytes.subarray(at, ends[i])
    const t = fragmentTime(frag, track)
    if (firstStart < 0) firstStart = t.start
    end = t.start + t.duration
    const moofSize = frag.readUInt32BE(0)
    if (startsWithKeyframe(frag.subarray(0, moofSize))) keys.push([at, Math.round(((t.start - firstStart) / track.timescale) * 1000)])
  })
  if (keys.length === 0 || keys[0]![0] !== prefix.initBytes) return null
  const to = Math.round(from + ((end - firstStart) / track.timescale) * 1000)
  if (to <= from) return null
  return {
    camera, from, to, bytes: prefix.bytes, file, run: `recovered-${from}`, initBytes: prefix.initBytes, timescale: track.timescale,
    mediaStart: firstStart, keys, keep: prefix.bytes,
  }
}

export async function recoverCamera(o: { camera: string; dir: string; store: RecordingStore; log: Logger; ffprobePath?: string }): Promise<RecoveryReport> {
  const report: RecoveryReport = { salvaged: 0, discarded: 0, dropped: 0 }
  const names = await readdir(o.dir).catch(() => [] as string[])
  const onDisk = new Set(names)
  for (const name of names) {
    const m = /^(\d+)\.mp4(\.part)?$/.exec(name)
    if (!m) continue
    const from = Number(m[1])
    const partial = m[2] !== undefined
    if (!partial && (await o.store.hasSegment(o.camera, from))) continue
    const path = join(o.dir, name)
    const file = `${from}.mp4`
    const rec = describeSegment(o.camera, from, file, await readFile(path))
    if (rec) await truncate(path, rec.keep)
    if (!rec || !(await probeReadable(path, o.ffprobePath))) {
      o.log.warn({ camera: o.camera, file: name }, 'unreadable segment left by a crash; deleted')
      await rm(path, { force: true })
      report.discarded++
      continue
    }
    if (partial) await rename(path, join(o.dir, file))
    const { keep: _keep, ...record } = rec
    await o.store.putSegment(record)
    o.log.info({ camera: o.camera, file, ms: rec.to - rec.from }, 'segment left by a crash recovered')
    report.salvaged++
  }
  const missing = o.store.segmentsOf(o.camera).filter((s) => !onDisk.has(`${s.from}.mp4`) && !onDisk.has(`${s.from}.mp4.part`))
  await o.store.deleteSegments(missing)
  report.dropped = missing.length
  return report
}
