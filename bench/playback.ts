/**
 * Issue 17: from clicking a rating in the console to the first frame of its
 * minute of video, through the hub and the edge's tunnel, in Chromium. Real
 * parts: influxd, the hub (in-process), the camera simulator recorded by the
 * edge's recording service (edge/recording, `-c copy` segments on disk) and
 * the edge's tunnel client with its request dispatcher. The rating is one
 * dissatisfied press at the counter the camera covers, 35 s before the
 * measure, so the minute around it is on disk. Each round clicks the rating's
 * "Xem video" and waits for the video element's first decoded frame
 * (`loadeddata`); the reason is typed once, as an inspector does.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { createLogger } from '../common/log.js'
import { hashPassword, hashSecret, newSecret } from '../common/secrets.js'
import { startCameraSim } from '../devices/camera-sim/index.js'
import type { EdgeConfig } from '../edge/config/schema.js'
import { createLiveService } from '../edge/live/service.js'
import { startRecording } from '../edge/recording/service.js'
import { createTunnel } from '../edge/tunnel/client.js'
import { createDispatch } from '../edge/tunnel/requests.js'
import { hubConfigSchema } from '../hub/config/schema.js'
import { startHub } from '../hub/main.js'
import { createWriter } from '../hub/rollup/writer.js'
import { DEMO_SITES, generateDemoData, writeDemoData } from '../scripts/lib/demo-data.js'
import { startInfluxd } from '../testkit/influxd.js'
import { waitFor } from '../testkit/wait.js'
import { latencyStats, type LatencyStats } from './lib/stats.js'

export interface PlaybackResult {
  rounds: number
  clickToFirstFrame: LatencyStats
  /** Bytes of the minute's clip as the browser got it. */
  clipBytes: number
}

const SITE = 'ct-center'
const SPEC = DEMO_SITES.find((s) => s.id === SITE)!
const COUNTER = SPEC.counters[0]!.id
const PASSWORD = 'thanh-tra-noi-vu-1'

export async function benchPlayback(o: { rounds: number; log: (s: string) => void }): Promise<PlaybackResult> {
  const dir = mkdtempSync(join(tmpdir(), 'motcua-bench-playback-'))
  const log = createLogger('bench', 'warn')
  const stops: (() => Promise<unknown>)[] = []
  try {
    const influx = await startInfluxd()
    stops.push(() => influx.stop())
    const token = newSecret()
    const config = hubConfigSchema.parse({
      http: { host: '127.0.0.1', port: 0 },
      influx: { version: 1, url: influx.url, database: 'bench_playback' },
      edges: [{ site: SITE, tokenHash: hashSecret(token) }],
      sites: [{ id: SITE, name: SPEC.name }],
      users: [{ username: 'thanhtra', name: 'Thanh tra', role: 'inspector', passwordHash: await hashPassword(PASSWORD) }],
      sessionSecret: newSecret(),
    })
    const hub = await startHub(config, { log })
    stops.push(() => hub.stop())
    const sim = await startCameraSim({ password: 'cam-pw-1234', discovery: false })
    stops.push(() => sim.stop())
    const rtsp = new URL(sim.rtspUrl)
    rtsp.username = sim.user
    rtsp.password = 'cam-pw-1234'
    const live = createLiveService({ log, streamUrl: (id) => (id === 'cam-1' ? rtsp.href : null) })
    stops.push(() => live.stop())
    const cameras: EdgeConfig['cameras'] = [{ id: 'cam-1', name: 'Quầy 1', onvif: sim.onvifUrl, username: sim.user, password: 'cam-pw-1234', counter: COUNTER, recording: 'continuous' }]
    const recording = await startRecording({
      cameras, live, log, now: Date.now,
      options: { dir: join(dir, 'recording'), segmentS: 10, ringDays: 1, maxBytes: 1e9, minFreeBytes: 0, preRollS: 30, postRollS: 30, keepDays: { rating: 90, tamper: 90, motion: 30, manual: 90 } },
    })
    stops.push(() => recording.stop())
    const tunnel = createTunnel({
      hubUrl: hub.url, token, site: SITE, log, live,
      cameras: () => [{ id: 'cam-1', name: 'Quầy 1', counter: COUNTER }],
      dispatch: createDispatch({ recordings: recording, snapshots: null, cameras: () => ['cam-1'] }),
    })
    tunnel.start()
    stops.push(() => tunnel.stop())
    const started = Date.now()
    o.log('playback: recording 75 s of the simulator before the rating is clicked')
    await waitFor('75 s on disk', async () => {
      const spans = await recording.timeline('cam-1', started, Date.now())
      return spans.some((s) => s.to - s.from >= 75_000)
    }, { timeoutMs: 180_000, everyMs: 1000 })
    // One dissatisfied press at the camera's counter, 35 s ago: the minute around it is recorded.
    const day = generateDemoData({ end: Date.now(), days: 1, sites: [SPEC] })[0]!
    const press = day.records.find((r) => r.kind === 'rating' && r.counter === COUNTER)!
    const at = Date.now() - 35_000
    const writer = createWriter(config.influx, { log })
    await writeDemoData(writer, [{ ...day, records: [{ ...press, t: at, edgeTs: at, deviceTs: at, eventId: 'bench-playback-1' } as typeof press] }])
    await writer.close()

    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--autoplay-policy=no-user-gesture-required'] })
    stops.push(() => browser.close())
    const page = await (await browser.newContext()).newPage()
    await page.goto(`${hub.url}/console/`)
    await page.fill('input[name=username]', 'thanhtra')
    await page.fill('input[name=password]', PASSWORD)
    await page.click('button[type=submit]')
    await page.click('nav.tabs [data-tab=recordings]')
    await page.fill('#rec-reason', 'Đo thời gian mở video từ đánh giá')
    const samples: number[] = []
    let clipBytes = 0
    for (let r = 0; r < o.rounds; r++) {
      await page.click('nav.tabs [data-tab=overview]')
      await page.waitForSelector(`#latest .rec-jump[data-counter="${COUNTER}"]`)
      await page.evaluate(() => {
        const w = window as unknown as { firstFrame?: Promise<number> }
        const v = document.getElementById('rec-video') as HTMLVideoElement
        w.firstFrame = new Promise((resolve) => v.addEventListener('loadeddata', () => resolve(performance.now()), { once: true }))
      })
      const clickedAt = await page.evaluate(() => performance.now())
      await page.click(`#latest .rec-jump[data-counter="${COUNTER}"]`)
      const frameAt = await page.evaluate(() => (window as unknown as { firstFrame: Promise<number> }).firstFrame)
      samples.push(frameAt - clickedAt)
      clipBytes = await page.evaluate(() => {
        const clips = performance.getEntriesByType('resource').filter((e) => e.name.includes('/clip.mp4')) as PerformanceResourceTiming[]
        return clips.at(-1)?.decodedBodySize ?? 0
      })
      o.log(`playback: round ${r + 1}: ${Math.round(frameAt - clickedAt)} ms`)
    }
    return { rounds: o.rounds, clickToFirstFrame: latencyStats(samples), clipBytes }
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined)
    rmSync(dir, { recursive: true, force: true })
  }
}
