/** Shared parts of the recording tests: a recording camera's config, the recorder on a real live service, ffprobe readers. */
import { execFile } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { createLogger } from '../../common/log.js'
import type { CameraSim } from '../../devices/camera-sim/index.js'
import { blockFrame } from '../../devices/camera-sim/moving-block.js'
import type { EdgeConfig } from '../../edge/config/schema.js'
import { createLiveService, type LiveService } from '../../edge/live/service.js'
import { startRecording, type Recording, type RecordingDeps } from '../../edge/recording/service.js'

const run = promisify(execFile)
export const log = createLogger('test')

export const tempDir = (name: string): string => mkdtempSync(join(tmpdir(), `motcua-${name}-`))

export const simUrl = (sim: CameraSim): string => sim.rtspUrl.replace('rtsp://', `rtsp://${sim.user}:${encodeURIComponent(sim.password)}@`)

export const camera = (sim: CameraSim, recording: 'continuous' | 'events' = 'continuous'): EdgeConfig['cameras'][number] => ({
  id: 'cam-1', name: 'Quầy 1', onvif: sim.onvifUrl, username: sim.user, password: sim.password, counter: 'c-1', counters: ['c-2'], recording,
})

export const options = (dir: string, over: Partial<EdgeConfig['recordingOptions']> = {}): EdgeConfig['recordingOptions'] => ({
  dir, segmentS: 2, ringDays: 7, maxBytes: 1e10, minFreeBytes: 0, preRollS: 4, postRollS: 4,
  keepDays: { rating: 90, tamper: 90, motion: 30, manual: 90 }, ...over,
})

export interface Stack {
  live: LiveService
  recording: Recording
  stop(): Promise<void>
}

/** The recorder attached to a real live service (one ffmpeg remux) of the simulated camera. */
export async function startStack(sim: CameraSim, deps: Omit<RecordingDeps, 'live' | 'log' | 'cameras'> & { cameras?: RecordingDeps['cameras'] }): Promise<Stack> {
  const live = createLiveService({ log, streamUrl: () => simUrl(sim), tuning: { backoffMinMs: 200, backoffMaxMs: 1000 } })
  const recording = await startRecording({ cameras: [camera(sim)], checkMs: 200, ...deps, live, log })
  return {
    live,
    recording,
    async stop() {
      await recording.stop()
      await live.stop()
    },
  }
}

/** Every video packet of a file: decode time (stream time base), duration and keyframe flag, by ffprobe. */
export async function packets(file: string): Promise<{ dts: number; duration: number; key: boolean }[]> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=dts,duration,flags', '-of', 'csv=p=0', file], { maxBuffer: 64e6 })
  return stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [dts, duration, flags] = line.split(',')
      return { dts: Number(dts), duration: Number(duration), key: (flags ?? '').startsWith('K') }
    })
}

/**
 * The simulator's frame number (modulo its block's cycle) of every frame of a file, in decode order: each frame
 * decoded, its middle row read for the moving block. `-fps_mode passthrough` keeps ffmpeg from adding or dropping
 * frames to even out the camera's uneven timestamps.
 */
export async function blockFrames(file: string, width = 640, height = 360): Promise<(number | undefined)[]> {
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-i', file, '-fps_mode', 'passthrough', '-vf', `format=gray,crop=${width}:1:0:${height / 2}`,
    '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1'], { encoding: 'buffer', maxBuffer: 64e6 })
  const frames: (number | undefined)[] = []
  for (let o = 0; o + width <= stdout.length; o += width) frames.push(blockFrame(stdout.subarray(o, o + width)))
  return frames
}

/** Codec name and duration (s) of a file's video, by ffprobe. */
export async function probe(file: string): Promise<{ codec: string; duration: number; startTime: number }> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,start_time:format=duration', '-of', 'json', file])
  const j = JSON.parse(stdout) as { streams: { codec_name: string; start_time: string }[]; format: { duration: string } }
  return { codec: j.streams[0]!.codec_name, duration: Number(j.format.duration), startTime: Number(j.streams[0]!.start_time) }
}
