/**
 * Issue 16 end to end: a citizen at the kiosk (headless Chromium) served by a
 * real edge (startEdge: broker, LevelDB outbox, forwarder) rates dissatisfied,
 * is offered a complaint, leaves a comment and a phone number; the record
 * crosses the outbox to a real hub and influxd and opens a case. The site's
 * supervisor sees it in the console's "Phản ánh" tab with its clock (equal to
 * the pure functions), on the audit log, and adds a progress update; the IOC
 * sees the clock and never the comment or the phone, in the console and in
 * GET /api/v1/cases; nothing personal reaches the hub's or the edge's log.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import pino from 'pino'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashPassword, hashSecret, newSecret } from '../../../common/secrets.js'
import { edgeConfigSchema } from '../../../edge/config/schema.js'
import { startEdge, type RunningEdge } from '../../../edge/main.js'
import { workCalendar } from '../../../hub/cases/calendar.js'
import { caseClocks } from '../../../hub/cases/deadlines.js'
import { openCase, type Complaint } from '../../../hub/cases/fold.js'
import { hubConfigSchema } from '../../../hub/config/schema.js'
import { startHub, type RunningHub } from '../../../hub/main.js'
import { startInfluxd, type Influxd } from '../../../testkit/influxd.js'
import { waitFor } from '../../../testkit/wait.js'
import { launchChromium } from '../../devices/kiosk/harness.js'
import { signInConsole } from '../../support/console.js'
import { testSite } from '../../support/edge-site.js'
import { influxRows, request } from '../helpers.js'
import { responseSchema, validate } from '../openapi-validate.js'

const ARTIFACTS = 'test-artifacts/cases'
const DB = 'motcua_cases_e2e'
const SITE = 'ct-center'
const TOKEN = 'cases-e2e-edge-token-0123456789'
const IOC_KEY = 'ioc-key-cases-e2e-0123456789abcdef'
const PASSWORDS = { giamsat: 'gs-password-0123456789', ioc: 'ioc-password-0123456789' } as const
const COMMENT = 'Chờ 2 tiếng mà không được hướng dẫn hồ sơ'
const PHONE = '0912 345 678'

/** Every log line of the hub and the edge, to show that no personal data is in them. */
const logged: string[] = []
const log = pino({ level: 'debug' }, new Writable({ write: (chunk: Buffer, _enc, done) => { logged.push(chunk.toString()); done() } }))

let influx: Influxd
let hub: RunningHub
let edge: RunningEdge
let browser: Browser
let dir: string
let kioskSecret: string

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true })
  dir = mkdtempSync(join(tmpdir(), 'motcua-cases-e2e-'))
  influx = await startInfluxd()
  hub = await startHub(hubConfigSchema.parse({
    http: { host: '127.0.0.1', port: 0 },
    influx: { version: 1, url: influx.url, database: DB },
    edges: [{ site: SITE, tokenHash: hashSecret(TOKEN) }],
    province: 'can-tho',
    sites: [{ id: SITE, name: 'Trung tâm Phục vụ hành chính công Cần Thơ' }],
    apiKeys: [{ id: 'ioc', keyHash: hashSecret(IOC_KEY), scope: 'ioc' }],
    users: [
      { username: 'giamsat', name: 'Lê Thị Giám Sát', role: 'supervisor', sites: [SITE], passwordHash: await hashPassword(PASSWORDS.giamsat) },
      { username: 'ioc', name: 'Trung tâm IOC', role: 'ioc', passwordHash: await hashPassword(PASSWORDS.ioc) },
    ],
    sessionSecret: newSecret(),
  }), { log: log.child({ part: 'hub' }) })
  const site = testSite()
  kioskSecret = site.devices.k1!.secret
  edge = await startEdge(edgeConfigSchema.parse({
    ...site.config,
    hub: { url: hub.url, token: TOKEN, backoffMinMs: 50, backoffMaxMs: 300 },
    outbox: { dir: join(dir, 'outbox') },
    complaints: true,
  }), { log: log.child({ part: 'edge' }) })
  browser = await launchChromium()
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await edge?.stop()
  await hub?.stop()
  await influx?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

async function signIn(user: keyof typeof PASSWORDS): Promise<Page> {
  const page = await signInConsole(browser, hub.url, user, PASSWORDS[user])
  await page.click('nav.tabs [data-tab=cases]')
  return page
}

const complaints = () => influxRows(influx.url, DB, 'SELECT * FROM "complaint"').catch(() => [])

describe('a complaint from the kiosk to the console (issue 16)', () => {
  let stored: Record<string, unknown>

  it('the kiosk offers a complaint after a dissatisfied rating, refuses a bad phone number with a clear message, and sends it with consent', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    const page = await ctx.newPage()
    await page.goto(`http://127.0.0.1:${edge.ports.http}/kiosk/?device=kiosk-1#secret=${kioskSecret}`)
    await page.waitForSelector('body[data-ready="true"][data-link="up"]', { timeout: 15_000 })
    // A satisfied rating is not followed by the offer.
    await page.click('button.level[data-level="1"]')
    await page.waitForSelector('body[data-screen="thanks"]')
    await page.waitForSelector('body[data-screen="start"]', { timeout: 15_000 })
    await page.click('button.level[data-level="4"]')
    await page.click('button.chip[data-reason="wait"]')
    await page.click('#send')
    await page.waitForSelector('body[data-screen="offer"]')
    expect(await page.locator('main h1').textContent()).toBe('Quý khách có muốn gửi ý kiến phản ánh?')
    expect(await page.locator('#offer-no').textContent()).toBe('Không, cảm ơn')
    await page.click('#offer-yes')
    await page.waitForSelector('body[data-screen="complaint"]')
    await page.fill('#complaint-comment', COMMENT)
    await page.fill('#complaint-phone', '0123 456 78')
    await page.click('#complaint-send')
    expect(await page.locator('#complaint-problems').textContent()).toBe(
      'Số điện thoại chưa đúng (ví dụ 0912 345 678). Vui lòng đánh dấu đồng ý để gửi.')
    // What was typed survives the redraw; English is one touch away.
    expect(await page.inputValue('#complaint-comment')).toBe(COMMENT)
    await page.click('button.lang')
    expect(await page.locator('main h1').textContent()).toBe('Your comment')
    await page.fill('#complaint-phone', PHONE)
    await page.check('#complaint-consent')
    await page.screenshot({ path: `${ARTIFACTS}/kiosk-complaint-form.png` })
    await page.click('#complaint-send')
    await page.waitForSelector('body[data-screen="thanks"]')
    await ctx.close()

    const rows = await waitFor('the complaint in InfluxDB', async () => {
      const r = await complaints()
      return r.length === 1 ? r : null
    }, { timeoutMs: 20_000 })
    stored = rows[0]!
    const ratings = await influxRows(influx.url, DB, 'SELECT * FROM "rating" WHERE "level" = \'4\'')
    expect(stored).toMatchObject({
      site: SITE, department: 'justice', counter: 'q1', officer: 'nguyen-van-a', comment: COMMENT, phone: '0912345678', lang: 'en', level: 4,
      rating: ratings[0]?.event_id,
    })
  })

  it('the site\'s supervisor sees the case in the console with its clock, on the audit log, and adds a progress update', async () => {
    const page = await signIn('giamsat')
    const row = page.locator(`#cases-table tr[data-case="${SITE}/${String(stored.event_id)}"]`)
    await row.waitFor()
    const c: Complaint = {
      site: SITE, id: String(stored.event_id), at: Number(new Date(String(stored.time))), department: 'justice', counter: 'q1',
      officer: 'nguyen-van-a', device: 'kiosk-1', rating: String(stored.rating), level: 4, comment: COMMENT, phone: '0912345678', lang: 'en',
    }
    const next = caseClocks(openCase(c), workCalendar(), Date.now()).next!
    expect(next.clock).toBe('handle')
    expect(await row.locator('td.days').getAttribute('data-days-left')).toBe(String(next.daysLeft))
    expect(await row.locator('td.days').textContent()).toBe(`${next.daysLeft} ngày`)
    expect(await row.locator('td.deadline').textContent()).toContain('Hạn xử lý (20 ngày)')
    expect(await row.locator('td.comment').textContent()).toBe(COMMENT)
    expect(await row.locator('td.phone').textContent()).toBe('0912345678')
    expect(await page.locator('#cases p.notice').textContent()).toContain('việc xem được ghi nhật ký')
    // 20 days away: no deadline near, so no banner.
    expect(await page.locator('#cases-due-soon').count()).toBe(0)
    await page.screenshot({ path: `${ARTIFACTS}/console-cases-supervisor.png` })
    const audit = await influxRows(influx.url, DB, 'SELECT "detail", "user" FROM "audit" WHERE "action" = \'export\'')
    expect(audit.some((a) => a.user === 'giamsat' && String(a.detail).startsWith('/console/api/cases'))).toBe(true)

    await row.locator('button[data-act=progress]').click()
    await page.fill('form[data-action=progress] input[name=note]', 'Đã gọi điện, hẹn bổ sung hồ sơ')
    await page.click('form[data-action=progress] button[type=submit]')
    await page.locator(`#cases-table tr[data-case="${SITE}/${String(stored.event_id)}"] ul.history li`).first().waitFor()
    expect(await page.locator(`#cases-table tr[data-case="${SITE}/${String(stored.event_id)}"] ul.history`).textContent()).toContain('Cập nhật tiến độ · Đã gọi điện, hẹn bổ sung hồ sơ')
    // Assigned to another department of the site, named from the edge's directory.
    await row.locator('button[data-act=assign]').click()
    expect(await page.locator('form[data-action=assign] select[name=department] option').allTextContents()).toEqual(['Sở Tư pháp', 'Sở Y tế'])
    await page.selectOption('form[data-action=assign] select[name=department]', 'health')
    await page.fill('form[data-action=assign] input[name=handler]', 'Trần Thị B')
    await page.click('form[data-action=assign] button[type=submit]')
    await page.locator(`#cases-table tr[data-case="${SITE}/${String(stored.event_id)}"] ul.history li`).nth(1).waitFor()
    const assigned = page.locator(`#cases-table tr[data-case="${SITE}/${String(stored.event_id)}"]`)
    expect(await assigned.locator('td').nth(2).textContent()).toBe('Sở Y tế')
    expect(await assigned.locator('td').nth(8).textContent()).toBe('Trần Thị B')
    // Closing before the result is refused, with the reason.
    const refused = await page.evaluate(async (path) => (await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json(), `/console/api/cases/${SITE}/${String(stored.event_id)}/close`)
    expect(refused).toMatchObject({ error: { code: 'HUB_CASE_ACTION_INVALID' } })
    expect(JSON.stringify(refused)).toContain('record the result before closing the case')
    await page.context().close()
  })

  it('the IOC sees the case and its clock, never the comment, the phone or the notes, in the console and in the API', async () => {
    const page = await signIn('ioc')
    const row = page.locator(`#cases-table tr[data-case="${SITE}/${String(stored.event_id)}"]`)
    await row.waitFor()
    expect(await row.locator('td.days').textContent()).toMatch(/^\d+ ngày$/)
    const text = await page.locator('#cases').innerText()
    expect(text).not.toContain('0912345678')
    expect(text).not.toContain(COMMENT)
    expect(text).not.toContain('hẹn bổ sung')
    expect(await row.locator('button').count()).toBe(0)
    const answer = await page.evaluate(async () => (await fetch('/console/api/cases')).text())
    expect(answer).not.toMatch(/0912345678|Chờ 2 tiếng|hẹn bổ sung/)
    expect(JSON.parse(answer)).toMatchObject({ dueSoon: 0, dueSoonDays: 2 })
    await page.context().close()

    const api = await request(`${hub.url}/api/v1/cases?site=${SITE}`, { token: IOC_KEY })
    expect(api.status).toBe(200)
    const doc = (await request(`${hub.url}/api/openapi.json`)).body as Record<string, unknown>
    expect(validate(doc, responseSchema(doc, '/api/v1/cases', 'get', 200), api.body)).toEqual([])
    expect((api.body as { data: { id: string; status: string }[] }).data).toEqual([expect.objectContaining({ id: stored.event_id, status: 'open' })])
    expect(api.text).not.toMatch(/0912345678|Chờ 2 tiếng|hẹn bổ sung|nguyen-van-a/)
  })

  it('no log line of the hub or the edge carries the comment, the phone number or the note', () => {
    expect(logged.length).toBeGreaterThan(0)
    for (const line of logged) expect(line).not.toMatch(/0912345678|912 345 678|Chờ 2 tiếng|hẹn bổ sung/)
  })
})
