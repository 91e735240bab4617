/**
 * Kiosk timings for `npm run bench` (issue 4: ready ≤ 1 s, press → acknowledged
 * on screen ≤ 200 ms on loopback). The runner starts an edge (or a test broker)
 * with the kiosk handler and calls measureKiosk with the page URL; the times
 * are read from the page's own performance marks, so browser automation
 * overhead is not counted.
 */
import { chromium } from 'playwright-core'
import { timing, type Timing } from './stats.js'

export interface KioskBenchOptions {
  /** Page URL, e.g. http://127.0.0.1:8080/kiosk/?device=kiosk-q01#secret=... (the secret is needed on the first load only). */
  url: string
  /** Page loads to time. */
  loads?: number
  /** Presses to time; each waits for the thank-you to return to the start screen (the handler's thanksMs). */
  presses?: number
  /** Level pressed: a satisfied one, so no reason chips come in between. */
  level?: number
  executablePath?: string
  timeoutMs?: number
}

export interface KioskBenchResult {
  /** Navigation start → config received, screen drawn, broker connected. */
  loadToReadyMs: Timing
  /** Tap on a level → PUBACK received and the tick shown. */
  pressToAckMs: Timing
}

const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']

export async function measureKiosk(o: KioskBenchOptions): Promise<KioskBenchResult> {
  const timeout = o.timeoutMs ?? 15_000
  const browser = await chromium.launch({ executablePath: o.executablePath ?? '/usr/bin/chromium', args: ARGS })
  try {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage()
    const ready: number[] = []
    for (let i = 0; i < (o.loads ?? 5); i++) {
      if (i === 0) await page.goto(o.url)
      else await page.reload()
      await page.waitForSelector('body[data-ready="true"][data-link="up"]', { timeout })
      ready.push(await page.evaluate(() => performance.getEntriesByName('kiosk-ready')[0]?.startTime ?? NaN))
    }
    const acked: number[] = []
    for (let i = 0; i < (o.presses ?? 10); i++) {
      await page.waitForSelector('body[data-screen="start"]', { timeout })
      await page.click(`button.level[data-level="${o.level ?? 1}"]`)
      // The mark, not the tick: under load the thank-you may already be gone when the PUBACK lands.
      await page.waitForFunction((n) => performance.getEntriesByName('kiosk-acked').length > n, i, { timeout })
      acked.push(
        // No named helper inside: under tsx, esbuild's keepNames wraps it in __name(), which the page does not have.
        await page.evaluate(
          () => (performance.getEntriesByName('kiosk-acked').at(-1)?.startTime ?? NaN) - (performance.getEntriesByName('kiosk-press').at(-1)?.startTime ?? NaN),
        ),
      )
    }
    return { loadToReadyMs: timing(ready), pressToAckMs: timing(acked) }
  } finally {
    await browser.close()
  }
}
