/**
 * The kiosk page against the real edge broker (edge/broker: authentication,
 * ACL, ingest, officer sign-in with scrypt PINs, PUBACK only after the outbox
 * stored the record), with the in-memory outbox of the broker tests.
 */
process.env.LOG_LEVEL ??= 'silent'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { hashPin } from '../../../common/secrets.js'
import { startTestBroker, type BrokerHarness } from '../../support/edge-broker.js'
import { testSite, type TestDevice } from '../../support/edge-site.js'
import { waitFor } from '../../../testkit/wait.js'
import { holdForStaff, launchChromium, startKioskServer, type KioskServer } from './harness.js'

let browser: Browser
let h: BrokerHarness | undefined
let server: KioskServer | undefined
let context: BrowserContext | undefined
let kiosk: TestDevice

beforeAll(async () => {
  browser = await launchChromium()
})
afterEach(async () => {
  await context?.close()
  await server?.close()
  await h?.close()
  context = server = h = undefined
})
afterAll(async () => {
  await browser?.close()
})

async function start(): Promise<Page> {
  const site = testSite({
    officers: [
      { id: 'nguyen-van-a', name: 'Nguyễn Văn A', department: 'justice' },
      { id: 'tran-thi-b', name: 'Trần Thị B', department: 'health' },
      { id: 'pham-thi-d', name: 'Phạm Thị D', department: 'justice', pinHash: await hashPin('2468') },
    ],
  })
  kiosk = site.devices.k1!
  h = await startTestBroker(site.config, { onOfficer: 'default' })
  const devices = site.config.devices
  server = await startKioskServer({
    site: site.config.site.id,
    counterOf: (d) => devices.find((x) => x.id === d && x.kind === 'kiosk')?.counter ?? null,
    wsPort: h.broker.ports.ws,
    thanksMs: 1500,
  })
  context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  const page = await context.newPage()
  await page.goto(server.pageUrl(kiosk.id, kiosk.secret))
  await page.waitForSelector('body[data-ready="true"][data-link="up"]', { timeout: 10_000 })
  return page
}

const ratings = () => h?.outbox.ofKind('rating') ?? []

describe('kiosk against the real edge broker', () => {
  it("draws the edge's config and has its ratings stored, enriched with counter, department and officer", async () => {
    const page = await start()
    expect(await page.locator('.counter-name').textContent()).toBe('Quầy 1')
    expect(await page.locator('.dept').textContent()).toBe('Sở Tư pháp')
    expect(await page.locator('.officer-name').textContent()).toBe('Nguyễn Văn A')
    await page.click('button.level[data-level="1"]')
    await page.waitForSelector('body[data-screen="start"]')
    await page.click('button.level[data-level="4"]')
    await page.click('button.chip[data-reason="wait"]')
    await page.click('#send')
    await waitFor('two stored ratings', () => ratings().length === 2)
    expect(ratings()).toEqual([
      expect.objectContaining({ device: 'kiosk-1', counter: 'q1', department: 'justice', officer: 'nguyen-van-a', level: 1, score: 100, reasons: [] }),
      expect.objectContaining({ level: 4, score: 0, dissatisfied: true, reasons: ['wait'], ticket: null }),
    ])
    expect(h!.broker.stats.rejectedTotal).toBe(0)
  })

  it('keeps a rating the edge could not store (no PUBACK) and has it stored exactly once when the edge recovers', async () => {
    const page = await start()
    h!.outbox.failWith('EDGE_DISK_FULL')
    await page.click('button.level[data-level="2"]')
    await page.waitForSelector('body[data-screen="thanks"]')
    // The edge drops the connection instead of acknowledging; the kiosk keeps retrying with the same id.
    await waitFor('the kiosk to send the refused rating again', () => h!.outbox.refused >= 2)
    expect(ratings()).toHaveLength(0)
    expect(await page.getAttribute('body', 'data-pending')).toBe('1')
    h!.outbox.failWith(null)
    await page.waitForSelector('body[data-link="up"][data-pending="0"]', { timeout: 15_000 })
    // Deliberately lets time pass: a duplicate would have every chance to be stored.
    await page.waitForTimeout(1000)
    expect(ratings().map((r) => r.level)).toEqual([2])
    const stored = h!.outbox.records.filter((r) => r.record.kind === 'rating')
    expect(stored.map((r) => r.dedupKey)).toEqual([`kiosk-1:${ratings()[0]!.eventId}`])
  })

  it('signs an officer in with a real PIN check; later ratings carry the officer', async () => {
    const page = await start()
    await holdForStaff(page)
    const enter = async (pin: string) => {
      await page.click('#staff button[data-officer="pham-thi-d"]')
      for (const d of pin) await page.click(`#staff .pinpad button.key:text-is("${d}")`)
      await page.click('#pin-ok')
    }
    await enter('1111')
    await page.waitForSelector('#staff-msg:has-text("Mã PIN không đúng")')
    await enter('2468')
    await page.waitForSelector('.officer-name:text-is("Phạm Thị D")')
    await page.waitForSelector('#staff', { state: 'detached' })
    await page.click('button.level[data-level="1"]')
    await waitFor('the rating', () => ratings().length === 1)
    expect(ratings()[0]).toMatchObject({ officer: 'pham-thi-d', counter: 'q1' })
  })
})
