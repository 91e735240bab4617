process.env.LOG_LEVEL ??= 'silent'
/**
 * Recorded video through the hub (issue 17): a real hub (real influxd), an
 * edge tunnel client dialling out to it, clips of a real MP4 made by ffmpeg
 * served by a small RecordingService (the edge's own is tested in
 * tests/edge), live video of devices/camera-sim for the other video system,
 * and the console in Chromium.
 */
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createReadStream } from 'node:fs'
import http from 'node:http'
import { PassThrough } from 'node:stream'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { createLogger } from '../../common/log.js'
import { hashPassword, hashSecret, newSecret } from '../../common/secrets.js'
import { startCameraSim, type CameraSim } from '../../devices/camera-sim/index.js'
import { SnapshotStore } from '../../edge/cameras/snapshot-store.js'
import { createLiveService, type LiveService } from '../../edge/live/service.js'
import type { KeptClip, RecordingService } from '../../edge/recording/types.js'
import { createTunnel, type EdgeTunnel } from '../../edge/tunnel/client.js'
import { createDispatch } from '../../edge/tunnel/requests.js'
import { hubConfigSchema } from '../../hub/config/schema.js'
import { startHub, type RunningHub } from '../../hub/main.js'
import { createWriter } from '../../hub/rollup/writer.js'
import { TUNNEL_PATH } from '../../protocol/tunnel.js'
import { DEMO_SITES, generateDemoData, writeDemoData } from '../../scripts/lib/demo-data.js'
import { startInfluxd, type Influxd } from '../../testkit/influxd.js'
import { waitFor } from '../../testkit/wait.js'
import { responseSchema, validate } from './openapi-validate.js'

const run = promisify(execFile)
const log = createLogger('test')
const SITE = 'ct-center'
const OLD_SITE = 'ct-ninh-kieu'
const TOKEN = newSecret()
const OLD_TOKEN = newSecret()
const VIDEO_KEY = newSecret()
const KPI_KEY = newSecret()
const PASSWORDS = { thanhtra: 'thanh-tra-noi-vu-1', giamsat: 'giam-sat-trung-tam', khac: 'giam-sat-diem-khac', quantri: 'quan-tri-he-thong', ioc: 'ioc-van-hanh-2026' }

let dir: string
let influx: Influxd
let hub: RunningHub
let sim: CameraSim
let live: LiveService
let tunnel: EdgeTunnel
let oldEdge: WebSocket
const oldEdgeHeard: { type: string }[] = []
let mp4: string
let mp4Sha: string
let snapshotName: string
let browser: Browser | null = null
/** What the small recording service was asked, to check the hub passed the range through. */
const asked: { from: number; to: number }[] = []

/** Set by a test: the next clip sends the file's first bytes and then waits, as a long clip being read does. */
let holdNextClip: PassThrough | null = null

/** A RecordingService over one real MP4 file: every clip is that file. */
function fileRecordings(file: string): RecordingService {
  const clip: KeptClip = { id: 'k1', camera: 'cam-1', from: Date.now() - 3_600_000, to: Date.now() - 3_540_000, reason: 'rating', ref: null, keepUntil: Date.now() + 90 * 86_400_000 }
  return {
    timeline: async (camera, from, to) => [{ camera, from: Math.max(from, Date.now() - 7_200_000), to: Math.min(to, Date.now()), kind: 'continuous', bytes: 1 }],
    clips: async () => [clip],
    async openClip(_camera, from, to) {
      asked.push({ from, to })
      if (holdNextClip) {
        const held = holdNextClip
        holdNextClip = null
        held.write(readFileSync(file).subarray(0, 64 * 1024))
        return { stream: held, contentType: 'video/mp4', from, to }
      }
      return { stream: createReadStream(file), contentType: 'video/mp4', from, to }
    },
    keep: async () => clip,
    cameraOfCounter: (counter) => (counter.startsWith('q') ? 'cam-1' : null),
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'motcua-recordings-'))
  mp4 = join(dir, 'clip.mp4')
  // A minute of 640×360 video as the edge's clips are: H.264, fragmented, keyframe every 2 s.
  await run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=640x360:rate=15', '-t', '60', '-c:v', 'libx264', '-preset', 'ultrafast',
    '-pix_fmt', 'yuv420p', '-g', '30', '-movflags', 'frag_keyframe+empty_moov+default_base_moof', '-f', 'mp4', mp4])
  mp4Sha = createHash('sha256').update(readFileSync(mp4)).digest('hex')
  await run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x180', '-frames:v', '1', join(dir, 'shot.jpg')])
  const snapshots = new SnapshotStore(join(dir, 'snapshots'), 10)
  await snapshots.open()
  snapshotName = await snapshots.save('cam-1', 'tamper', readFileSync(join(dir, 'shot.jpg')), Date.now() - 60_000)

  influx = await startInfluxd()
  const users = [
    { username: 'thanhtra', name: 'Nguyễn Văn Thanh', role: 'inspector' },
    { username: 'giamsat', name: 'Giám sát Trung tâm', role: 'supervisor', sites: [SITE] },
    { username: 'khac', name: 'Giám sát điểm khác', role: 'supervisor', sites: [OLD_SITE] },
    { username: 'quantri', name: 'Quản trị viên', role: 'admin' },
    { username: 'ioc', name: 'IOC', role: 'ioc' },
  ] as const
  const config = hubConfigSchema.parse({
    http: { host: '127.0.0.1', port: 0 },
    influx: { version: 1, url: influx.url, database: 'motcua' },
    edges: [{ site: SITE, tokenHash: hashSecret(TOKEN) }, { site: OLD_SITE, tokenHash: hashSecret(OLD_TOKEN) }],
    sites: DEMO_SITES.slice(0, 2).map((s) => ({ id: s.id, name: s.name })),
    apiKeys: [{ id: 'noi-vu-vms', keyHash: hashSecret(VIDEO_KEY), scope: 'ioc', video: true }, { id: 'ioc-wall', keyHash: hashSecret(KPI_KEY), scope: 'ioc' }],
    users: await Promise.all(users.map(async (u) => ({ ...u, passwordHash: await hashPassword(PASSWORDS[u.username]) }))),
    sessionSecret: newSecret(),
  })
  const writer = createWriter(config.influx, { log })
  await writeDemoData(writer, generateDemoData({ end: Date.now(), days: 1, sites: DEMO_SITES.filter((s) => s.id === SITE) }))
  await writer.close()
  hub = await startHub(config, { log, tunnelHeartbeatMs: 1000 })

  sim = await startCameraSim({ password: 'cam-pw-1234', discovery: false })
  const rtsp = new URL(sim.rtspUrl)
  rtsp.username = sim.user
  rtsp.password = 'cam-pw-1234'
  live = createLiveService({ log, streamUrl: (id) => (id === 'cam-1' ? rtsp.href : null) })
  const cameras = [{ id: 'cam-1', name: 'Quầy 7', counter: 'q07' }]
  tunnel = createTunnel({
    hubUrl: hub.url, token: TOKEN, site: SITE, log, live, cameras: () => cameras, backoffMinMs: 100, backoffMaxMs: 400, heartbeatMs: 1000,
    dispatch: createDispatch({ recordings: fileRecordings(mp4), snapshots, cameras: () => cameras.map((c) => c.id) }),
  })
  tunnel.start()
  // An edge of the release before requests: it says hello version 1 and would ignore a request.
  oldEdge = new WebSocket(`${hub.url.replace('http', 'ws')}${TUNNEL_PATH}`, { headers: { authorization: `Bearer ${OLD_TOKEN}` } })
  oldEdge.on('message', (data: Buffer, isBinary) => {
    if (!isBinary) oldEdgeHeard.push(JSON.parse(data.toString()) as { type: string })
  })
  oldEdge.on('open', () => oldEdge.send(JSON.stringify({ type: 'hello', v: 1, site: OLD_SITE, cameras: [{ id: 'cam-9', name: 'Sảnh', counter: null }] })))
  await waitFor('both edges linked', () => hub.relay.camera(SITE, 'cam-1')?.edgeConnected === true && hub.relay.camera(OLD_SITE, 'cam-9')?.edgeConnected === true)
}, 120_000)

afterAll(async () => {
  await browser?.close()
  oldEdge?.terminate()
  await tunnel?.stop()
  await live?.stop()
  await hub?.stop()
  await sim?.stop()
  await influx?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

interface Answer { status: number; headers: http.IncomingHttpHeaders; body: Buffer }

function get(path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    http.get(`${hub.url}${path}`, { headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    }).on('error', reject)
  })
}

const json = (a: Answer) => JSON.parse(a.body.toString('utf8')) as Record<string, unknown> & { error?: { code: string } }

async function login(user: keyof typeof PASSWORDS): Promise<string> {
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = http.request(`${hub.url}/console/login`, { method: 'POST', agent: false, headers: { 'content-type': 'application/x-www-form-urlencoded' } }, resolve)
    req.on('error', reject)
    req.end(new URLSearchParams({ username: user, password: PASSWORDS[user] }).toString())
  })
  res.resume()
  const cookie = ([] as string[]).concat(res.headers['set-cookie'] ?? [])[0]
  if (res.statusCode !== 303 || !cookie) throw new Error(`login ${user}: ${res.statusCode}`)
  return cookie.split(';')[0]!
}

const minuteAgo = () => {
  const to = Date.now() - 60_000
  return { from: to - 60_000, to }
}
const clipPath = (site: string, camera: string, r: { from: number; to: number }, reason: string | null, download = false) =>
  `/console/recordings/${site}/cameras/${camera}/clip.mp4?from=${r.from}&to=${r.to}${reason === null ? '' : `&reason=${encodeURIComponent(reason)}`}${download ? '&download=1' : ''}`

interface AuditRow { action: string; user: string; role: string; site: string | null; camera: string | null; viewing: string | null; detail: string; durationS: number | null }
async function audit(): Promise<AuditRow[]> {
  return (json(await get('/console/api/audit?days=1', { cookie: await login('quantri') })).entries as AuditRow[])
}

describe('recordings over the tunnel, through the hub', () => {
  it('the timeline and the camera of a counter come from the edge; a clip is the edge\'s file byte for byte, on the audit log with its reason', async () => {
    const cookie = await login('thanhtra')
    const day = { from: Date.now() - 86_400_000, to: Date.now() }
    const tl = await get(`/console/api/recordings/${SITE}/cameras/cam-1/timeline?from=${day.from}&to=${day.to}`, { cookie })
    expect(tl.status).toBe(200)
    expect(json(tl)).toMatchObject({ spans: [{ camera: 'cam-1', kind: 'continuous' }], clips: [{ id: 'k1', reason: 'rating' }] })
    expect(json(await get(`/console/api/recordings/${SITE}/counters/q07`, { cookie }))).toEqual({ camera: 'cam-1' })
    const r = minuteAgo()
    const clip = await get(clipPath(SITE, 'cam-1', r, 'Khiếu nại số 12/2026 tại quầy 7'), { cookie })
    expect(clip.status).toBe(200)
    expect(clip.headers['content-type']).toBe('video/mp4')
    expect(createHash('sha256').update(clip.body).digest('hex')).toBe(mp4Sha)
    expect(asked.at(-1)).toEqual(r)
    const id = clip.headers['x-motcua-clip']
    await waitFor('the playback on the audit log', async () => (await audit()).some((e) => e.viewing === id))
    const entry = (await audit()).find((e) => e.viewing === id)!
    expect(entry).toMatchObject({ action: 'playback', user: 'thanhtra', role: 'inspector', site: SITE, camera: 'cam-1' })
    expect(entry.detail).toBe(`clip ${new Date(r.from).toISOString()}/${new Date(r.to).toISOString()}; reason: Khiếu nại số 12/2026 tại quầy 7`)
  })

  it('an export carries a sidecar whose SHA-256 is the file\'s, the same hash on the audit log', async () => {
    const cookie = await login('giamsat')
    const clip = await get(clipPath(SITE, 'cam-1', minuteAgo(), 'Kiểm tra định kỳ', true), { cookie })
    expect(clip.status).toBe(200)
    expect(clip.headers['content-disposition']).toMatch(/^attachment; filename="motcua-ct-center-cam-1-\d{8}T\d{6}Z\.mp4"$/)
    const id = String(clip.headers['x-motcua-clip'])
    const side = await get(`/console/api/recording-exports/${id}`, { cookie })
    expect(side.status).toBe(200)
    const sidecar = json(side)
    expect(sidecar).toMatchObject({ format: 'motcua-clip/1', site: SITE, camera: 'cam-1', cameraName: 'Quầy 7', bytes: clip.body.length, exportedBy: 'giamsat', reason: 'Kiểm tra định kỳ' })
    expect(sidecar.sha256).toBe(createHash('sha256').update(clip.body).digest('hex'))
    // Another person does not get someone else's sidecar.
    expect(json(await get(`/console/api/recording-exports/${id}`, { cookie: await login('thanhtra') })).error?.code).toBe('HUB_RECORDING_NOT_FOUND')
    await waitFor('the export and its hash on the audit log', async () => (await audit()).filter((e) => e.viewing === id).length === 2)
    const entries = (await audit()).filter((e) => e.viewing === id)
    expect(entries.map((e) => e.action).sort()).toEqual(['export', 'export_done'])
    expect(entries.find((e) => e.action === 'export_done')!.detail).toContain(`sha256=${String(sidecar.sha256)} bytes=${clip.body.length}`)
  })

  it('snapshots are listed and shown with a reason, on the audit log', async () => {
    const cookie = await login('thanhtra')
    const list = json(await get(`/console/api/recordings/${SITE}/snapshots?camera=cam-1`, { cookie }))
    expect(list.snapshots).toEqual([expect.objectContaining({ name: snapshotName, camera: 'cam-1', reason: 'tamper' })])
    expect(json(await get(`/console/recordings/${SITE}/snapshots/${snapshotName}`, { cookie })).error?.code).toBe('HUB_REASON_REQUIRED')
    const pic = await get(`/console/recordings/${SITE}/snapshots/${snapshotName}?reason=${encodeURIComponent('Camera bị che lúc 9 giờ')}`, { cookie })
    expect(pic.status).toBe(200)
    expect(pic.body.equals(readFileSync(join(dir, 'shot.jpg')))).toBe(true)
    await waitFor('the snapshot viewing on the audit log', async () => (await audit()).some((e) => e.detail === `snapshot ${snapshotName}; reason: Camera bị che lúc 9 giờ`))
  })

  it('only an inspector and the site\'s own supervisor may; never without a reason; nothing refused reaches the edge', async () => {
    const before = asked.length
    const r = minuteAgo()
    for (const user of ['quantri', 'ioc', 'khac'] as const) {
      const cookie = await login(user)
      expect(json(await get(clipPath(SITE, 'cam-1', r, 'Lý do đầy đủ'), { cookie })).error?.code, user).toBe('HUB_CONSOLE_FORBIDDEN')
      expect((await get(`/console/api/recordings/${SITE}/cameras/cam-1/timeline?from=${r.from}&to=${r.to}`, { cookie })).status, user).toBe(403)
    }
    const cookie = await login('giamsat')
    expect(json(await get(clipPath(SITE, 'cam-1', r, null), { cookie })).error?.code).toBe('HUB_REASON_REQUIRED')
    expect(json(await get(clipPath(SITE, 'cam-1', r, ' a  '), { cookie })).error?.code).toBe('HUB_REASON_REQUIRED')
    expect(json(await get(clipPath(SITE, 'cam-1', { from: r.from, to: r.from + 11 * 60_000 }, 'Lý do đầy đủ'), { cookie })).error?.code).toBe('HUB_QUERY_INVALID')
    expect((await get(clipPath(SITE, 'cam-1', r, 'Lý do đầy đủ'))).status).toBe(401)
    expect(asked.length).toBe(before)
  })

  it('an edge of the release before requests is answered unsupported at once, and keeps its tunnel', async () => {
    const cookie = await login('thanhtra')
    const tl = await get(`/console/api/recordings/${OLD_SITE}/cameras/cam-9/timeline?from=1&to=2`, { cookie })
    expect(tl.status).toBe(501)
    expect(json(tl).error?.code).toBe('HUB_RECORDING_UNSUPPORTED')
    // Answered by the hub itself from the edge's hello: nothing was sent that the old edge would have ignored.
    expect(oldEdgeHeard.filter((m) => m.type !== 'open' && m.type !== 'close')).toEqual([])
    expect(oldEdge.readyState).toBe(WebSocket.OPEN)
  })

  it('a viewer who goes away mid-clip cancels the edge\'s read', async () => {
    const cookie = await login('thanhtra')
    // A clip whose read has not finished when its first bytes reach the viewer, whatever the machine's speed.
    const held = new PassThrough()
    holdNextClip = held
    let streaming = 0
    await new Promise<void>((resolve, reject) => {
      const req = http.get(`${hub.url}${clipPath(SITE, 'cam-1', minuteAgo(), 'Xem rồi đóng')}`, { headers: { cookie }, agent: false }, (res) => {
        res.once('data', () => {
          streaming = tunnel.status().requests
          req.destroy()
          resolve()
        })
      })
      req.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(err)))
    })
    expect(streaming).toBe(1)
    await waitFor('the edge to drop the request', () => tunnel.status().requests === 0)
    // The edge stopped reading the clip: its stream was destroyed, not left open.
    expect(held.destroyed).toBe(true)
  })
})

describe('live video for the Home Affairs monitoring system (GET /api/v1/live)', () => {
  it('a key with video: true lists the cameras and pulls one as fragmented MP4; the viewing is on the audit log with its duration', async () => {
    const auth = { authorization: `Bearer ${VIDEO_KEY}` }
    const list = json(await get('/api/v1/live', auth))
    const doc = json(await get('/api/openapi.json'))
    expect(validate(doc, responseSchema(doc, '/api/v1/live', 'get', 200), list)).toEqual([])
    expect(list.data).toContainEqual(expect.objectContaining({ site: SITE, camera: 'cam-1', url: `/api/v1/live/${SITE}/cam-1`, edgeConnected: true }))
    const got = { bytes: Buffer.alloc(0) }
    await new Promise<void>((resolve, reject) => {
      const req = http.get(`${hub.url}/api/v1/live/${SITE}/cam-1`, { headers: auth, agent: false }, (res) => {
        expect(res.statusCode).toBe(200)
        expect(res.headers['content-type']).toBe('video/mp4')
        res.on('data', (c: Buffer) => {
          got.bytes = Buffer.concat([got.bytes, c])
          // The init segment, then at least two media fragments.
          if (got.bytes.toString('latin1').split('moof').length > 2) {
            req.destroy()
            resolve()
          }
        })
      })
      req.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(err)))
    })
    expect(got.bytes.subarray(4, 8).toString('latin1')).toBe('ftyp')
    expect(got.bytes.includes(Buffer.from('moov'))).toBe(true)
    await waitFor('the viewing\'s start and end on the audit log', async () => {
      const mine = (await audit()).filter((e) => e.user === 'noi-vu-vms')
      return mine.some((e) => e.action === 'view_start') && mine.some((e) => e.action === 'view_end' && (e.durationS ?? -1) >= 0)
    }, { timeoutMs: 30_000 })
    expect((await audit()).find((e) => e.user === 'noi-vu-vms')).toMatchObject({ role: 'api', site: SITE, camera: 'cam-1' })
  }, 90_000)

  it('a KPI key, no key, and a camera nobody has are refused', async () => {
    expect(json(await get(`/api/v1/live/${SITE}/cam-1`, { authorization: `Bearer ${KPI_KEY}` })).error?.code).toBe('HUB_API_FORBIDDEN')
    expect((await get('/api/v1/live')).status).toBe(401)
    expect(json(await get(`/api/v1/live/${SITE}/cam-404`, { authorization: `Bearer ${VIDEO_KEY}` })).error?.code).toBe('HUB_CAMERA_UNKNOWN')
  })
})

describe('the recordings view in Chromium', () => {
  async function signIn(user: keyof typeof PASSWORDS): Promise<Page> {
    browser ??= await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--autoplay-policy=no-user-gesture-required'] })
    const ctx = await browser.newContext({ acceptDownloads: true, viewport: { width: 1360, height: 900 } })
    const page = await ctx.newPage()
    await page.goto(`${hub.url}/console/`)
    await page.fill('input[name=username]', user)
    await page.fill('input[name=password]', PASSWORDS[user])
    await page.click('button[type=submit]')
    await page.waitForSelector('nav.tabs')
    return page
  }

  it('from a rating to its minute of video, seek, and export with a sidecar that checks the downloaded file', async () => {
    const page = await signIn('thanhtra')
    expect(await page.textContent('nav.tabs [data-tab=recordings]')).toBe('Video ghi lại')
    await page.click('nav.tabs [data-tab=recordings]')
    await page.fill('#rec-reason', 'Khiếu nại về thái độ tại quầy 7')
    await page.click('nav.tabs [data-tab=overview]')
    await page.click(`#latest .rec-jump[data-site="${SITE}"]`)
    await page.waitForSelector('#rec-video[data-state=playing]', { timeout: 30_000 })
    expect(await page.isVisible('#recordings')).toBe(true)
    expect(Number(await page.getAttribute('#rec-bar', 'data-spans'))).toBe(1)
    // The whole minute is in the page: seeking stays there.
    await page.evaluate(() => {
      const v = document.getElementById('rec-video') as HTMLVideoElement
      v.currentTime = 40
    })
    await page.waitForFunction(() => {
      const v = document.getElementById('rec-video') as HTMLVideoElement
      return !v.seeking && v.currentTime >= 39 && v.readyState >= 2
    })
    const downloads = Promise.all([page.waitForEvent('download', (d) => d.suggestedFilename().endsWith('.mp4')), page.waitForEvent('download', (d) => d.suggestedFilename().endsWith('.json'))])
    await page.click('#rec-export')
    const [video, side] = await downloads
    const file = readFileSync((await video.path())!)
    const sidecar = JSON.parse(readFileSync((await side.path())!, 'utf8')) as { sha256: string; bytes: number; site: string; exportedBy: string; reason: string }
    expect(video.suggestedFilename()).toMatch(/^motcua-ct-center-cam-1-.*\.mp4$/)
    expect(createHash('sha256').update(file).digest('hex')).toBe(sidecar.sha256)
    expect(sidecar).toMatchObject({ bytes: file.length, site: SITE, exportedBy: 'thanhtra', reason: 'Khiếu nại về thái độ tại quầy 7' })
    await page.waitForSelector('#rec-status[data-key=recExported]')
    await page.screenshot({ path: 'test-artifacts/recordings/recordings.png' })
  }, 90_000)

  it('an administrator has no recordings tab and no jump from ratings', async () => {
    const page = await signIn('quantri')
    await page.waitForSelector('#latest li')
    expect(await page.isHidden('nav.tabs [data-tab=recordings]')).toBe(true)
    expect(await page.locator('#latest .rec-jump').count()).toBe(0)
  }, 60_000)
})
