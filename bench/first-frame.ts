/**
 * Issue 10's browser targets: opening a page to the first presented frame,
 * in Chromium, on the edge's supervisor page and through the hub's console
 * (real hub over HTTPS, real edge linked only by its tunnel, camera simulator;
 * testkit/console-stack.ts). Each opening is a fresh browser context (no
 * cache, no service worker) in a browser that is already running, as a
 * supervisor's is. Measured twice: signed in already (the session cookie is
 * set, the page is opened), and with the sign-in form filled and submitted
 * by the automation (its typing time included).
 */
import { chromium, type Browser, type Page } from 'playwright-core'
import { PASSWORDS, type ConsoleStack } from '../testkit/console-stack.js'
import { soakStack } from './lib/live-soak.js'
import { timeToFirstFrame } from './lib/live-view.js'
import { latencyStats, type LatencyStats } from './lib/stats.js'

export interface FirstFrameResult {
  openings: number
  edgeSignedIn: LatencyStats
  edgeWithSignIn: LatencyStats
  consoleSignedIn: LatencyStats
  consoleWithSignIn: LatencyStats
}

const CAMERA_LINK = '#cameras&camera=ct-center/cam-hall'

async function opening(browser: Browser, base: string, cookie: string | null, open: (page: Page) => Promise<void>, video: string): Promise<number> {
  const ctx = await browser.newContext({ ignoreHTTPSErrors: true })
  try {
    if (cookie) {
      const [name, value] = cookie.split(/=(.*)/s) as [string, string]
      await ctx.addCookies([{ name, value, url: base }])
    }
    const page = await ctx.newPage()
    const started = Date.now()
    await open(page)
    await timeToFirstFrame(page, video, 30_000)
    return Date.now() - started
  } finally {
    await ctx.close()
  }
}

export async function benchFirstFrame(stack: ConsoleStack, opts: { openings: number; log?: (s: string) => void }): Promise<FirstFrameResult> {
  const say = opts.log ?? (() => undefined)
  const soak = soakStack(stack)
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--autoplay-policy=no-user-gesture-required'],
  })
  const edgeBase = `http://127.0.0.1:${stack.edge.ports.http}`
  const hubBase = stack.hub.url
  const runs = { edgeSignedIn: [] as number[], edgeWithSignIn: [] as number[], consoleSignedIn: [] as number[], consoleWithSignIn: [] as number[] }
  try {
    const tile = '[data-camera="ct-center/cam-hall"]'
    const signInEdge = async (page: Page) => {
      await page.goto(`${edgeBase}/supervisor/`)
      await page.fill('input[name=username]', stack.edgeSupervisor.username)
      await page.fill('input[name=password]', stack.edgeSupervisor.password)
      await page.click('button[type=submit]')
    }
    // The sign-in lands on the overview (a form post keeps no #link): the person opens the camera tab and presses watch.
    const signInConsole = async (page: Page) => {
      await page.goto(`${hubBase}/console/`)
      await page.fill('input[name=username]', 'thanhtra')
      await page.fill('input[name=password]', PASSWORDS.thanhtra)
      await page.click('button[type=submit]')
      await page.click('nav.tabs [data-tab=cameras]')
      await page.click(`${tile} header button`)
    }
    // One unmeasured opening of each page: the browser's first page and the bundles' first serving are not what a supervisor waits for every morning.
    await soak.settled()
    await opening(browser, edgeBase, await stack.edgeLogin(), (p) => p.goto(`${edgeBase}/supervisor/`).then(() => undefined), '.tile video')
    await opening(browser, hubBase, await stack.login('thanhtra'), (p) => p.goto(`${hubBase}/console/${CAMERA_LINK}`).then(() => undefined), `${tile} video`)
    for (let i = 0; i < opts.openings; i++) {
      // Every opening meets what a supervisor meets: the camera online, its stream warm, the edge linked.
      await soak.settled()
      runs.edgeSignedIn.push(await opening(browser, edgeBase, await stack.edgeLogin(), (p) => p.goto(`${edgeBase}/supervisor/`).then(() => undefined), '.tile video'))
      runs.edgeWithSignIn.push(await opening(browser, edgeBase, null, signInEdge, '.tile video'))
      await soak.settled()
      runs.consoleSignedIn.push(await opening(browser, hubBase, await stack.login('thanhtra'), (p) => p.goto(`${hubBase}/console/${CAMERA_LINK}`).then(() => undefined), `${tile} video`))
      runs.consoleWithSignIn.push(await opening(browser, hubBase, null, signInConsole, `${tile} video`))
      say(`opening ${i + 1}: edge ${runs.edgeSignedIn.at(-1)} ms (with sign-in ${runs.edgeWithSignIn.at(-1)} ms), console ${runs.consoleSignedIn.at(-1)} ms (with sign-in ${runs.consoleWithSignIn.at(-1)} ms)`)
    }
  } finally {
    await browser.close()
  }
  return {
    openings: opts.openings,
    edgeSignedIn: latencyStats(runs.edgeSignedIn),
    edgeWithSignIn: latencyStats(runs.edgeWithSignIn),
    consoleSignedIn: latencyStats(runs.consoleSignedIn),
    consoleWithSignIn: latencyStats(runs.consoleWithSignIn),
  }
}
