/**
 * Issue 3's benchmarks: live view in Chromium (glass-to-glass from the
 * simulator's burned-in clock, time from opening the page to the first frame),
 * ffmpeg remux cost per live camera for 1 and N cameras, and offline detection.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import WebSocket from 'ws'
import { createLogger } from '../common/log.js'
import { hashPassword } from '../common/secrets.js'
import { startCameraSim, type CameraSim } from '../devices/camera-sim/index.js'
import { startCameraFeatures, type CameraFeatures } from '../edge/cameras/start.js'
import { createEdgeHttp } from '../edge/http/server.js'
import { livePids } from '../edge/live/reaper.js'
import type { Outbox } from '../edge/outbox/types.js'
import { measureGlassToGlass, timeToFirstFrame } from './lib/live-view.js'
import { measureOfflineDetection } from './lib/offline-detection.js'
import { processUsage } from './lib/sampler.js'
import type { LatencyStats } from './lib/stats.js'

export interface CameraBenchResult {
  glassToGlassMs: LatencyStats
  openToFirstFrameMs: number
  offlineDetectMs: number
  perCamera: { cameras: number; cpuPercentEach: number; rssMbEach: number; pssMbEach: number }[]
}

const PASSWORD = 'bench-supervisor-pw'
const log = createLogger('bench', 'silent')
const nullOutbox: Outbox = {
  append: async () => 'stored',
  stats: () => ({ depth: 0, bytes: 0, oldestAgeS: 0, shed: 0, deadLetters: 0, refusing: null }),
  close: async () => undefined,
}
const clock = { now: () => Date.now(), stamp: () => ({ wall: Date.now(), mono: performance.now(), boot: 'b', t: Date.now(), clock: 'synced' as const }), offsetMs: () => 0 }

async function startSite(sims: CameraSim[], dir: string): Promise<{ features: CameraFeatures; base: string; close: () => Promise<void> }> {
  const http = createEdgeHttp({ host: '127.0.0.1', port: 0, log })
  const features = await startCameraFeatures({
    config: {
      site: { id: 'bench', name: 'Bench' },
      supervisors: [{ username: 'giamsat', name: 'Giám sát', passwordHash: await hashPassword(PASSWORD) }],
      cameras: sims.map((s, i) => ({ id: `cam-${i + 1}`, name: `Camera ${i + 1}`, onvif: s.onvifUrl, username: s.user, password: s.password })),
      cameraOptions: { discovery: false, checkIntervalS: 3, snapshotDir: dir, snapshotMaxFiles: 10, snapshotMaxAgeDays: 30, liveWarm: true },
    },
    outbox: nullOutbox, clock, log, http, publishRetained: () => undefined,
  })
  const base = `http://127.0.0.1:${await http.listen()}`
  // Measure a running edge, as a supervisor meets it: every camera online and its stream warm (delivering) first.
  const ready = (i: number) => {
    const id = `cam-${i + 1}`
    const at = features.live.status()[id]?.lastFragmentAt
    return features.cameras.camera(id)?.state === 'online' && at !== null && at !== undefined && Date.now() - at < 1000
  }
  const deadline = Date.now() + 120_000
  while (sims.some((_, i) => !ready(i))) {
    if (Date.now() > deadline) throw new Error(`cameras not online and warm within 120 s: ${sims.map((_, i) => `cam-${i + 1} ${features.cameras.camera(`cam-${i + 1}`)?.state}`).join(', ')}`)
    await new Promise((r) => setTimeout(r, 200))
  }
  return { features, base, close: async () => { await features.stop(); await http.close() } }
}

async function loginCookie(base: string): Promise<string> {
  const res = await fetch(`${base}/supervisor/login`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ username: 'giamsat', password: PASSWORD, lang: 'vi' }) })
  return (res.headers.get('set-cookie') ?? '').split(';')[0]!
}

export async function benchCameras(opts: { many: number; log?: (s: string) => void }): Promise<CameraBenchResult> {
  const say = opts.log ?? (() => undefined)
  const dir = mkdtempSync(join(tmpdir(), 'motcua-bench-cam-'))
  const sims: CameraSim[] = []
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--autoplay-policy=no-user-gesture-required'],
  })
  try {
    for (let i = 0; i < opts.many; i++) sims.push(await startCameraSim({ discovery: false }))

    // One camera in the browser: first frame from opening the page, then glass-to-glass.
    const one = await startSite(sims.slice(0, 1), dir)
    const page = await browser.newPage()
    const opened = Date.now()
    await page.goto(`${one.base}/supervisor/`)
    await page.fill('input[name=username]', 'giamsat')
    await page.fill('input[name=password]', PASSWORD)
    await page.click('button[type=submit]')
    await timeToFirstFrame(page, '.tile video', 30_000)
    const openToFirstFrameMs = Date.now() - opened
    const glassToGlassMs = await measureGlassToGlass(page, '.tile video', 60)
    say(`first frame ${openToFirstFrameMs} ms after opening the page; glass-to-glass p50 ${glassToGlassMs.medianMs} ms`)
    await page.close()
    const offlineDetectMs = await measureOfflineDetection(one.features.cameras, 'cam-1', async () => sims[0]!.setFault('offline'))
    sims[0]!.setFault('none')
    say(`offline detected after ${offlineDetectMs} ms`)
    await one.close()

    // Remux cost: N cameras each watched by one WebSocket viewer (no browser, so only ffmpeg is measured).
    const perCamera: CameraBenchResult['perCamera'] = []
    for (const n of [1, opts.many]) {
      const site = await startSite(sims.slice(0, n), dir)
      const cookie = await loginCookie(site.base)
      const viewers = sims.slice(0, n).map((_, i) => new WebSocket(`${site.base.replace('http', 'ws')}/supervisor/live/cam-${i + 1}`, { headers: { cookie } }))
      await new Promise((r) => setTimeout(r, 8000))
      const usage = await processUsage(livePids(), 10_000)
      const live = usage.filter((u) => Number.isFinite(u.cpuPercent))
      if (live.length !== n) throw new Error(`expected ${n} live ffmpeg processes, found ${live.length}`)
      const avg = (f: (u: (typeof live)[number]) => number) => live.reduce((s, u) => s + f(u), 0) / Math.max(1, live.length)
      perCamera.push({
        cameras: live.length,
        cpuPercentEach: Math.round(avg((u) => u.cpuPercent) * 100) / 100,
        rssMbEach: Math.round(avg((u) => u.rssBytes) / 1e6),
        pssMbEach: Math.round(avg((u) => u.pssBytes) / 1e6),
      })
      say(`${live.length} live ffmpeg: ${perCamera.at(-1)!.cpuPercentEach}% CPU and ${perCamera.at(-1)!.rssMbEach} MB RSS each`)
      for (const v of viewers) v.close()
      await site.close()
    }
    return { glassToGlassMs, openToFirstFrameMs, offlineDetectMs, perCamera }
  } finally {
    await browser.close()
    for (const s of sims) await s.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}
