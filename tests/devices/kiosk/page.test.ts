/**
 * The kiosk page in headless Chromium against a real aedes broker over
 * WebSocket: what a citizen presses is what reaches the broker, exactly once.
 */
process.env.LOG_LEVEL ??= 'silent'
import { mkdirSync } from 'node:fs'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { SCALES } from '../../../protocol/scales.js'
import { heartbeatMessage, statusMessage } from '../../../protocol/messages.js'
import { topics } from '../../../protocol/topics.js'
import { waitFor } from '../../../testkit/wait.js'
import { COUNTER, DEVICE, SECRET, SITE, STAFF_HOLD_MS, holdForStaff, launchChromium, siteConfig, startKioskSite, type KioskSite } from './harness.js'

const ARTIFACTS = 'test-artifacts/kiosk'
const PORTRAIT = { width: 800, height: 1280 }
const LANDSCAPE = { width: 1280, height: 800 }

let browser: Browser
const open: { site?: KioskSite; context?: BrowserContext } = {}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true })
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

async function kiosk(site: KioskSite, viewport = LANDSCAPE): Promise<Page> {
  open.context = await browser.newContext({ viewport, locale: 'vi-VN' })
  const page = await open.context.newPage()
  await page.goto(site.url)
  await page.waitForSelector('body[data-ready="true"][data-link="up"]', { timeout: 10_000 })
  return page
}

async function backToStart(page: Page): Promise<void> {
  await page.waitForSelector('body[data-screen="start"]', { timeout: 5000 })
}

describe('kiosk page', () => {
  it('sends exactly one rating per press on a 4-level scale, with the right level and scale', async () => {
    const site = (open.site = await startKioskSite(siteConfig(4)))
    const page = await kiosk(site)
    expect(await page.locator('button.level').count()).toBe(4)
    await page.screenshot({ path: `${ARTIFACTS}/start-landscape.png` })
    for (const level of [1, 2, 3, 4]) {
      await page.click(`button.level[data-level="${level}"]`)
      if (level === 4) await page.click('#skip')
      await waitFor(`rating ${level}`, () => site.edge.ratings().length === level)
      await backToStart(page)
    }
    const ratings = site.edge.ratings()
    expect(ratings.map((r) => r.level)).toEqual([1, 2, 3, 4])
    expect(ratings.every((r) => r.scale === 4 && r.ticket === undefined && r.reasons === undefined)).toBe(true)
    expect(new Set(ratings.map((r) => r.id)).size).toBe(4)
    const topic = topics.rating(SITE, COUNTER)
    expect(site.edge.received.filter((r) => r.topic === topic).every((r) => r.qos === 1)).toBe(true)
  })
})

describe('kiosk page, scales and reasons', () => {
  it.each([3, 5] as const)('renders the %i-level scale with its labels, and English on request', async (scale) => {
    const site = (open.site = await startKioskSite(siteConfig(scale)))
    const page = await kiosk(site, PORTRAIT)
    const labels = () => page.locator('button.level .label').allTextContents()
    expect(await labels()).toEqual(SCALES[scale].map((l) => l.vi))
    expect(await page.locator('button.level').evaluateAll((els) => els.map((e) => e.getAttribute('data-level')))).toEqual(
      SCALES[scale].map((_, i) => String(i + 1)),
    )
    await page.screenshot({ path: `${ARTIFACTS}/start-${scale}-portrait.png` })
    await page.click('button.lang')
    expect(await labels()).toEqual(SCALES[scale].map((l) => l.en))
    expect(await page.locator('h1.question').textContent()).toBe('How satisfied are you with our service?')
    await page.click(`button.level[data-level="1"]`)
    await backToStart(page)
    // The next citizen starts in Vietnamese again.
    expect(await labels()).toEqual(SCALES[scale].map((l) => l.vi))
    await waitFor('the rating', () => site.edge.ratings().length === 1)
    expect(site.edge.ratings()[0]).toMatchObject({ scale, level: 1 })
  })

  it('carries the reason chips chosen after a dissatisfied rating', async () => {
    const site = (open.site = await startKioskSite(siteConfig(4)))
    const page = await kiosk(site, PORTRAIT)
    await page.click('button.level[data-level="4"]')
    await page.waitForSelector('body[data-screen="reasons"]')
    expect(await page.locator('button.chip').count()).toBe(4)
    await page.click('button.chip[data-reason="wait"]')
    await page.click('button.chip[data-reason="guidance"]')
    await page.click('button.chip[data-reason="attitude"]')
    await page.click('button.chip[data-reason="guidance"]')
    expect(await page.getAttribute('button.chip[data-reason="attitude"]', 'aria-pressed')).toBe('true')
    expect(await page.getAttribute('button.chip[data-reason="guidance"]', 'aria-pressed')).toBe('false')
    await page.screenshot({ path: `${ARTIFACTS}/reasons-portrait.png` })
    // Nothing is sent before the citizen is done with the chips.
    expect(site.edge.ratings()).toHaveLength(0)
    await page.click('#send')
    await page.waitForSelector('.ack[data-acked="true"]')
    // Read before the screenshot: the thanks screen lasts 2 s, and a screenshot on a loaded machine can take that.
    expect(await page.locator('.thanks h1').textContent()).toBe('Cảm ơn quý khách!')
    await page.screenshot({ path: `${ARTIFACTS}/thanks-portrait.png` })
    expect(site.edge.ratings()).toEqual([expect.objectContaining({ scale: 4, level: 4, reasons: ['wait', 'attitude'] })])
    await backToStart(page)
  })

  it('sends the rating when a citizen walks away from the reason chips, and returns to the start', async () => {
    const site = (open.site = await startKioskSite(siteConfig(5), { idleMs: 3000 }))
    const page = await kiosk(site)
    await page.click('button.level[data-level="5"]')
    await page.waitForSelector('body[data-screen="reasons"]')
    // The chip first: the screen gives up idleMs after it appeared, and a screenshot on a loaded machine is slow.
    await page.click('button.chip[data-reason="documents"]')
    await page.screenshot({ path: `${ARTIFACTS}/reasons-landscape.png` })
    await waitFor('the rating of a citizen who left', () => site.edge.ratings().length === 1)
    expect(site.edge.ratings()[0]).toMatchObject({ scale: 5, level: 5, reasons: ['documents'] })
    await backToStart(page)
  })

  it('"Bỏ qua" sends the dissatisfied rating without reasons', async () => {
    const site = (open.site = await startKioskSite(siteConfig(3)))
    const page = await kiosk(site)
    await page.click('button.level[data-level="3"]')
    await page.click('button.chip[data-reason="wait"]')
    await page.click('#skip')
    await waitFor('the rating', () => site.edge.ratings().length === 1)
    expect(site.edge.ratings()[0]).toEqual(expect.objectContaining({ scale: 3, level: 3 }))
    expect(site.edge.ratings()[0]?.reasons).toBeUndefined()
  })
})

describe('kiosk page, offline', () => {
  it('keeps a press made while the broker is down and delivers it once when the broker returns', async () => {
    const site = (open.site = await startKioskSite(siteConfig(4)))
    const page = await kiosk(site)
    await site.edge.stop()
    await page.waitForSelector('body[data-link="down"]')
    await page.click('button.level[data-level="2"]')
    await page.waitForSelector('body[data-screen="thanks"][data-pending="1"]')
    // The citizen sees a normal thank-you: no error, no warning, no tick.
    const text = (await page.locator('body').innerText()).toLowerCase()
    expect(text).toContain('cảm ơn quý khách!')
    for (const word of ['lỗi', 'error', 'kết nối', 'offline']) expect(text).not.toContain(word)
    expect(await page.getAttribute('.ack', 'data-acked')).toBe('false')
    await page.screenshot({ path: `${ARTIFACTS}/thanks-offline-landscape.png` })
    expect(site.edge.ratings()).toHaveLength(0)

    await site.edge.start()
    await page.waitForSelector('body[data-link="up"][data-pending="0"]', { timeout: 15_000 })
    // Deliberately lets time pass: a duplicate gets every chance to show up before counting.
    await new Promise((r) => setTimeout(r, 1000))
    const ratings = site.edge.ratings()
    expect(ratings).toHaveLength(1)
    expect(ratings[0]).toMatchObject({ scale: 4, level: 2 })
  })

  it('survives a reload with an unsent press in IndexedDB and sends it with the same event id', async () => {
    const site = (open.site = await startKioskSite(siteConfig(4)))
    const page = await kiosk(site)
    expect(page.url()).not.toContain('secret')
    await site.edge.stop()
    await page.waitForSelector('body[data-link="down"]')
    await page.click('button.level[data-level="3"]')
    await page.waitForSelector('body[data-pending="1"]')
    const stored = await page.evaluate(
      (db) =>
        new Promise<string[]>((resolve, reject) => {
          const open = indexedDB.open(db)
          open.onerror = () => reject(open.error)
          open.onsuccess = () => {
            const rq = open.result.transaction('pending').objectStore('pending').getAllKeys()
            rq.onsuccess = () => resolve(rq.result.map(String))
            open.result.close()
          }
        }),
      `motcua-kiosk-${DEVICE}`,
    )
    expect(stored).toHaveLength(1)

    // The page server is up but the broker is not: the kiosk must come back from its cached config.
    await page.reload()
    await page.waitForSelector('body[data-screen="start"][data-link="down"][data-pending="1"]')
    expect(await page.locator('button.level').count()).toBe(4)

    await site.edge.start()
    await page.waitForSelector('body[data-link="up"][data-pending="0"]', { timeout: 15_000 })
    // Deliberately lets time pass: a duplicate gets every chance to show up before counting.
    await new Promise((r) => setTimeout(r, 1000))
    const ratings = site.edge.ratings()
    expect(ratings.map((r) => r.id)).toEqual(stored)
    expect(ratings[0]).toMatchObject({ scale: 4, level: 3 })
  })
})

/** A press on the counter name shorter than the staff gesture. */
async function tapCounterName(page: Page, ms: number): Promise<void> {
  await page.hover('#counter-name')
  await page.mouse.down()
  await page.waitForTimeout(ms)
  await page.mouse.up()
}

async function enterPin(page: Page, officer: string, pin: string): Promise<void> {
  await page.click(`#staff button[data-officer="${officer}"]`)
  for (const d of pin) await page.click(`#staff .pinpad button.key:text-is("${d}")`)
  await page.click('#pin-ok')
}

describe('kiosk page, staff and queue', () => {
  it('opens the staff panel only on a 3 s hold; a wrong PIN is refused, a right one changes the officer on duty', async () => {
    const site = (open.site = await startKioskSite(siteConfig(4)))
    const page = await kiosk(site)
    await tapCounterName(page, 500)
    expect(await page.locator('#staff').count()).toBe(0)
    expect(await holdForStaff(page)).toBeGreaterThanOrEqual(STAFF_HOLD_MS)

    await enterPin(page, 'tran-thi-binh', '1357')
    await page.waitForSelector('#staff-msg:has-text("Mã PIN không đúng")')
    await page.screenshot({ path: `${ARTIFACTS}/staff-pin-wrong-landscape.png` })
    expect(await page.locator('.officer-name').textContent()).toBe('Nguyễn Văn An')

    await enterPin(page, 'tran-thi-binh', '2468')
    await page.waitForSelector('.officer-name:text-is("Trần Thị Bình")')
    await page.waitForSelector('#staff-msg:has-text("Đã nhận ca")')
    expect(site.edge.officerMessages()).toEqual([
      expect.objectContaining({ action: 'sign-in', officer: 'tran-thi-binh', pin: '1357' }),
      expect.objectContaining({ action: 'sign-in', officer: 'tran-thi-binh', pin: '2468' }),
    ])
    // The panel closes by itself after a successful sign-in.
    await page.waitForSelector('#staff', { state: 'detached' })

    await holdForStaff(page)
    // Sign-out takes the on-duty officer's PIN: without one the panel asks for it and sends nothing.
    await page.click('#sign-out')
    await page.waitForSelector('#staff-msg:has-text("Nhập mã PIN của cán bộ đang trực")')
    expect(site.edge.officerMessages()).toHaveLength(2)
    for (const d of '2468') await page.click(`#staff .pinpad button.key:text-is("${d}")`)
    await page.click('#sign-out')
    await page.waitForSelector('.officer-label:text-is("Chưa có cán bộ trực")')
    expect(site.edge.officerMessages().at(-1)).toMatchObject({ action: 'sign-out', pin: '2468' })
  })

  it('invites the called ticket to rate and carries it in exactly one rating', async () => {
    const site = (open.site = await startKioskSite(siteConfig(4)))
    const page = await kiosk(site, PORTRAIT)
    await site.edge.publishPrompt('A123')
    await page.waitForSelector('.invite[data-ticket="A123"]')
    expect(await page.locator('.invite').innerText()).toContain('Mời quý khách đánh giá')
    await page.screenshot({ path: `${ARTIFACTS}/prompt-portrait.png` })
    await page.click('button.level[data-level="1"]')
    await backToStart(page)
    expect(await page.locator('.invite').count()).toBe(0)
    await page.click('button.level[data-level="2"]')
    await backToStart(page)
    // The same ticket called again is not offered a second time.
    await site.edge.publishPrompt('A123')
    await site.edge.publishPrompt('B7')
    await page.waitForSelector('.invite[data-ticket="B7"]')
    await page.click('button.level[data-level="4"]')
    await page.click('#send')
    await waitFor('three ratings', () => site.edge.ratings().length === 3)
    expect(site.edge.ratings().map((r) => [r.level, r.ticket])).toEqual([
      [1, 'A123'],
      [2, undefined],
      [4, 'B7'],
    ])
  })

  it('publishes a retained online status, heartbeats, and leaves an offline last-will when the tablet goes away', async () => {
    const site = (open.site = await startKioskSite(siteConfig(4), { heartbeatMs: 300 }))
    await kiosk(site)
    const statusTopic = topics.status(SITE, COUNTER, DEVICE)
    const status = site.edge.ofKind('status')
    expect(status[0]).toMatchObject({ topic: statusTopic, retain: true, qos: 1 })
    expect(statusMessage.parse(JSON.parse(status[0]!.text))).toMatchObject({ online: true, kind: 'kiosk' })
    await waitFor('two heartbeats', () => site.edge.ofKind('heartbeat').length >= 2)
    for (const hb of site.edge.ofKind('heartbeat')) {
      expect(hb.topic).toBe(topics.heartbeat(SITE, COUNTER, DEVICE))
      expect(heartbeatMessage.safeParse(JSON.parse(hb.text)).success).toBe(true)
    }
    await open.context?.close()
    open.context = undefined
    const will = () => site.edge.routed.find((r) => r.topic === statusTopic && JSON.parse(r.text).online === false)
    await waitFor('the last-will', will)
    expect(will()).toMatchObject({ retain: true, qos: 1 })
  })
})

describe('kiosk page, setup', () => {
  it('asks IT staff for the secret once, shows a wrong one only behind the staff gesture, and keeps the right one', async () => {
    const site = (open.site = await startKioskSite(siteConfig(3, { officer: { id: 'an', name: 'Nguyễn Văn An', photo: PHOTO } })))
    open.context = await browser.newContext({ viewport: PORTRAIT })
    const page = await open.context.newPage()
    const bare = site.url.replace(/#.*$/, '')
    await page.goto(bare)
    await page.waitForSelector('body[data-screen="setup"]')
    await page.screenshot({ path: `${ARTIFACTS}/setup-portrait.png` })
    await page.fill('#secret-input', 'not-the-secret')
    await page.click('#secret-save')
    // A wrong secret: the citizen sees a neutral start-up screen, never an error.
    await page.waitForSelector('body[data-screen="boot"]')
    // Deliberately lets time pass: an error message would have time to appear.
    await page.waitForTimeout(500)
    expect((await page.locator('body').innerText()).toLowerCase()).not.toMatch(/error|lỗi|authori/)
    await holdForStaff(page, '#boot-title')
    const diag = await page.locator('#diag').innerText()
    expect(diag).toContain(DEVICE)
    expect(diag).toMatch(/Not authorized|Bad username/)
    expect(diag).not.toContain('not-the-secret')
    await page.fill('#staff #secret-input', SECRET)
    await page.click('#staff #secret-save')
    await page.waitForSelector('body[data-ready="true"][data-link="up"]')
    // The officer's photo from the config is shown (a data: URL, allowed by the page's CSP).
    expect(await page.locator('.officer img.photo').evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBeGreaterThan(0)
    await page.reload()
    await page.waitForSelector('body[data-ready="true"][data-link="up"]')
    expect(site.edge.ratings()).toHaveLength(0)
  })

  it('tells staff when the edge does not know the device', async () => {
    const site = (open.site = await startKioskSite(siteConfig(4)))
    open.context = await browser.newContext({ viewport: LANDSCAPE })
    const page = await open.context.newPage()
    await page.goto(site.url.replace(`device=${DEVICE}`, 'device=kiosk-zz'))
    await page.waitForSelector('body[data-screen="setup"]')
    expect(await page.locator('main').innerText()).toContain('Thiết bị chưa được khai báo')
  })
})

const PHOTO =
  'data:image/svg+xml;base64,' +
  Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64" fill="#90caf9"/><circle cx="32" cy="26" r="12" fill="#0d47a1"/><rect x="14" y="42" width="36" height="22" rx="11" fill="#0d47a1"/></svg>').toString('base64')
