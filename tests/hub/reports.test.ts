/**
 * Reports and the drill-down in Chromium (issue 15): a real influxd with 70
 * days of demo data, a real hub with console users, a real Chromium signing
 * in. The Excel file is read back with exceljs and the PDF with pdftotext;
 * every number checked equals hub/kpi's pure functions over the same
 * records. Screenshots and the files go to test-artifacts/reports/.
 */
process.env.LOG_LEVEL ??= 'silent'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import ExcelJS from 'exceljs'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../common/log.js'
import { hashPassword, hashSecret, newSecret } from '../../common/secrets.js'
import { hubConfigSchema } from '../../hub/config/schema.js'
import { ratingFact, ticketFact, type RatingFact, type TicketFact } from '../../hub/kpi/facts.js'
import type { Dimension } from '../../hub/kpi/grouping.js'
import { aggregateQueue } from '../../hub/kpi/queue.js'
import { aggregateRatings, type RatingKpis } from '../../hub/kpi/ratings.js'
import { bucketOf, previousBucket, type PeriodBucket } from '../../hub/kpi/time.js'
import { startHub, type RunningHub } from '../../hub/main.js'
import { createInfluxQuery } from '../../hub/queries/client.js'
import { createDirectory } from '../../hub/queries/directory.js'
import { buildReport, PRINTED_DETAIL_SITES, sitesOfScope } from '../../hub/reports/build.js'
import { columnKeys, FIRST_DATA_ROW, SHEET_NAMES } from '../../hub/reports/excel.js'
import { renderReportHtml } from '../../hub/reports/html.js'
import { createPdfPrinter } from '../../hub/reports/pdf.js'
import { createWriter } from '../../hub/rollup/writer.js'
import { DEMO_SITES, generateDemoData, writeDemoData, type DemoSiteData } from '../../scripts/lib/demo-data.js'
import { DEMO_PROVINCE } from './helpers.js'
import { startInfluxd, type Influxd } from '../../testkit/influxd.js'
import { waitFor } from '../../testkit/wait.js'
import { CHROMIUM_ARGS } from '../devices/kiosk/harness.js'

const END = Math.floor(Date.now() / 60_000) * 60_000
const ARTIFACTS = 'test-artifacts/reports'
const log = createLogger('test', process.env.LOG_LEVEL ?? 'silent')
const PASSWORDS = { thanhtra: 'thanh-tra-noi-vu-1', ioc: 'ioc-van-hanh-2026', quantri: 'quan-tri-he-thong' } as const

let influxd: Influxd
/** The hub's config as written (a second hub in a test changes a part of it). */
let hubInput: Record<string, unknown>
let hub: RunningHub | undefined
let browser: Browser | undefined
let data: DemoSiteData[]
let ratings: RatingFact[]
let tickets: TicketFact[]
// The last whole month, and the one before it, both within the 70 days.
const month = previousBucket(bucketOf(END, 'month'))

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true })
  influxd = await startInfluxd()
  hubInput = {
    http: { host: '127.0.0.1', port: 0 },
    influx: { version: 1, url: influxd.url, database: 'motcua' },
    edges: DEMO_SITES.map((s) => ({ site: s.id, tokenHash: hashSecret(`${s.id}-token-unused-0123456789`) })),
    ...DEMO_PROVINCE,
    users: [
      { username: 'thanhtra', name: 'Nguyễn Văn Thanh (Sở Nội vụ)', role: 'inspector', passwordHash: await hashPassword(PASSWORDS.thanhtra) },
      { username: 'ioc', name: 'Trung tâm IOC', role: 'ioc', passwordHash: await hashPassword(PASSWORDS.ioc) },
      { username: 'quantri', name: 'Quản trị viên', role: 'admin', passwordHash: await hashPassword(PASSWORDS.quantri) },
    ],
    sessionSecret: newSecret(),
  }
  const cfg = hubConfigSchema.parse(hubInput)
  data = generateDemoData({ end: END, days: 70 })
  ratings = data.flatMap((d) => d.records.filter((r) => r.kind === 'rating').map((r) => ratingFact(d.site, d.placement, r as never)))
  tickets = data.flatMap((d) => d.records.filter((r) => r.kind === 'ticket').map((r) => ticketFact(d.site, d.placement, r as never)))
  const writer = createWriter(cfg.influx, { log })
  await writeDemoData(writer, data)
  await writer.close()
  hub = await startHub(cfg, { log })
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS })
}, 240_000)

afterAll(async () => {
  await browser?.close()
  await hub?.stop()
  await influxd?.stop()
})

/** hub/kpi's answer for the same records: one group per key. */
function pure(b: PeriodBucket, groupBy: Dimension[], keep: (f: RatingFact | TicketFact) => boolean = () => true): Map<string, RatingKpis> {
  const mine = ratings.filter((f) => f.t >= b.start && f.t < b.end && keep(f))
  const mineTickets = tickets.filter((f) => f.t >= b.start - 86_400_000 && f.t < b.end + 86_400_000 && keep(f))
  const groups = aggregateRatings(mine, { groupBy, period: b.unit as 'month', tickets: mineTickets })
  return new Map(groups.filter((g) => g.period.label === b.label).map((g) => [groupBy.map((d) => g.key[d] ?? '-').join('/'), g.kpis]))
}

async function signIn(user: keyof typeof PASSWORDS, url = hub!.url): Promise<Page> {
  const ctx = await browser!.newContext({ viewport: { width: 1400, height: 950 }, acceptDownloads: true })
  const page = await ctx.newPage()
  await page.goto(`${url}/console/`)
  await page.fill('input[name=username]', user)
  await page.fill('input[name=password]', PASSWORDS[user])
  await page.click('button[type=submit]')
  await page.waitForSelector('#overview .cards .card')
  return page
}

async function download(page: Page, selector: string, name: string): Promise<Buffer> {
  const [file] = await Promise.all([page.waitForEvent('download'), page.click(selector)])
  const path = `${ARTIFACTS}/${name}`
  await file.saveAs(path)
  expect(file.suggestedFilename()).toMatch(/^bao-cao-/)
  const { readFile } = await import('node:fs/promises')
  return readFile(path)
}

const resultOf = (v: ExcelJS.CellValue): unknown => (v !== null && typeof v === 'object' && 'formula' in v ? v.result : v)

/** The rows of a level sheet as objects keyed by column key. */
function sheetRows(wb: ExcelJS.Workbook, level: keyof typeof SHEET_NAMES & ('site' | 'department' | 'counter' | 'officer' | 'branch')) {
  const ws = wb.getWorksheet(SHEET_NAMES[level])!
  // Waiting and service times are columns when the report read them (few sites).
  const queueTimes = (ws.getRow(5).values as unknown[]).includes('Chờ, trung vị (phút)')
  const keys = columnKeys(level, queueTimes)
  const out: Record<string, unknown>[] = []
  for (let n = FIRST_DATA_ROW; n <= ws.rowCount; n++) {
    const row = ws.getRow(n)
    out.push(Object.fromEntries(keys.map((k, i) => [k, resultOf(row.getCell(i + 1).value)])))
  }
  return { ws, rows: out, keys }
}

describe('drill-down for any period', () => {
  it('an inspector goes province → site → department → counter → officer, with the previous period and queue figures', async () => {
    const page = await signIn('thanhtra')
    // Vietnamese first: the unit picker offers half-years and years.
    expect(await page.$$eval('#period-unit option', (os) => os.map((o) => o.textContent))).toEqual(['Ngày', 'Tuần', 'Tháng', 'Quý', '6 tháng', 'Năm'])
    await page.selectOption('#period-at', month.label)
    await page.waitForSelector(`#cards[data-period="${month.label}"]`)
    await page.click('#overview tr.drill[data-id="-"]')
    await page.click('#overview tr.drill[data-id="ct-center"]')
    await page.waitForSelector('#overview tr.drill[data-id="ct-center/cong-thuong"]')
    // The site's rows are its departments, each with the previous period's index and the queue figures.
    const site = pure(month, ['site', 'department'], (f) => f.site === 'ct-center')
    const row = page.locator('#overview tr.drill[data-id="ct-center/cong-thuong"]')
    expect(await row.locator('td').nth(1).innerText()).toBe(String(site.get('ct-center/cong-thuong')!.counted))
    expect(await row.locator('td.served').innerText()).toBe(String(site.get('ct-center/cong-thuong')!.ticketsServed))
    const queue = aggregateQueue(tickets.filter((t) => t.site === 'ct-center'), ratings, { groupBy: ['department'], period: 'month' })
      .find((g) => g.period.label === month.label && g.key.department === 'cong-thuong')!.kpis
    expect(await row.locator('td.wait').innerText()).toBe(`${(queue.waitMedianS! / 60).toFixed(1)} phút`)
    await page.screenshot({ path: `${ARTIFACTS}/drilldown-site-departments.png`, fullPage: true })
    await row.click()
    await page.waitForSelector('#overview tr.drill[data-id="ct-center/q03"]')
    await page.click('#overview tr.drill[data-id="ct-center/q03"]')
    await page.waitForSelector('#overview #rows tbody tr[data-id="le-thi-hoa"]')
    expect(await page.textContent('#overview .crumbs')).toContain('Quầy q03')
    // The period switch keeps the place: the same counter, this quarter.
    await page.selectOption('#period-unit', 'quarter')
    await page.waitForSelector(`#cards[data-period="${bucketOf(Date.now(), 'quarter').label}"]`)
    expect(await page.locator('#overview #rows tbody tr[data-id="le-thi-hoa"]').count()).toBe(1)
    await page.screenshot({ path: `${ARTIFACTS}/drilldown-officers.png`, fullPage: true })
    await page.context().close()
    // The last month's views read their cubes and kept them (hub/queries/past-answers.ts), on the hub's /metrics.
    const metrics = await (await fetch(`${hub!.url}/metrics`)).text()
    expect(Number(/^motcua_hub_past_answers_total\{outcome="miss"\} (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0)
    expect(Number(/^motcua_hub_past_answer_values (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0)
  })

  it('Home Affairs’ department view compares one department across the sites; the IOC sees no officer', async () => {
    const page = await signIn('ioc')
    await page.selectOption('#period-at', month.label)
    await page.click('#by-department')
    await page.waitForSelector('#overview tr.drill[data-id="cong-thuong"]')
    await page.click('#overview tr.drill[data-id="cong-thuong"]')
    const bySite = pure(month, ['site'], (f) => f.department === 'cong-thuong')
    await page.waitForSelector('#overview tr.drill[data-id="ct-center/cong-thuong"]')
    expect(await page.$$eval('#overview #rows tbody tr', (trs) => trs.map((t) => (t as HTMLElement).dataset.id)).then((ids) => ids.sort())).toEqual([...bySite.keys()].map((s) => `${s}/cong-thuong`).sort())
    await page.click('#overview tr.drill[data-id="ct-center/cong-thuong"]')
    await page.click('#overview tr.drill[data-id="ct-center/q03"]')
    await page.waitForSelector('#overview .panel >> text=Vai trò của bạn không xem số liệu theo cán bộ.')
    // And not by address either: the officers' sheet is left out of the IOC's report.
    const res = await page.evaluate(async (at) => {
      const r = await fetch(`/console/reports/report.html?level=site&id=ct-center&at=${at}`)
      return { status: r.status, text: await r.text() }
    }, month.label)
    expect(res.status).toBe(200)
    expect(res.text).not.toContain('id="sheet-officer"')
    expect(res.text).not.toContain('le-thi-hoa')
    await page.context().close()
  })
})

describe('reports as files', () => {
  it('the province’s monthly Excel report equals hub/kpi at every level', async () => {
    const page = await signIn('thanhtra')
    await page.selectOption('#period-at', month.label)
    await page.waitForSelector(`#cards[data-period="${month.label}"]`)
    const xlsx = await download(page, '#report-xlsx', `province-${month.label}.xlsx`)
    const wb = new ExcelJS.Workbook()
    await wb.xlsx.load(xlsx as unknown as ArrayBuffer)
    expect(wb.worksheets.map((w) => w.name)).toEqual(['Tổng hợp', 'Chi nhánh', 'Điểm tiếp nhận', 'Sở, ngành', 'Quầy', 'Cán bộ'])
    expect(String(wb.getWorksheet('Tổng hợp')!.getCell('A1').value)).toContain(`Báo cáo tháng — Báo cáo mức độ hài lòng của người dân, doanh nghiệp — tháng ${month.label.slice(5)}/${month.label.slice(0, 4)}`)
    const previous = previousBucket(month)
    for (const [level, dims, idOf] of [
      ['site', ['site'], (r: Record<string, unknown>) => String(r.id)],
      ['department', ['department'], (r: Record<string, unknown>) => String(r.id)],
      // The department column names it; without a names directory the name is the id.
      ['counter', ['site', 'counter', 'department'], (r: Record<string, unknown>) => `${String(r.id)}/${String(r.department)}`],
      ['officer', ['site', 'officer'], (r: Record<string, unknown>) => String(r.id)],
    ] as const) {
      const want = pure(month, [...dims])
      const before = pure(previous, [...dims])
      const { rows } = sheetRows(wb, level)
      expect(rows.length, level).toBe(new Set([...want.keys(), ...before.keys()]).size)
      for (const r of rows) {
        const k = want.get(idOf(r))
        expect(r.counted, `${level} ${String(r.id)}`).toBe(k?.counted ?? 0)
        expect(r.presses).toBe(k?.presses ?? 0)
        // The same mean, summed in another order: equal to the last bits that order can change.
        closeOrNull(r.index, k?.satisfactionIndex ?? null)
        expect(r.rate766 === '' ? null : r.rate766).toBe(k?.decision766.rate ?? null)
        expect(r.points766 === '' ? null : r.points766).toBe(k?.decision766.points ?? null)
        closeOrNull(r.prevIndex, before.get(idOf(r))?.satisfactionIndex ?? null)
        if (level !== 'officer') expect(r.served).toBe(k?.ticketsServed ?? null)
      }
    }
    // The Decision 766 points cell is a formula a reader can follow, with its value.
    const sites = sheetRows(wb, 'site')
    const points = sites.ws.getRow(FIRST_DATA_ROW).getCell(sites.keys.indexOf('points766') + 1).value
    expect(points).toMatchObject({ formula: expect.stringContaining('*60/') })
    await page.context().close()
  })

  it('the site’s quarterly PDF report, printed by Chromium, says the same in Vietnamese', async () => {
    const page = await signIn('thanhtra')
    await page.click('#overview tr.drill[data-id="-"]')
    await page.click('#overview tr.drill[data-id="ct-center"]')
    await page.waitForSelector('#overview tr.drill[data-id="ct-center/cong-thuong"]')
    await page.selectOption('#period-unit', 'quarter')
    const quarter = bucketOf(Date.now(), 'quarter')
    await page.waitForSelector(`#cards[data-period="${quarter.label}"]`)
    const pdf = await download(page, '#report-pdf', `ct-center-${quarter.label}.pdf`)
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-')
    const text = execFileSync('pdftotext', ['-layout', `${ARTIFACTS}/ct-center-${quarter.label}.pdf`, '-'], { encoding: 'utf8' })
    const q = Number(quarter.label.slice(-1))
    expect(text).toContain('BÁO CÁO QUÝ')
    expect(text).toContain(`quý ${['I', 'II', 'III', 'IV'][q - 1]} năm ${quarter.label.slice(0, 4)}`)
    expect(text).toContain('Trung tâm Phục vụ hành chính công thành phố Cần Thơ')
    for (const h of ['Theo sở, ngành', 'Theo quầy', 'Theo cán bộ', 'Tỷ lệ hài lòng theo QĐ 766/QĐ-TTg']) expect(text).toContain(h)
    const total = pure(quarter, ['site'], (f) => f.site === 'ct-center').get('ct-center')!
    const fmt = (v: number, digits: number) => v.toLocaleString('vi-VN', { minimumFractionDigits: digits, maximumFractionDigits: digits })
    expect(text).toContain(fmt(total.decision766.points!, 2))
    expect(text).toContain(`${fmt(total.decision766.rate! * 100, 1)} %`)
    expect(text).toContain(fmt(total.satisfactionIndex!, 1))
    await page.context().close()
    // On the audit log as an export, like the CSV.
    const admin = await signIn('quantri')
    const entries = await admin.evaluate(async () => ((await (await fetch('/console/api/audit')).json()) as { entries: { user: string; action: string; detail: string }[] }).entries)
    expect(entries).toContainEqual(expect.objectContaining({ user: 'thanhtra', action: 'export', detail: `/console/reports/report.pdf?level=site&id=ct-center&at=${quarter.label}` }))
    await admin.context().close()
  })

  it('a printed report of many sites leaves out counters and officers, says so, and shows the Excel report’s figures', async () => {
    const cfg = hubConfigSchema.parse({
      influx: { version: 1, url: influxd.url, database: 'motcua' },
      edges: DEMO_SITES.map((s) => ({ site: s.id, tokenHash: hashSecret(`${s.id}-token-unused-0123456789`) })),
      province: 'can-tho',
      branches: [{ id: 'ninh-kieu', name: 'Chi nhánh Ninh Kiều' }, { id: 'cai-rang', name: 'Chi nhánh Cái Răng' }],
      sites: [
        ...DEMO_SITES.map((s) => ({ id: s.id, name: s.name, ...(s.placement.branch ? { branch: s.placement.branch } : {}) })),
        ...Array.from({ length: PRINTED_DETAIL_SITES }, (_, i) => ({ id: `xa-${i}`, name: `Điểm tiếp nhận xã ${i}` })),
      ],
    })
    const dir = createDirectory(cfg)
    const db = createInfluxQuery(cfg.influx)
    const scope = { level: 'province', id: '' } as const
    const req = { period: month, scope, sites: sitesOfScope(dir, scope), officers: true, nowMs: END }
    const [full, printed, few] = await Promise.all([
      buildReport(db, dir, req),
      buildReport(db, dir, { ...req, printed: true }),
      buildReport(db, dir, { ...req, sites: DEMO_SITES.map((s) => s.id), printed: true }),
    ])
    expect(full.sheets.map((x) => x.level)).toEqual(['branch', 'site', 'department', 'counter', 'officer'])
    expect(full.leftOut).toEqual([])
    expect(printed.sheets.map((x) => x.level)).toEqual(['branch', 'site', 'department'])
    expect(printed.leftOut).toEqual(['counter', 'officer'])
    expect(printed.total).toEqual(full.total)
    expect(printed.sheets).toEqual(full.sheets.slice(0, 3))
    // A scope of few sites prints every level.
    expect(few.sheets.map((x) => x.level)).toEqual(['branch', 'site', 'department', 'counter', 'officer'])
    const want = pure(month, ['site'])
    const siteRows = printed.sheets[1]!.rows.filter((r) => r.current)
    expect(siteRows.map((r) => r.id).sort()).toEqual([...want.keys()].sort())
    for (const r of siteRows) expect(r.current!.counted, r.id).toBe(want.get(r.id)!.counted)
    const pdfPath = `${ARTIFACTS}/province-printed-${month.label}.pdf`
    writeFileSync(pdfPath, await createPdfPrinter({ chromium: '/usr/bin/chromium' }).print(renderReportHtml(printed)))
    const text = execFileSync('pdftotext', ['-layout', pdfPath, '-'], { encoding: 'utf8' })
    expect(text).toContain('Theo điểm tiếp nhận')
    expect(text).not.toContain('Theo quầy')
    expect(text.replace(/\s+/g, ' ')).toContain('Bản in không có các cấp quầy, cán bộ')
  })

  it('a download refused while the hub makes another report says so on the page, and the next one goes', async () => {
    // One report at a time, none waiting; the PDF's Chromium held at a gate (a file) until the test lets it print.
    const dir = mkdtempSync(join(tmpdir(), 'motcua-report-gate-'))
    const gated = join(dir, 'chromium')
    writeFileSync(
      gated,
      `#!/bin/sh\ntouch '${dir}/entered'\nfor i in $(seq 1 1200); do [ -e '${dir}/open' ] && break; sleep 0.05; done\nexec /usr/bin/chromium "$@"\n`,
      { mode: 0o755 },
    )
    const cfg = hubConfigSchema.parse({ ...hubInput, reports: { chromium: gated, atOnce: 1, waiting: 0 } })
    const busyHub = await startHub(cfg, { log })
    try {
      const page = await signIn('thanhtra', busyHub.url)
      const pdf = page.waitForEvent('download')
      await page.click('#report-pdf')
      expect(await page.textContent('#report-status')).toBe('Đang lập báo cáo…')
      await waitFor('the PDF report to reach its Chromium', () => existsSync(join(dir, 'entered')))
      await page.click('#report-xlsx')
      await page.waitForSelector('#report-status:has-text("thử lại sau")')
      expect(await page.textContent('#report-status')).toBe('Máy chủ đang lập nhiều báo cáo khác. Vui lòng thử lại sau 10 giây.')
      // The same refusal over HTTP: 503, its code and the seconds to wait.
      const refused = await page.evaluate(async () => {
        const r = await fetch((document.querySelector('#report-xlsx') as HTMLAnchorElement).href)
        return { status: r.status, retryAfter: r.headers.get('retry-after'), body: (await r.json()) as { error: { code: string } } }
      })
      expect(refused).toEqual({ status: 503, retryAfter: '10', body: { error: { code: 'HUB_REPORTS_BUSY', message: expect.any(String) } } })
      writeFileSync(join(dir, 'open'), '')
      const printed = await pdf
      expect(printed.suggestedFilename()).toMatch(/^bao-cao-.*\.pdf$/)
      expect(readFileSync(await printed.path()).subarray(0, 5).toString('latin1')).toBe('%PDF-')
      const [xlsx] = await Promise.all([page.waitForEvent('download'), page.click('#report-xlsx')])
      expect(xlsx.suggestedFilename()).toMatch(/^bao-cao-.*\.xlsx$/)
      expect(readFileSync(await xlsx.path()).subarray(0, 2).toString('latin1')).toBe('PK')
      await page.waitForFunction(() => document.querySelector('#report-status')?.textContent === '')
      await page.context().close()
    } finally {
      await busyHub.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('without Chromium the PDF is refused with a clear code and the hub carries on', async () => {
    const printer = createPdfPrinter({ chromium: '/nonexistent/chromium' })
    await expect(printer.print('<p>x</p>')).rejects.toMatchObject({ code: 'HUB_REPORT_PDF_UNAVAILABLE', message: expect.stringContaining('no Chromium at /nonexistent/chromium') })
  })
})

function closeOrNull(got: unknown, want: number | null): void {
  if (want === null) expect(got).toBeNull()
  else expect(got as number).toBeCloseTo(want, 9)
}
