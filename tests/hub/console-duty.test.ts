/**
 * The console's duty tab in Chromium (issue 15, seed 003): a real influxd
 * holding a site's directory, its duty events and ratings for one known
 * past day, a real hub with console users, a real Chromium. Every figure on
 * the screen equals hub/kpi/duty.ts's pure functions over the same events;
 * the IOC sees counters' unstaffed time and no officer; Vietnamese first;
 * officers' duty is on the audit log. Screenshots go to test-artifacts/console-duty/.
 */
process.env.LOG_LEVEL ??= 'silent'
import { mkdirSync } from 'node:fs'
import ExcelJS from 'exceljs'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../common/log.js'
import { DAY_MS } from '../../common/time.js'
import { hashPassword, hashSecret, newSecret } from '../../common/secrets.js'
import { openingHoursSchema } from '../../hub/config/opening-hours.js'
import { hubConfigSchema } from '../../hub/config/schema.js'
import { dutyView } from '../../hub/console/duty.js'
import { counterDays, daysIn, dutyIntervals, localDayStart, officerDays, ratingsPerHour, type DutyEvent, type DutySchedule } from '../../hub/kpi/duty.js'
import { bucketOf } from '../../hub/kpi/time.js'
import { toPoint } from '../../hub/influx/points.js'
import { startHub, type RunningHub } from '../../hub/main.js'
import { createDirectory } from '../../hub/queries/directory.js'
import { FIRST_DATA_ROW, SHEET_NAMES } from '../../hub/reports/excel.js'
import { createWriter } from '../../hub/rollup/writer.js'
import type { DutyReason, EdgeRecord } from '../../protocol/records.js'
import { startInfluxd, type Influxd } from '../../testkit/influxd.js'
import { CHROMIUM_ARGS } from '../devices/kiosk/harness.js'
import { signInConsole } from '../support/console.js'

const ARTIFACTS = 'test-artifacts/console-duty'
const DB = 'motcua_console_duty'
const SITE = 'ct-duty'
const log = createLogger('test', 'silent')
const PASSWORDS = { thanhtra: 'thanh-tra-noi-vu-1', ioc: 'ioc-van-hanh-2026' } as const
// Every day open, so the known day is an opening day whatever today is.
const HOURS = openingHoursSchema.parse({ weekdays: ['07:30-11:30', '13:30-17:00'], saturday: ['07:30-11:30', '13:30-17:00'], sunday: ['07:30-11:30', '13:30-17:00'], lateAfterMin: 15 })
/** Three days ago, local: a whole past day. */
const DAY = localDayStart(Date.now()) - 3 * DAY_MS
const DAY_LABEL = bucketOf(DAY, 'day').label
/** The hub's clock, fixed (a day and a half after the known day), so the figures up to now are the pure functions' for the same now. */
const NOW = DAY + 2 * DAY_MS + 12 * 3_600_000
const at = (h: number, m: number) => DAY + (h * 60 + m) * 60_000
const NAMES = { 'nguyen-van-a': 'Nguyễn Văn A', 'tran-thi-b': 'Trần Thị B', 'le-van-c': 'Lê Văn C', 'pham-van-d': 'Phạm Văn D' } as const

let influxd: Influxd
let hub: RunningHub | undefined
let browser: Browser | undefined
let seq = 0
const records: EdgeRecord[] = []

const base = (t: number) => ({ seq: ++seq, t, clock: 'synced' as const })
function duty(t: number, event: 'in' | 'out', reason: DutyReason, counter: string, officer: string): void {
  records.push({ kind: 'duty', ...base(t), event, reason, counter, officer, device: 'k1', eventId: `duty-${seq}-0000` })
}
function rating(t: number, counter: string, officer: string, misuse: 'rapid' | null = null): void {
  records.push({
    kind: 'rating', ...base(t), department: 'tu-phap', counter, device: 'k1', officer, eventId: `evt-duty-${seq}`, scale: 4, level: 1, score: 100,
    dissatisfied: false, reasons: [], ticket: null, deviceTs: t, edgeTs: t, misuse,
  })
}

/** The day: A on time all day at q1, B 40 minutes late at q2 and gone at 16:00, C (posted at q3) absent, D (posted nowhere) an hour at q3. */
function theDay(): void {
  records.push({
    kind: 'directory', ...base(DAY - 86_400_000), hash: 'd'.repeat(64), siteName: 'Trung tâm Phục vụ hành chính công Cần Thơ',
    departments: [{ id: 'tu-phap', name: 'Sở Tư pháp' }],
    counters: [
      { id: 'q1', name: 'Quầy 1', department: 'tu-phap', officer: 'nguyen-van-a', kiosk: true },
      { id: 'q2', name: 'Quầy 2', department: 'tu-phap', officer: 'tran-thi-b', kiosk: true },
      { id: 'q3', name: 'Quầy 3', department: 'tu-phap', officer: 'le-van-c', kiosk: true },
      { id: 'q4', name: 'Quầy 4', department: 'tu-phap', officer: null, kiosk: false },
    ],
    officers: Object.entries(NAMES).map(([id, name]) => ({ id, name, department: 'tu-phap', signIn: true })),
  })
  duty(at(7, 25), 'in', 'sign-in', 'q1', 'nguyen-van-a')
  duty(at(11, 35), 'out', 'sign-out', 'q1', 'nguyen-van-a')
  duty(at(13, 20), 'in', 'sign-in', 'q1', 'nguyen-van-a')
  duty(at(17, 5), 'out', 'sign-out', 'q1', 'nguyen-van-a')
  duty(at(8, 10), 'in', 'sign-in', 'q2', 'tran-thi-b')
  duty(at(16, 0), 'out', 'sign-out', 'q2', 'tran-thi-b')
  duty(at(9, 0), 'in', 'sign-in', 'q3', 'pham-van-d')
  duty(at(10, 0), 'out', 'sign-out', 'q3', 'pham-van-d')
  for (let i = 0; i < 12; i++) rating(at(8, i * 5), 'q1', 'nguyen-van-a')
  rating(at(8, 1), 'q1', 'nguyen-van-a', 'rapid')
  for (let i = 0; i < 5; i++) rating(at(9, i * 7), 'q2', 'tran-thi-b')
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true })
  influxd = await startInfluxd()
  const cfg = hubConfigSchema.parse({
    http: { host: '127.0.0.1', port: 0 },
    influx: { version: 1, url: influxd.url, database: DB },
    edges: [{ site: SITE, tokenHash: hashSecret('ct-duty-token-unused-0123456789') }],
    province: 'can-tho',
    sites: [{ id: SITE, name: 'Trung tâm Phục vụ hành chính công Cần Thơ', openingHours: HOURS }],
    users: [
      { username: 'thanhtra', name: 'Nguyễn Văn Thanh (Sở Nội vụ)', role: 'inspector', passwordHash: await hashPassword(PASSWORDS.thanhtra) },
      { username: 'ioc', name: 'Trung tâm IOC', role: 'ioc', passwordHash: await hashPassword(PASSWORDS.ioc) },
    ],
    sessionSecret: newSecret(),
  })
  theDay()
  const writer = createWriter(cfg.influx, { log })
  await writer.write(records.map((r) => toPoint(SITE, r)))
  await writer.close()
  hub = await startHub(cfg, { log, now: () => NOW })
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS })
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await hub?.stop()
  await influxd?.stop()
})

/** hub/kpi/duty.ts over the same events and days, with the schedule the directory above gives. */
function pure(days: readonly number[] = [DAY]) {
  const events: DutyEvent[] = records.flatMap((r) => (r.kind === 'duty' ? [{ t: r.t, site: SITE, counter: r.counter, officer: r.officer, event: r.event, reason: r.reason }] : []))
  const schedule: DutySchedule = { scheduled: () => ['nguyen-van-a', 'tran-thi-b', 'le-van-c'], kioskCounters: () => ['q1', 'q2', 'q3'], hours: () => HOURS }
  const now = NOW
  const intervals = dutyIntervals(events, now)
  const ratings = (officer: string, day: string) =>
    records.filter((r) => r.kind === 'rating' && r.officer === officer && r.misuse === null && bucketOf(r.t, 'day').label === day).length
  return {
    officers: officerDays(intervals, days, schedule, now).map((d) => ({ ...d, ratings: ratings(d.officer, d.day), perHour: ratingsPerHour(d, ratings(d.officer, d.day)) })),
    counters: counterDays(intervals, days, [SITE], schedule, now),
  }
}

const signIn = (user: keyof typeof PASSWORDS): Promise<Page> => signInConsole(browser!, hub!.url, user, PASSWORDS[user], { width: 1400, height: 950 })

/** Opens the duty tab on the known day. */
async function openDay(page: Page): Promise<void> {
  await page.click('nav.tabs [data-tab=duty]')
  await page.waitForSelector('#duty-view')
  await page.selectOption('#duty-at', DAY_LABEL)
  await page.waitForSelector(`#duty-view[data-period="${DAY_LABEL}"]`)
}

interface ShownRow {
  officer?: string
  counter?: string
  day?: string
  cells: { cls: string; text: string }[]
}
const cells = (page: Page, table: string): Promise<ShownRow[]> =>
  page.$$eval(`#${table} tbody tr`, (trs) =>
    trs.map((tr) => ({ ...(tr as HTMLElement).dataset, cells: Array.from(tr.querySelectorAll('td'), (td) => ({ cls: td.className, text: td.textContent ?? '' })) })))
const cell = (row: ShownRow, cls: string) => row.cells.find((c) => c.cls.split(' ').includes(cls))?.text

const auditOfDuty = async () => {
  const res = await fetch(`${influxd.url}/query?${new URLSearchParams({ db: DB, q: `SELECT "detail", "user" FROM "audit" WHERE "action" = 'export'` })}`)
  const body = (await res.json()) as { results: { series?: { values: unknown[][] }[] }[] }
  return (body.results[0]?.series?.[0]?.values ?? []).filter((v) => String(v[1]).startsWith('/console/api/duty'))
}

describe('officer duty in the console (issue 15, seed 003)', () => {
  it('an inspector sees, in Vietnamese, hours on duty, lateness, absence and ratings per hour per officer and day, and unstaffed counters, equal to the pure functions', async () => {
    const page = await signIn('thanhtra')
    expect(await page.textContent('nav.tabs [data-tab=duty]')).toBe('Giờ làm việc')
    await openDay(page)
    const expected = pure()
    // The known day: A and B on duty, C absent, D on duty though posted nowhere.
    expect(expected.officers.map((o) => [o.officer, o.absent, o.lateMin])).toEqual([
      ['le-van-c', true, null], ['nguyen-van-a', false, null], ['pham-van-d', false, null], ['tran-thi-b', false, 40],
    ])
    const days = await cells(page, 'duty-officer-days')
    expect(days.map((d) => d.officer).sort()).toEqual(expected.officers.map((o) => o.officer))
    for (const o of expected.officers) {
      const row = days.find((d) => d.officer === o.officer && d.day === DAY_LABEL)!
      expect(cell(row, 'name')).toBe(o.scheduled ? NAMES[o.officer as keyof typeof NAMES] : `${NAMES[o.officer as keyof typeof NAMES]} (ngoài lịch)`)
      expect(cell(row, 'hours')).toBe((o.minutesOnDuty / 60).toFixed(2))
      expect(cell(row, 'opening')).toBe((o.minutesInOpeningHours / 60).toFixed(2))
      expect(cell(row, 'late')).toBe(o.lateMin === null ? '–' : String(o.lateMin))
      expect(cell(row, 'absent')).toBe(o.absent ? 'Có' : '–')
      expect(cell(row, 'ratings')).toBe(String(o.ratings))
      expect(cell(row, 'per-hour')).toBe(o.perHour === null ? '–' : o.perHour.toFixed(2))
    }
    // The period's sums: one day here, so the same figures.
    const totals = await cells(page, 'duty-officers')
    for (const o of expected.officers) {
      const row = totals.find((d) => d.officer === o.officer)!
      expect([cell(row, 'hours'), cell(row, 'days-late'), cell(row, 'absent'), cell(row, 'per-hour')])
        .toEqual([(o.minutesOnDuty / 60).toFixed(2), o.lateMin === null ? '0' : '1', o.absent ? '1' : '0', o.perHour === null ? '–' : o.perHour.toFixed(2)])
    }
    const counters = await cells(page, 'duty-counters')
    expect(counters.map((c) => c.counter).sort()).toEqual(['q1', 'q2', 'q3'])
    for (const c of expected.counters) {
      const row = counters.find((r) => r.counter === c.counter)!
      expect([cell(row, 'open'), cell(row, 'unstaffed')]).toEqual([String(c.openMinutes), String(c.unstaffedMinutes)])
    }
    expect(expected.counters.find((c) => c.counter === 'q3')!.unstaffedMinutes).toBe(450 - 60)
    expect(await page.textContent('#duty-view')).toContain('Quầy không có cán bộ trong giờ tiếp dân')
    await page.screenshot({ path: `${ARTIFACTS}/duty-inspector.png`, fullPage: true })
    // Reading officers' duty is on the audit log, as the API's officers' keys are.
    expect((await auditOfDuty()).some((v) => String(v[1]).includes(`at=${DAY_LABEL}`) && v[2] === 'thanhtra')).toBe(true)
    // Every site: the period's sums with the site named, no day-by-day table.
    await page.selectOption('#duty-site', '')
    await page.waitForSelector('#duty-view[data-site=""]')
    const all = await cells(page, 'duty-officers')
    expect(all.find((r) => r.officer === 'tran-thi-b')!.cells[0]!.text).toBe('Trung tâm Phục vụ hành chính công Cần Thơ')
    expect(await page.locator('#duty-officer-days').count()).toBe(0)
    await page.click('#lang')
    await page.waitForFunction(() => document.documentElement.lang === 'en')
    expect(await page.textContent('#duty-view')).toContain('Counters unstaffed during opening hours')
    await page.context().close()
  })

  it('the IOC sees the counters\' unstaffed time and no officer, in the page or its answer, and is not on the audit log for it', async () => {
    const page = await signIn('ioc')
    const audited = (await auditOfDuty()).length
    await openDay(page)
    const counters = await cells(page, 'duty-counters')
    expect(counters.map((c) => c.counter).sort()).toEqual(['q1', 'q2', 'q3'])
    const text = (await page.textContent('#duty')) ?? ''
    for (const name of Object.values(NAMES)) expect(text).not.toContain(name)
    expect(await page.locator('#duty-officers, #duty-officer-days').count()).toBe(0)
    expect(text).toContain('Vai trò của bạn không xem số liệu theo cán bộ.')
    const answer = await page.evaluate(async (label) => (await fetch(`/console/api/duty?site=ct-duty&period=day&at=${label}`)).text(), DAY_LABEL)
    for (const id of Object.keys(NAMES)) expect(answer).not.toContain(id)
    expect((await auditOfDuty()).length).toBe(audited)
    await page.screenshot({ path: `${ARTIFACTS}/duty-ioc.png`, fullPage: true })
    await page.context().close()
  })

  it('the site\'s monthly report carries the duty, page and Excel, for the inspector and not for the IOC', async () => {
    const month = bucketOf(DAY, 'month')
    const days = pure(daysIn(month.start, Math.min(month.end, NOW + 1)))
    // The month's sums per officer and counter, added up here from the pure functions' days.
    const officers = Object.keys(NAMES).map((officer) => {
      const mine = days.officers.filter((d) => d.officer === officer)
      const sum = (f: (d: (typeof mine)[number]) => number) => mine.reduce((n, d) => n + f(d), 0)
      const onDuty = sum((d) => d.minutesOnDuty)
      const ratings = sum((d) => d.ratings)
      return { officer, onDuty, inOpening: sum((d) => d.minutesInOpeningHours), daysLate: sum((d) => (d.lateMin === null ? 0 : 1)), late: sum((d) => d.lateMin ?? 0),
        absent: sum((d) => (d.absent ? 1 : 0)), ratings: mine.length ? ratings : 0, perHour: ratingsPerHour({ minutesOnDuty: onDuty }, ratings) }
    })
    expect(officers.find((o) => o.officer === 'le-van-c')!.absent).toBeGreaterThan(1)
    const q = `level=site&id=${SITE}&at=${month.label}`
    const page = await signIn('thanhtra')
    const html = await page.evaluate(async (x) => (await fetch(`/console/reports/report.html?${x}`)).text(), q)
    const xlsx = await page.evaluate(async (x) => Array.from(new Uint8Array(await (await fetch(`/console/reports/report.xlsx?${x}`)).arrayBuffer())), q)
    await page.context().close()
    expect(html).toContain('Giờ làm việc của cán bộ: đi muộn, vắng mặt')
    const wb = new ExcelJS.Workbook()
    await wb.xlsx.load(Buffer.from(xlsx) as never)
    const ws = wb.getWorksheet(SHEET_NAMES.duty)!
    const sheet = new Map<string, unknown[]>()
    for (let n = FIRST_DATA_ROW; n < FIRST_DATA_ROW + officers.length; n++) {
      const v = (ws.getRow(n).values as unknown[]).slice(1)
      sheet.set(String(v[1]), v)
    }
    const vn = (x: number) => x.toLocaleString('vi-VN', { minimumFractionDigits: 2, maximumFractionDigits: 2 })
    const round = (min: number) => Math.round((min / 60) * 100) / 100
    for (const o of officers) {
      const row = new RegExp(`<tr data-officer="${o.officer}">.*?</tr>`).exec(html)![0]
      const cells = [...row.matchAll(/<td>(.*?)<\/td>/g)].map((m) => m[1])
      expect(cells.slice(2, 9)).toEqual([vn(o.onDuty / 60), vn(o.inOpening / 60), String(o.daysLate), String(o.late), String(o.absent), String(o.ratings), o.perHour === null ? '—' : vn(o.perHour)])
      expect(sheet.get(NAMES[o.officer as keyof typeof NAMES])!.slice(4)).toEqual([round(o.onDuty), round(o.inOpening), o.daysLate, o.late, o.absent, o.ratings, ...(o.perHour === null ? [] : [o.perHour])])
    }
    for (const counter of ['q1', 'q2', 'q3']) {
      const mine = days.counters.filter((c) => c.counter === counter)
      const row = new RegExp(`<tr data-counter="${counter}">.*?</tr>`).exec(html)![0]
      expect([...row.matchAll(/<td>(.*?)<\/td>/g)].map((m) => m[1]).slice(2, 4))
        .toEqual([String(mine.reduce((n, c) => n + c.openMinutes, 0)), String(mine.reduce((n, c) => n + c.unstaffedMinutes, 0))])
    }
    const ioc = await signIn('ioc')
    const iocHtml = await ioc.evaluate(async (q) => (await fetch(`/console/reports/report.html?${q}`)).text(), `level=site&id=${SITE}&at=${month}`)
    await ioc.context().close()
    expect(iocHtml).not.toContain('id="duty"')
    for (const name of Object.values(NAMES)) expect(iocHtml).not.toContain(name)
  })

  it('a question past MAX_DUTY_SITE_DAYS is refused before anything is read or audited', async () => {
    const sites = Array.from({ length: 600 }, (_, i) => ({ id: `s-${i}`, name: `Site ${i}` }))
    const dir = createDirectory({ province: 'p', sites, branches: [], edges: [] })
    const refuse = () => { throw new Error('nothing may be read') }
    const db = { run: refuse } as never
    const inspector = { username: 'thanhtra', name: 'T', role: 'inspector' as const }
    await expect(dutyView(db, dir, inspector, { site: null, period: bucketOf(Date.now(), 'year'), nowMs: Date.now() }, refuse))
      .rejects.toMatchObject({ code: 'HUB_QUERY_INVALID' })
  })
})
