/**
 * The kiosk as a citizen uses it, served by the real edge (startEdge: broker,
 * LevelDB outbox, forwarder) → hub → influxd 1.6, in headless Chromium:
 * one point per press with its enrichment and ticket, a press made while
 * the edge is down arrives once after it restarts on the same ports, officer
 * sign-in with a real PIN check, and another counter's credentials refused.
 */
process.env.LOG_LEVEL ??= 'silent'
import { mkdirSync } from 'node:fs'
import mqtt from 'mqtt'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashPin } from '../../common/secrets.js'
import { topics } from '../../protocol/topics.js'
import { holdForStaff, launchChromium } from '../devices/kiosk/harness.js'
import { testSite } from '../support/edge-site.js'
import { waitFor } from '../../testkit/wait.js'
import { startRatingStack, type RatingStack } from './rating-stack.js'

const ARTIFACTS = 'test-artifacts/kiosk'
const SITE = 'ct-center'
let stack: RatingStack
let browser: Browser
let context: BrowserContext
let page: Page
let site: Awaited<ReturnType<typeof makeSite>>

const makeSite = async () =>
  testSite({
    officers: [
      { id: 'nguyen-van-a', name: 'Nguyễn Văn A', department: 'justice' },
      { id: 'tran-thi-b', name: 'Trần Thị B', department: 'health' },
      { id: 'pham-thi-d', name: 'Phạm Thị D', department: 'justice', pinHash: await hashPin('2468') },
    ],
  })

const Q = 'SELECT * FROM rating'
const kioskUrl = () => `http://127.0.0.1:${stack.edge.ports.http}/kiosk/?device=kiosk-1#secret=${site.devices.k1!.secret}`

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true })
  site = await makeSite()
  // Presses here are seconds apart (the thank-you screen) and more numerous than tickets called: the misuse filter has its own tests.
  stack = await startRatingStack(site.config, 'motcua_kiosk_e2e', { misuse: { rapidWindowS: 1, excessAllowance: 100 } })
  browser = await launchChromium()
  context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  page = await context.newPage()
  await page.goto(kioskUrl())
  await page.waitForSelector('body[data-ready="true"][data-link="up"]', { timeout: 15_000 })
}, 60_000)

afterAll(async () => {
  await context?.close()
  await browser?.close()
  await stack?.close()
})

async function rate(level: number, reason?: string): Promise<void> {
  await page.waitForSelector('body[data-screen="start"]', { timeout: 10_000 })
  await page.click(`button.level[data-level="${level}"]`)
  if (reason) {
    await page.click(`button.chip[data-reason="${reason}"]`)
    await page.click('#send')
  }
  await page.waitForSelector('body[data-screen="thanks"]')
}

describe('kiosk on the real edge, through the hub to InfluxDB', () => {
  it('is served by the edge; screenshots in portrait and landscape', async () => {
    expect(await page.locator('.counter-name').textContent()).toBe('Quầy 1')
    expect(await page.locator('.dept').textContent()).toBe('Sở Tư pháp')
    await page.screenshot({ path: `${ARTIFACTS}/edge-landscape.png` })
    await page.setViewportSize({ width: 800, height: 1280 })
    await page.screenshot({ path: `${ARTIFACTS}/edge-portrait.png` })
    const base = `http://127.0.0.1:${stack.edge.ports.http}`
    expect((await fetch(`${base}/kiosk/kiosk.js`)).status).toBe(200)
    expect((await fetch(`${base}/kiosk/no-such-file`)).status).toBe(404)
    expect((await fetch(`${base}/healthz`)).status).toBe(200)
  })

  it('a click on each level gives exactly one point with counter, department, officer, level, score and ticket', async () => {
    const queue = await mqtt.connectAsync(`mqtt://127.0.0.1:${stack.edge.ports.mqtt}`, {
      clientId: 'queue-1', username: 'queue-1', password: site.devices.queue!.secret, reconnectPeriod: 0,
    })
    try {
      await queue.publishAsync(topics.ticket(SITE, 'q1'), JSON.stringify({ v: 1, id: 'tk-a123-called', ts: Date.now(), ticket: 'A123', event: 'called' }), { qos: 1 })
    } finally {
      await queue.endAsync()
    }
    await page.waitForSelector('.invite[data-ticket="A123"]', { timeout: 10_000 })
    await page.screenshot({ path: `${ARTIFACTS}/edge-prompt-portrait.png` })
    await rate(1)
    await rate(2)
    await rate(3)
    await rate(4, 'wait')
    const rows = await stack.waitRows(Q, (r) => r.length >= 4)
    // Deliberately lets time pass: nothing more arrives later (no duplicate points).
    await new Promise((r) => setTimeout(r, 1500))
    expect(await stack.rows(Q)).toHaveLength(4)
    const byLevel = Object.fromEntries(rows.map((r) => [r.level, r]))
    const expected = { 1: [100, 'A123'], 2: [66.7, ''], 3: [33.3, ''], 4: [0, ''] } as const
    for (const [level, [score, ticket]] of Object.entries(expected)) {
      expect(byLevel[level], `level ${level}`).toMatchObject({ counter: 'q1', department: 'justice', device: 'kiosk-1', officer: 'nguyen-van-a', scale: '4', ticket, misuse: '' })
      expect(byLevel[level]!.score as number).toBeCloseTo(score, 1)
    }
    expect(byLevel['4']).toMatchObject({ dissatisfied: true, reasons: 'wait' })
    expect(await stack.rows('SELECT * FROM ticket')).toEqual([expect.objectContaining({ counter: 'q1', ticket: 'A123', event: 'called' })])
  })

  it('a press made while the edge is down arrives exactly once after it restarts on the same ports', async () => {
    const before = (await stack.rows(Q)).length
    await page.waitForSelector('body[data-screen="start"]', { timeout: 10_000 })
    await stack.stopEdge()
    await page.waitForSelector('body[data-link="down"]', { timeout: 10_000 })
    await rate(2)
    // Pending once the page's store holds it (an IndexedDB write with strict durability, after the thanks screen).
    await page.waitForSelector('body[data-pending="1"]', { timeout: 10_000 })
    await stack.startEdge()
    await page.waitForSelector('body[data-link="up"][data-pending="0"]', { timeout: 30_000 })
    const rows = await stack.waitRows(Q, (r) => r.length > before)
    // Deliberately lets time pass: a duplicate point would have time to arrive.
    await new Promise((r) => setTimeout(r, 1500))
    expect(await stack.rows(Q)).toHaveLength(before + 1)
    expect(rows.filter((r) => r.level === '2')).toHaveLength(2)
  })

  it('refuses a wrong PIN; the right PIN puts the officer on later points', async () => {
    await page.waitForSelector('body[data-screen="start"]', { timeout: 10_000 })
    await holdForStaff(page)
    const enter = async (pin: string) => {
      await page.click('#staff button[data-officer="pham-thi-d"]')
      for (const d of pin) await page.click(`#staff .pinpad button.key:text-is("${d}")`)
      await page.click('#pin-ok')
    }
    await enter('1111')
    await page.waitForSelector('#staff-msg:has-text("Mã PIN không đúng")')
    expect(stack.edge.duty.officerAt('q1')).toBe('nguyen-van-a')
    await enter('2468')
    await page.waitForSelector('.officer-name:text-is("Phạm Thị D")')
    await page.waitForSelector('#staff', { state: 'detached' })
    const before = (await stack.rows(Q)).length
    await rate(3)
    const rows = await stack.waitRows(Q, (r) => r.length > before)
    expect(rows.filter((r) => r.officer === 'pham-thi-d')).toEqual([expect.objectContaining({ level: '3', counter: 'q1' })])
  })

  it("a kiosk with another counter's credentials cannot rate for this counter: error reply, no point", async () => {
    const k2 = site.devices.k2!
    const client = await mqtt.connectAsync(`ws://127.0.0.1:${stack.edge.ports.ws}/`, { clientId: k2.id, username: k2.id, password: k2.secret, reconnectPeriod: 0 })
    try {
      const replies: { code: string; id?: string }[] = []
      client.on('message', (_t, payload) => replies.push(JSON.parse(payload.toString()) as { code: string; id?: string }))
      await client.subscribeAsync(topics.down(SITE, 'q2', k2.id, 'error'), { qos: 1 })
      const before = (await stack.rows(Q)).length
      await client.publishAsync(topics.rating(SITE, 'q1'), JSON.stringify({ v: 1, id: 'foreign-press-1', ts: Date.now(), scale: 4, level: 1 }), { qos: 1 })
      await waitFor('an error reply', () => replies.length > 0)
      expect(replies).toEqual([expect.objectContaining({ code: 'EDGE_TOPIC_FORBIDDEN', id: 'foreign-press-1' })])
      // Deliberately gives the forwarder time to deliver anything it had: there must be nothing.
      await new Promise((r) => setTimeout(r, 1500))
      expect(await stack.rows(Q)).toHaveLength(before)
      expect(await stack.rows("SELECT * FROM rating WHERE event_id = 'foreign-press-1'")).toHaveLength(0)
    } finally {
      await client.endAsync()
    }
    // Nor can a tablet set up as this counter's kiosk connect with kiosk-2's secret.
    const other = await context.newPage()
    await other.goto(`http://127.0.0.1:${stack.edge.ports.http}/kiosk/?device=kiosk-1#secret=${k2.secret}`)
    await other.waitForSelector('body[data-link="down"]', { timeout: 10_000 })
    await other.waitForTimeout(2000) // deliberately lets time pass: the link must stay down in it
    expect(await other.getAttribute('body', 'data-link')).toBe('down')
    await other.close()
  })
})
