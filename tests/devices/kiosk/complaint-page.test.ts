/**
 * The complaint offer on the kiosk page in Chromium (issue 16), against the
 * test edge: never required, declined by default when the citizen walks
 * away (from the offer or from a half-typed form, which then leaves the
 * page's memory), and not offered at all while the edge is unreachable or
 * when the site did not turn it on. The whole path to the console is in
 * tests/hub/cases/e2e.test.ts.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { parseTopic } from '../../../protocol/topics.js'
import { waitFor } from '../../../testkit/wait.js'
import { launchChromium, siteConfig, startKioskSite, type KioskSite } from './harness.js'

let browser: Browser
const open: { site?: KioskSite; context?: BrowserContext } = {}

beforeAll(async () => {
  browser = await launchChromium()
})
afterEach(async () => {
  await open.context?.close()
  await open.site?.close()
  open.context = open.site = undefined
})
afterAll(async () => {
  await browser?.close()
})

async function kiosk(site: KioskSite): Promise<Page> {
  open.context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  const page = await open.context.newPage()
  await page.goto(site.url)
  await page.waitForSelector('body[data-ready="true"][data-link="up"]', { timeout: 10_000 })
  return page
}

const complaintsSent = (site: KioskSite) => site.edge.routed.filter((r) => parseTopic(r.topic)?.kind === 'complaint')

describe('complaint offer on the kiosk page', () => {
  it('walking away from the offer, or from a half-typed form, ends on the thank-you with nothing sent and nothing kept', async () => {
    const site = (open.site = await startKioskSite(siteConfig(4), { idleMs: 2500, complaints: true }))
    const page = await kiosk(site)
    await page.click('button.level[data-level="4"]')
    await page.click('#skip')
    await page.waitForSelector('body[data-screen="offer"]')
    await page.waitForSelector('body[data-screen="thanks"]', { timeout: 10_000 })
    await page.waitForSelector('body[data-screen="start"]', { timeout: 10_000 })

    await page.click('button.level[data-level="4"]')
    await page.click('#skip')
    await page.click('#offer-yes')
    await page.fill('#complaint-comment', 'Chờ lâu quá')
    await page.fill('#complaint-phone', '0912345678')
    // Three times idleMs after the last keystroke the form gives up.
    await page.waitForSelector('body[data-screen="thanks"]', { timeout: 20_000 })
    await page.waitForSelector('body[data-screen="start"]', { timeout: 10_000 })
    await waitFor('both ratings', () => site.edge.ratings().length === 2)
    expect(site.edge.ratings().map((r) => r.level)).toEqual([4, 4])
    expect(complaintsSent(site)).toEqual([])

    // The next citizen's form starts empty.
    await page.click('button.level[data-level="4"]')
    await page.click('#skip')
    await page.click('#offer-yes')
    expect(await page.inputValue('#complaint-comment')).toBe('')
    expect(await page.inputValue('#complaint-phone')).toBe('')
    expect(await page.isChecked('#complaint-consent')).toBe(false)
  })

  it('is not offered while the edge is unreachable, nor where the site did not turn it on', async () => {
    const site = (open.site = await startKioskSite(siteConfig(4), { complaints: true }))
    const page = await kiosk(site)
    await site.edge.stop()
    await page.waitForSelector('body[data-link="down"]')
    await page.click('button.level[data-level="4"]')
    await page.click('#skip')
    await page.waitForSelector('body[data-screen="thanks"]')
    await open.context?.close()
    await site.close()

    const off = (open.site = await startKioskSite(siteConfig(4)))
    const page2 = await kiosk(off)
    await page2.click('button.level[data-level="4"]')
    await page2.click('#skip')
    await page2.waitForSelector('body[data-screen="thanks"]')
    await waitFor('the rating', () => off.edge.ratings().length === 1)
  })
})
