process.env.LOG_LEVEL ??= 'silent'
/**
 * The edge's own recording service (edge/recording) served through the
 * tunnel and the hub (issue 17): the camera simulator recorded `-c copy` on
 * the edge's disk, its timeline and a clip asked for in the console, the
 * clip a valid MP4 (ffprobe) of about the range asked, exported with a
 * sidecar whose hash is the file's.
 */
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../common/log.js'
import { hashPassword, hashSecret, newSecret } from '../../common/secrets.js'
import { startCameraSim, type CameraSim } from '../../devices/camera-sim/index.js'
import type { EdgeConfig } from '../../edge/config/schema.js'
import { createLiveService, type LiveService } from '../../edge/live/service.js'
import { startRecording, type Recording } from '../../edge/recording/service.js'
import { createTunnel, type EdgeTunnel } from '../../edge/tunnel/client.js'
import { createDispatch } from '../../edge/tunnel/requests.js'
import { hubConfigSchema } from '../../hub/config/schema.js'
import { startHub, type RunningHub } from '../../hub/main.js'
import { startInfluxd, type Influxd } from '../../testkit/influxd.js'
import { waitFor } from '../../testkit/wait.js'

const log = createLogger('test')
const TOKEN = newSecret()
const PASSWORD = 'thanh-tra-noi-vu-1'
let dir: string
let influx: Influxd
let hub: RunningHub
let sim: CameraSim
let live: LiveService
let recording: Recording
let tunnel: EdgeTunnel
let started: number

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'motcua-rec-real-'))
  influx = await startInfluxd()
  hub = await startHub(hubConfigSchema.parse({
    http: { host: '127.0.0.1', port: 0 },
    influx: { version: 1, url: influx.url, database: 'motcua' },
    edges: [{ site: 'site-a', tokenHash: hashSecret(TOKEN) }],
    sites: [{ id: 'site-a', name: 'Điểm A' }],
    users: [{ username: 'thanhtra', name: 'Thanh tra', role: 'inspector', passwordHash: await hashPassword(PASSWORD) }],
    sessionSecret: newSecret(),
  }), { log, tunnelHeartbeatMs: 1000 })
  sim = await startCameraSim({ password: 'cam-pw-1234', discovery: false })
  const rtsp = new URL(sim.rtspUrl)
  rtsp.username = sim.user
  rtsp.password = 'cam-pw-1234'
  live = createLiveService({ log, streamUrl: (id) => (id === 'cam-1' ? rtsp.href : null) })
  const cameras: EdgeConfig['cameras'] = [{ id: 'cam-1', name: 'Quầy 7', onvif: sim.onvifUrl, username: sim.user, password: 'cam-pw-1234', counter: 'q07', recording: 'continuous' }]
  started = Date.now()
  recording = await startRecording({
    cameras, live, log, now: Date.now,
    options: { dir: join(dir, 'recording'), segmentS: 4, ringDays: 1, maxBytes: 1e9, minFreeBytes: 0, preRollS: 30, postRollS: 30, keepDays: { rating: 90, tamper: 90, motion: 30, manual: 90 } },
  })
  tunnel = createTunnel({
    hubUrl: hub.url, token: TOKEN, site: 'site-a', log, live, heartbeatMs: 1000,
    cameras: () => [{ id: 'cam-1', name: 'Quầy 7', counter: 'q07' }],
    dispatch: createDispatch({ recordings: recording, snapshots: null, cameras: () => ['cam-1'] }),
  })
  tunnel.start()
  await waitFor('the edge linked', () => hub.relay.camera('site-a', 'cam-1')?.edgeConnected === true)
  // A cold ffmpeg on a loaded machine takes a while before the first segment.
  await waitFor('15 s of video on the edge\'s disk', async () => (await recording.timeline('cam-1', started, Date.now())).some((s) => s.to - s.from >= 15_000), { timeoutMs: 150_000, everyMs: 1000 })
}, 240_000)

afterAll(async () => {
  await tunnel?.stop()
  await recording?.stop()
  await live?.stop()
  await hub?.stop()
  await sim?.stop()
  await influx?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

function get(path: string, cookie?: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http.get(`${hub.url}${path}`, { headers: cookie ? { cookie } : {}, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    }).on('error', reject)
  })
}

async function login(): Promise<string> {
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = http.request(`${hub.url}/console/login`, { method: 'POST', agent: false, headers: { 'content-type': 'application/x-www-form-urlencoded' } }, resolve)
    req.on('error', reject)
    req.end(new URLSearchParams({ username: 'thanhtra', password: PASSWORD }).toString())
  })
  res.resume()
  return ([] as string[]).concat(res.headers['set-cookie'] ?? [])[0]!.split(';')[0]!
}

describe('the edge\'s recordings through the hub', () => {
  it('the timeline shows what is on disk; a clip of it is a playable MP4 of about that range, exported with its hash', async () => {
    const cookie = await login()
    const tl = await get(`/console/api/recordings/site-a/cameras/cam-1/timeline?from=${started - 60_000}&to=${Date.now() + 1}`, cookie)
    expect(tl.status).toBe(200)
    const { spans } = JSON.parse(tl.body.toString()) as { spans: { from: number; to: number }[] }
    const span = spans.find((s) => s.to - s.from >= 15_000)!
    expect(span).toBeDefined()
    expect(JSON.parse((await get('/console/api/recordings/site-a/counters/q07', cookie)).body.toString())).toEqual({ camera: 'cam-1' })
    const from = span.from + 2000
    const to = from + 10_000
    const clip = await get(`/console/recordings/site-a/cameras/cam-1/clip.mp4?from=${from}&to=${to}&reason=${encodeURIComponent('Kiểm tra ghi hình')}&download=1`, cookie)
    expect(clip.status).toBe(200)
    const file = join(dir, 'clip.mp4')
    writeFileSync(file, clip.body)
    const probe = JSON.parse((await promisify(execFile)('ffprobe', ['-v', 'error', '-show_entries', 'format=duration:stream=codec_name', '-of', 'json', file])).stdout) as { format: { duration: string }; streams: { codec_name: string }[] }
    expect(probe.streams[0]?.codec_name).toBe('h264')
    // From the keyframe at or before `from` (the simulator's are 1 s apart) to about `to`.
    const seconds = Number(probe.format.duration)
    expect(seconds).toBeGreaterThanOrEqual(9)
    expect(seconds).toBeLessThanOrEqual(14)
    const side = JSON.parse((await get(`/console/api/recording-exports/${String(clip.headers['x-motcua-clip'])}`, cookie)).body.toString()) as { sha256: string; bytes: number }
    expect(side).toMatchObject({ sha256: createHash('sha256').update(clip.body).digest('hex'), bytes: clip.body.length })
  })

  it('a range with nothing recorded is a clear 404', async () => {
    const cookie = await login()
    const r = await get(`/console/recordings/site-a/cameras/cam-1/clip.mp4?from=${started - 3_600_000}&to=${started - 3_540_000}&reason=${encodeURIComponent('Trước khi ghi')}`, cookie)
    expect(r.status).toBe(404)
    expect(JSON.parse(r.body.toString())).toMatchObject({ error: { code: 'HUB_RECORDING_NOT_FOUND' } })
  })
})
