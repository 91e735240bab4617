process.env.LOG_LEVEL ??= 'silent'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeClockStripGray } from '../../devices/camera-sim/clock-strip.js'
import { startCameraSim, type CameraSim } from '../../devices/camera-sim/index.js'
import { fetchWithDigest } from './support/onvif-client.js'
import { waitFor } from '../../testkit/wait.js'

const run = promisify(execFile)
let sim: CameraSim

beforeAll(async () => {
  sim = await startCameraSim({ discovery: false })
})

afterAll(async () => {
  await sim?.stop()
})

const withCreds = (url: string, password = sim.password) => url.replace('rtsp://', `rtsp://${sim.user}:${encodeURIComponent(password)}@`)

/** One decoded frame as 8-bit grey, read by ffmpeg over RTSP/TCP. */
async function grabGray(url: string): Promise<Buffer> {
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-rtsp_transport', 'tcp', '-timeout', '5000000', '-i', url,
    '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1'], { encoding: 'buffer', maxBuffer: 4 << 20, timeout: 20_000 })
  return stdout
}

describe('RTSP stream', () => {
  it('is H.264 640x360 at 15 fps with a keyframe every second, read by ffprobe', async () => {
    // -timeout: a stream that stops makes ffprobe fail with its reason within 5 s instead of waiting for ever.
    const { stdout } = await run('ffprobe', ['-v', 'error', '-rtsp_transport', 'tcp', '-timeout', '5000000', '-i', withCreds(sim.rtspUrl),
      '-select_streams', 'v:0', '-read_intervals', '%+3', '-show_entries', 'stream=codec_name,width,height,profile:frame=key_frame,pkt_pts_time',
      '-of', 'json'], { timeout: 30_000, maxBuffer: 4 << 20 })
    const out = JSON.parse(stdout) as { streams: Array<Record<string, unknown>>; frames: Array<{ key_frame: number }> }
    expect(out.streams[0]).toMatchObject({ codec_name: 'h264', width: 640, height: 360, profile: 'Constrained Baseline' })
    expect(out.frames.length).toBeGreaterThanOrEqual(30)
    const keys = out.frames.map((f, i) => (f.key_frame ? i : -1)).filter((i) => i >= 0)
    expect(keys.length).toBeGreaterThanOrEqual(2)
    for (let k = 1; k < keys.length; k++) expect(keys[k]! - keys[k - 1]!).toBe(15)
  })

  it('burns in the wall clock with milliseconds, readable from a decoded frame', async () => {
    const before = Date.now()
    const frame = await grabGray(withCreds(sim.rtspUrl))
    const after = Date.now()
    expect(frame.length).toBe(640 * 360)
    const stamped = decodeClockStripGray(frame, 640, 360)
    expect(stamped).toBeDefined()
    // Captured after ffmpeg asked for the stream and before it returned the frame.
    expect(stamped!).toBeGreaterThan(before - 1000)
    expect(stamped!).toBeLessThanOrEqual(after)
  })

  it('demands RTSP digest credentials', async () => {
    await expect(run('ffprobe', ['-v', 'error', '-rtsp_transport', 'tcp', '-i', withCreds(sim.rtspUrl, 'wrong')], { timeout: 20_000 }))
      .rejects.toMatchObject({ stderr: expect.stringMatching(/401 Unauthorized/) })
    await expect(run('ffprobe', ['-v', 'error', '-rtsp_transport', 'tcp', '-i', sim.rtspUrl], { timeout: 20_000 }))
      .rejects.toMatchObject({ stderr: expect.stringMatching(/401/) })
  })
})

describe('snapshot', () => {
  it('serves a real JPEG of the stream behind HTTP digest', async () => {
    const anonymous = await fetch(sim.snapshotUrl, { signal: AbortSignal.timeout(10_000) })
    expect(anonymous.status).toBe(401)
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Digest /)
    await anonymous.arrayBuffer()
    const wrong = await fetchWithDigest(sim.snapshotUrl, sim.user, 'wrong')
    expect(wrong.status).toBe(401)
    await wrong.arrayBuffer()
    // A camera that is busy encoding answers 503 + Retry-After, as real ones do; clients ask again after it.
    const retryAfter: (string | null)[] = []
    const res = await waitFor('a snapshot', async () => {
      const r = await fetchWithDigest(sim.snapshotUrl, sim.user, sim.password)
      if (r.status !== 503) return r
      retryAfter.push(r.headers.get('retry-after'))
      await r.arrayBuffer()
      return null
    }, { everyMs: 1000 })
    expect(retryAfter.every((h) => h === '1')).toBe(true)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('image/jpeg')
    const jpeg = Buffer.from(await res.arrayBuffer())
    expect(jpeg.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]))
    expect(jpeg.subarray(-2)).toEqual(Buffer.from([0xff, 0xd9]))
    // ffmpeg decodes it back to a 640x360 picture carrying a recent burned-in time.
    const decoded = await new Promise<Buffer>((resolve, reject) => {
      const child = execFile('ffmpeg', ['-v', 'error', '-f', 'image2pipe', '-c:v', 'mjpeg', '-i', 'pipe:0', '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1'],
        { encoding: 'buffer', maxBuffer: 4 << 20, timeout: 20_000 }, (err, out) => (err ? reject(err) : resolve(out)))
      child.stdin?.end(jpeg)
    })
    expect(decoded.length).toBe(640 * 360)
    const stamped = decodeClockStripGray(decoded, 640, 360)
    expect(Math.abs(Date.now() - stamped!)).toBeLessThan(15_000)
  })
})

describe('process hygiene', () => {
  it('leaves no GStreamer process behind after stop', async () => {
    const other = await startCameraSim({ discovery: false })
    const pid = other.rtspPid!
    expect(() => process.kill(pid, 0)).not.toThrow()
    await other.stop()
    expect(() => process.kill(pid, 0)).toThrow(/ESRCH/)
  })
})
