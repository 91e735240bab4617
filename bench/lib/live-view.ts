/**
 * Measurement helpers for the live view, used by tests and by `npm run bench`
 * (which owns the runner): glass-to-glass latency read from the simulator's
 * burned-in clock strip in the frames Chromium actually presents, and time to
 * first frame.
 */
import type { Page } from 'playwright-core'
import { decodeClockStrip } from '../../devices/camera-sim/clock-strip.js'
import { latencyStats, type LatencyStats } from './stats.js'

interface FrameSample {
  /** Wall clock when the browser presented the frame. */
  at: number
  width: number
  height: number
  /** Luma of every pixel of the strip's middle row. */
  row: number[]
}

/**
 * Runs in the page. Kept as source text: tsx and vitest transform functions
 * differently (esbuild may add `__name` helpers the page does not have).
 */
const SAMPLE_FRAMES = `(({ sel, count, timeoutMs }) => new Promise((resolve) => {
  const video = document.querySelector(sel)
  const canvas = document.createElement('canvas')
  const ctx = canvas.getContext('2d', { willReadFrequently: true })
  const out = []
  const stop = setTimeout(() => resolve(out), timeoutMs)
  const onFrame = () => {
    const at = Date.now()
    const w = video.videoWidth
    const h = video.videoHeight
    if (w && h) {
      canvas.width = w
      canvas.height = h
      ctx.drawImage(video, 0, 0, w, h)
      // The strip's middle row: 16 px cells, 8 px above the bottom edge at 640x360, scaled for other sizes.
      const y = Math.round(((360 - 16 - 8 + 8) * h) / 360)
      const px = ctx.getImageData(0, y, w, 1).data
      const row = []
      for (let x = 0; x < w; x++) row.push(0.299 * px[x * 4] + 0.587 * px[x * 4 + 1] + 0.114 * px[x * 4 + 2])
      out.push({ at, width: w, height: h, row })
    }
    if (out.length >= count) {
      clearTimeout(stop)
      resolve(out)
    } else video.requestVideoFrameCallback(onFrame)
  }
  video.requestVideoFrameCallback(onFrame)
}))`

/**
 * Glass-to-glass latency of one <video> on the page: for `count` presented
 * frames (requestVideoFrameCallback), the browser's wall clock minus the
 * capture time burned into the frame. Browser and simulator share the host's
 * clock on loopback.
 */
export async function measureGlassToGlass(page: Page, videoSelector: string, count = 30, timeoutMs = 15_000): Promise<LatencyStats> {
  const samples = (await page.evaluate(`${SAMPLE_FRAMES}(${JSON.stringify({ sel: videoSelector, count, timeoutMs })})`)) as FrameSample[]
  const latencies = samples.flatMap((s) => {
    const stamped = decodeClockStrip((x) => s.row[x] ?? 0, s.width, s.height, { sourceWidth: s.width, sourceHeight: s.height })
    return stamped === undefined ? [] : [s.at - stamped]
  })
  return latencyStats(latencies)
}

/** Milliseconds from now until the selected <video> has presented a frame (currentTime > 0 and advancing). */
export async function timeToFirstFrame(page: Page, videoSelector: string, timeoutMs = 20_000): Promise<number> {
  const started = Date.now()
  // An anonymous arrow: nothing for esbuild to name, and a function (unlike a string) passes the page's CSP.
  await page.waitForFunction(
    (sel) => {
      const v = document.querySelector(sel) as HTMLVideoElement | null
      return !!v && v.readyState >= 2 && v.currentTime > 0
    },
    videoSelector,
    { timeout: timeoutMs, polling: 50 },
  )
  return Date.now() - started
}
