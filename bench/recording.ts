/**
 * Recording benchmark (issue 17): N simulated cameras recorded by the edge's
 * recorder on its live channels (one ffmpeg `-c copy` remux per camera, the
 * one live view uses too). Measured over three windows (the simulators alone,
 * the live channels kept warm, recording too): the remux ffmpeg's CPU per
 * camera, the live channel's and the recorder's CPU in this process, disk bytes per camera-hour at
 * the simulator's bitrate, frames missing at segment boundaries (ffprobe
 * decode times across every pair of consecutive segments), and the edge's
 * time to the first byte of a one-minute clip.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { promisify } from 'node:util'
import { createLogger } from '../common/log.js'
import { startCameraSim, type CameraSim } from '../devices/camera-sim/index.js'
import type { EdgeConfig } from '../edge/config/schema.js'
import { livePids } from '../edge/live/reaper.js'
import { createLiveService } from '../edge/live/service.js'
import { startRecording } from '../edge/recording/service.js'
import { processUsage } from './lib/sampler.js'

const run = promisify(execFile)

export interface RecordingBenchResult {
  cameras: number
  windowS: number
  loadAverage: number[]
  /** Remux ffmpeg per camera, shared with live view. */
  ffmpegCpuPercentEach: number
  /** The live channel's share of the edge process (reading ffmpeg, cutting fragments), per camera: paid by a warm camera anyway. */
  liveNodeCpuPercentEach: number
  /** What recording adds in the edge process (segment files, index), per camera. */
  recorderCpuPercentEach: number
  /** All three: a camera recorded that nobody would otherwise keep warm. */
  cpuPercentEach: number
  bytesPerCameraHour: number
  bitrateKbps: number
  boundaries: number
  framesMissing: number
  clipFirstByteMs: number
}

/** Decode times of a segment file's video packets. */
async function dts(file: string): Promise<number[]> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=dts', '-of', 'csv=p=0', file], { maxBuffer: 64e6 })
  return stdout.trim().split('\n').filter(Boolean).map(Number)
}

const round2 = (n: number) => Math.round(n * 100) / 100

export async function benchRecording(o: { cameras: number; windowS: number; log: (s: string) => void }): Promise<RecordingBenchResult> {
  const log = createLogger('bench-recording')
  const dir = mkdtempSync(join(tmpdir(), 'motcua-bench-recording-'))
  const sims: CameraSim[] = []
  try {
    for (let i = 0; i < o.cameras; i++) sims.push(await startCameraSim({ discovery: false }))
    const url = (sim: CameraSim) => sim.rtspUrl.replace('rtsp://', `rtsp://${sim.user}:${encodeURIComponent(sim.password)}@`)
    const cameras: EdgeConfig['cameras'] = sims.map((sim, i) => ({ id: `cam-${i + 1}`, name: `Quầy ${i + 1}`, onvif: sim.onvifUrl, username: sim.user, recording: 'continuous' }))
    const simOf = new Map(cameras.map((c, i) => [c.id, sims[i]!]))

    // This process's CPU (percent of a core) over a window, and the live ffmpegs' over the same window.
    const measure = async (): Promise<{ node: number; ffmpeg: number[] }> => {
      const from = process.cpuUsage()
      const t0 = Date.now()
      const usage = await processUsage(livePids(), o.windowS * 1000)
      const used = process.cpuUsage(from)
      return { node: ((used.user + used.system) / 1000 / (Date.now() - t0)) * 100, ffmpeg: usage.map((u) => u.cpuPercent) }
    }
    const waitUntil = async (what: string, check: () => boolean): Promise<void> => {
      const deadline = Date.now() + 90_000
      while (!check()) {
        if (Date.now() > deadline) throw new Error(`${what} within 90 s`)
        await new Promise((r) => setTimeout(r, 500))
      }
    }
    // 1. The simulators alone; 2. each camera's live channel kept warm (the edge's default, liveWarm); 3. recording too.
    const idle = await measure()
    const live = createLiveService({ log, streamUrl: (id) => url(simOf.get(id)!) })
    for (const c of cameras) live.warm(c.id, true)
    await waitUntil('no live stream', () => cameras.every((c) => live.delivering(c.id, 2000)))
    o.log(`${o.cameras} camera(s) warm; measuring ${o.windowS} s`)
    const warm = await measure()
    const recording = await startRecording({
      cameras, live, log, now: Date.now,
      options: { dir, segmentS: 10, ringDays: 7, maxBytes: 1e11, minFreeBytes: 0, preRollS: 30, postRollS: 30, keepDays: { rating: 90, tamper: 90, motion: 30, manual: 90 } },
    })
    try {
      await waitUntil('no segment', () => Object.values(recording.status().cameras).every((c) => c.segments >= 1))
      o.log(`${o.cameras} camera(s) recording; measuring ${o.windowS} s`)
      const busy = await measure()
      if (busy.ffmpeg.length !== o.cameras) throw new Error(`expected ${o.cameras} live ffmpeg processes, found ${busy.ffmpeg.length}`)
      const ffmpegEach = busy.ffmpeg.reduce((n, c) => n + c, 0) / o.cameras
      const liveNodeEach = Math.max(0, warm.node - idle.node) / o.cameras
      // The difference of two windows: below zero when the recorder's cost is under the noise between them.
      const recorderEach = (busy.node - warm.node) / o.cameras

      let bytes = 0
      let ms = 0
      let boundaries = 0
      let framesMissing = 0
      for (const cam of cameras) {
        const spans = await recording.timeline(cam.id, 0, Date.now() + 60_000)
        for (const s of spans) {
          bytes += s.bytes
          ms += s.to - s.from
        }
        const files = readdirSync(join(dir, 'video', cam.id)).filter((f) => f.endsWith('.mp4')).sort()
        const perFile = await Promise.all(files.map((f) => dts(join(dir, 'video', cam.id, f))))
        const inside = perFile.flatMap((d) => d.slice(1).map((t, k) => t - d[k]!))
        const frame = [...inside].sort((a, b) => a - b)[inside.length >> 1]!
        for (let i = 1; i < perFile.length; i++) {
          const step = perFile[i]![0]! - perFile[i - 1]!.at(-1)!
          // A restart between two segments is a new run, not a boundary of one.
          if (step < 0 || step > 100 * frame) continue
          boundaries++
          framesMissing += Math.max(0, Math.round(step / frame) - 1)
        }
      }

      const spans = await recording.timeline('cam-1', 0, Date.now())
      const last = spans.at(-1)!
      const t1 = Date.now()
      const clip = await recording.openClip('cam-1', Math.max(last.from, last.to - 60_000), last.to)
      if (!clip) throw new Error('no clip of the recorded minute')
      await new Promise<void>((resolve, reject) => {
        clip.stream.once('data', () => resolve())
        clip.stream.once('error', reject)
      })
      const clipFirstByteMs = Date.now() - t1
      ;(clip.stream as Readable).destroy()

      const bytesPerCameraHour = (bytes / ms) * 3_600_000
      return {
        cameras: o.cameras, windowS: o.windowS, loadAverage: loadavg().map(round2),
        ffmpegCpuPercentEach: round2(ffmpegEach), liveNodeCpuPercentEach: round2(liveNodeEach), recorderCpuPercentEach: round2(recorderEach),
        cpuPercentEach: round2(ffmpegEach + liveNodeEach + Math.max(0, recorderEach)),
        bytesPerCameraHour: Math.round(bytesPerCameraHour), bitrateKbps: Math.round((bytesPerCameraHour * 8) / 3600 / 1000),
        boundaries, framesMissing, clipFirstByteMs,
      }
    } finally {
      await recording.stop()
      await live.stop()
    }
  } finally {
    await Promise.all(sims.map((s) => s.stop()))
    rmSync(dir, { recursive: true, force: true })
  }
}
