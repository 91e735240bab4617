/**
 * Alerts that reach people, end to end (issue 16): a real influxd holding a
 * site's directory, the morning's duty records (one counter nobody signs in
 * at) and its queue tickets (45 issued, none called), a real hub whose
 * background evaluation raises `counter_unstaffed` and `overload` from them
 * and sends them to a local HTTP receiver standing in for an SMS gateway,
 * and real Chromium: the administrator sees what was sent to whom in the
 * console, in Vietnamese first; the IOC does not; the API lists the same.
 * Screenshots go to test-artifacts/alert-delivery/.
 */
process.env.LOG_LEVEL ??= 'silent'
import { mkdirSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../common/log.js'
import { DAY_MS } from '../../common/time.js'
import { hashPassword, hashSecret, newSecret } from '../../common/secrets.js'
import { openingHoursSchema } from '../../hub/config/opening-hours.js'
import { hubConfigSchema } from '../../hub/config/schema.js'
import { toPoint } from '../../hub/influx/points.js'
import { localDayStart } from '../../hub/kpi/duty.js'
import { startHub, type RunningHub } from '../../hub/main.js'
import { createWriter } from '../../hub/rollup/writer.js'
import type { EdgeRecord } from '../../protocol/records.js'
import { startInfluxd, type Influxd } from '../../testkit/influxd.js'
import { waitFor } from '../../testkit/wait.js'
import { CHROMIUM_ARGS } from '../devices/kiosk/harness.js'
import { responseSchema, validate } from './openapi-validate.js'
import { signInConsole } from '../support/console.js'

const ARTIFACTS = 'test-artifacts/alert-delivery'
const SITE = 'ct-canh-bao'
const SITE_NAME = 'Trung tâm Phục vụ hành chính công Cần Thơ'
const PHONE = '+84900000001'
const API_KEY = 'ct-canh-bao-api-key-0123456789abcdef'
const PASSWORDS = { quantri: 'quan-tri-he-thong', ioc: 'ioc-van-hanh-2026' } as const
const log = createLogger('test', 'silent')
// Every day open, so yesterday is an opening day whatever today is.
const HOURS = openingHoursSchema.parse({ weekdays: ['07:30-11:30', '13:30-17:00'], saturday: ['07:30-11:30', '13:30-17:00'], sunday: ['07:30-11:30', '13:30-17:00'] })
const DAY = localDayStart(Date.now()) - DAY_MS
const at = (h: number, m: number) => DAY + (h * 60 + m) * 60_000
/** The hub's clock, fixed at 09:30 yesterday: the morning below is "now" for every evaluation. */
const NOW = at(9, 30)
/** Yesterday as the messages write it, "23/11". */
const DM = `${new Date(at(7, 0)).toISOString().slice(8, 10)}/${new Date(at(7, 0)).toISOString().slice(5, 7)}`

interface Sent {
  id: string
  recipient: { id: string; to: string }
  lang: string
  text: string
  alert: { id: string; kind: string; transition: string; subjectName: string; raisedAt: number; details: Record<string, unknown> }
}

let influxd: Influxd
let hub: RunningHub | undefined
let browser: Browser | undefined
let receiver: http.Server
const received: { headers: http.IncomingHttpHeaders; body: string }[] = []
let seq = 0
const base = (t: number) => ({ seq: ++seq, t, clock: 'synced' as const })

/** The morning: the directory, an officer at q1 since 07:20 and nobody at q2 (nor at the spare q3); 45 tickets issued from 08:00, none called. */
function morning(): EdgeRecord[] {
  const records: EdgeRecord[] = [{
    kind: 'directory', ...base(DAY - DAY_MS), hash: 'c'.repeat(64), siteName: SITE_NAME,
    departments: [{ id: 'tu-phap', name: 'Sở Tư pháp' }],
    counters: [
      { id: 'q1', name: 'Quầy 1', department: 'tu-phap', officer: 'nguyen-van-a', kiosk: true },
      { id: 'q2', name: 'Quầy 2', department: 'tu-phap', officer: 'tran-thi-b', kiosk: true },
      // A spare counter with a kiosk and nobody posted: not meant to be staffed, so never "unstaffed".
      { id: 'q3', name: 'Quầy 3', department: 'tu-phap', officer: null, kiosk: true },
    ],
    officers: [{ id: 'nguyen-van-a', name: 'Nguyễn Văn A', department: 'tu-phap', signIn: true }, { id: 'tran-thi-b', name: 'Trần Thị B', department: 'tu-phap', signIn: true }],
  }, { kind: 'duty', ...base(at(7, 20)), event: 'in', reason: 'sign-in', counter: 'q1', officer: 'nguyen-van-a', device: 'k1', eventId: 'duty-e2e-0001' }]
  for (let i = 0; i < 45; i++) {
    const t = at(8, i)
    records.push({ kind: 'ticket', ...base(t), department: 'tu-phap', counter: 'tiep-nhan', device: 'queue-1', eventId: `ticket-e2e-${String(i).padStart(4, '0')}`, ticket: `A${String(i + 1).padStart(3, '0')}`, event: 'issued', deviceTs: t, edgeTs: t })
  }
  return records
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true })
  influxd = await startInfluxd()
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') })
      res.writeHead(202).end()
    })
  })
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
  const cfg = hubConfigSchema.parse({
    http: { host: '127.0.0.1', port: 0 },
    influx: { version: 1, url: influxd.url, database: 'motcua_alert_e2e' },
    edges: [{ site: SITE, tokenHash: hashSecret('ct-canh-bao-token-unused-0123456789') }],
    province: 'can-tho',
    sites: [{ id: SITE, name: SITE_NAME, openingHours: HOURS }],
    apiKeys: [{ id: 'man-hinh-ct', keyHash: hashSecret(API_KEY), scope: 'site', sites: [SITE] }],
    users: [
      { username: 'quantri', name: 'Quản trị viên', role: 'admin', passwordHash: await hashPassword(PASSWORDS.quantri) },
      { username: 'ioc', name: 'Trung tâm IOC', role: 'ioc', passwordHash: await hashPassword(PASSWORDS.ioc) },
    ],
    sessionSecret: newSecret(),
    alerts: {
      delivery: {
        send: true,
        webhooks: [{ id: 'sms', url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/sms` }],
        recipients: [{ id: 'giam-doc-ct', name: 'Trần Thị Bình (Giám đốc)', role: 'supervisor', sites: [SITE], webhook: { id: 'sms', to: PHONE } }],
      },
    },
  })
  const writer = createWriter(cfg.influx, { log })
  await writer.write(morning().map((r) => toPoint(SITE, r)))
  await writer.close()
  hub = await startHub(cfg, { log, now: () => NOW, alertEveryMs: 200 })
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS })
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await hub?.stop()
  await new Promise<void>((resolve) => receiver?.close(() => resolve()))
  await influxd?.stop()
})

const signIn = (user: keyof typeof PASSWORDS): Promise<Page> => signInConsole(browser!, hub!.url, user, PASSWORDS[user], { width: 1500, height: 900 })

describe('duty and ticket records raise alerts that reach people (issue 16)', () => {
  it('the unstaffed counter and the overloaded queue are sent to the subscribed supervisor by webhook, once each', async () => {
    const bodies = await waitFor('both alerts at the gateway', () => (received.length >= 2 ? received.map((r) => JSON.parse(r.body) as Sent) : null), { timeoutMs: 60_000 })
    const byKind = new Map(bodies.map((b) => [b.alert.kind as string, b]))
    expect([...byKind.keys()].sort()).toEqual(['counter_unstaffed', 'overload'])
    expect(byKind.get('counter_unstaffed')).toMatchObject({
      recipient: { id: 'giam-doc-ct', to: PHONE },
      lang: 'vi',
      text: `[Cảnh báo] Quầy không có cán bộ trong giờ tiếp dân: ${SITE_NAME}, Quầy 2; từ 07:30 ${DM}.`,
      alert: { id: `counter_unstaffed:${SITE}/q2:${at(7, 30)}`, transition: 'raised', subjectName: 'Quầy 2', raisedAt: NOW },
    })
    // 45 waiting, the 40th issued at 08:39; the first has waited 90 minutes.
    expect(byKind.get('overload')).toMatchObject({
      alert: { id: `overload:${SITE}:${at(8, 39)}`, details: { waiting: 45, longestWaitMin: 90 } },
    })
    expect(byKind.get('overload')!.text).toBe(`[Cảnh báo] Quá tải: người dân chờ lâu hoặc hàng chờ dài: ${SITE_NAME}; 45 vé đang chờ, lâu nhất 90 phút; từ 08:39 ${DM}.`)
    for (const r of received) expect(r.headers['idempotency-key']).toBe((JSON.parse(r.body) as { id: string }).id)
    expect(received).toHaveLength(2)
    // The hub logs a delivery once the gateway has answered it, a moment after the gateway saw it.
    await waitFor('both deliveries logged', async () => {
      const res = await fetch(`${hub!.url}/api/v1/alerts/deliveries?from=${DAY}`, { headers: { authorization: `Bearer ${API_KEY}` } })
      return ((await res.json()) as { data: unknown[] }).data.length >= 2
    })
  })

  it('the administrator sees what was sent to whom in the console, Vietnamese first; the phone number is not shown', async () => {
    const page = await signIn('quantri')
    expect(await page.textContent('nav.tabs [data-tab=sent]')).toBe('Cảnh báo đã gửi')
    await page.click('nav.tabs [data-tab=sent]')
    await page.waitForSelector('#alert-deliveries-table tbody tr')
    const rows = await page.$$eval('#alert-deliveries-table tbody tr', (trs) =>
      trs.map((tr) => ({ ...(tr as HTMLElement).dataset, cells: Array.from(tr.querySelectorAll('td'), (td) => td.textContent ?? '') }) as Record<string, string | undefined> & { cells: string[] }))
    expect(rows.map((r) => [r.recipient, r.channel, r.status, r.transition]).sort()).toEqual([
      ['giam-doc-ct', 'webhook', 'sent', 'raised'], ['giam-doc-ct', 'webhook', 'sent', 'raised'],
    ])
    const unstaffed = rows.find((r) => r.alert === `counter_unstaffed:${SITE}/q2:${at(7, 30)}`)!
    expect(unstaffed.cells.slice(1, 7)).toEqual(['Trần Thị Bình (Giám đốc)', 'Webhook (SMS, Zalo)', SITE_NAME, 'Phát sinh', 'Đã gửi', '1'])
    expect(unstaffed.cells[8]).toContain('Quầy không có cán bộ trong giờ tiếp dân')
    expect(await page.content()).not.toContain(PHONE)
    await page.screenshot({ path: `${ARTIFACTS}/sent-vi.png`, fullPage: true })

    // The alerts themselves, with their details.
    await page.click('nav.tabs [data-tab=alerts]')
    await page.waitForSelector('#alerts-table tr[data-kind=overload]')
    expect(await page.textContent('#alerts-table tr[data-kind=counter_unstaffed] td:nth-child(4)')).toBe('Quầy không có cán bộ trong giờ tiếp dân')
    expect(await page.textContent('#alerts-table tr[data-kind=overload] td:nth-child(5)')).toBe('45 vé đang chờ · chờ lâu nhất 90 phút')

    await page.click('#lang')
    await page.click('nav.tabs [data-tab=sent]')
    await page.waitForSelector('#alert-deliveries-table')
    expect(await page.$$eval('#alert-deliveries-table th', (ths) => ths.slice(0, 3).map((th) => th.textContent))).toEqual(['Time', 'Recipient', 'Channel'])
    await page.screenshot({ path: `${ARTIFACTS}/sent-en.png`, fullPage: true })
    await page.context().close()
  })

  it('the IOC has no such tab and the console refuses it the list; the API gives a site key its site\'s entries', async () => {
    const page = await signIn('ioc')
    expect(await page.isHidden('nav.tabs [data-tab=sent]')).toBe(true)
    const refused = await page.evaluate(async () => (await fetch('/console/api/alert-deliveries')).status)
    expect(refused).toBe(403)
    await page.context().close()

    const res = await fetch(`${hub!.url}/api/v1/alerts/deliveries?from=${DAY}`, { headers: { authorization: `Bearer ${API_KEY}` } })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { data: { recipient: string; status: string; kind: string }[] }
    const doc = (await (await fetch(`${hub!.url}/api/openapi.json`)).json()) as Record<string, unknown>
    expect(validate(doc, responseSchema(doc, '/api/v1/alerts/deliveries', 'get', 200), body)).toEqual([])
    expect(body.data.map((e) => [e.kind, e.recipient, e.status]).sort()).toEqual([['counter_unstaffed', 'giam-doc-ct', 'sent'], ['overload', 'giam-doc-ct', 'sent']])
    expect(JSON.stringify(body)).not.toContain(PHONE)
  })
})
