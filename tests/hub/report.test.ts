/**
 * The monthly report served by the hub, rendered in headless Chromium:
 * Vietnamese labels first, the Decision 766 figure equal to the pure
 * function over the same demo records. Screenshots go to
 * test-artifacts/report/ for a person to look at.
 */
process.env.LOG_LEVEL ??= 'silent'
import { mkdirSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../common/log.js'
import { hashSecret } from '../../common/secrets.js'
import { hubConfigSchema } from '../../hub/config/schema.js'
import { createWriter } from '../../hub/rollup/writer.js'
import { ratingFact } from '../../hub/kpi/facts.js'
import { aggregateRatings } from '../../hub/kpi/ratings.js'
import { REPORT_CSP } from '../../hub/reports/html.js'
import { bucketOf } from '../../hub/kpi/time.js'
import { startHub, type RunningHub } from '../../hub/main.js'
import { DEMO_SITES, generateDemoData, writeDemoData, type DemoSiteData } from '../../scripts/lib/demo-data.js'
import { CHROMIUM_ARGS } from '../devices/kiosk/harness.js'
import { startInfluxd, type Influxd } from '../../testkit/influxd.js'

const KEY = 'report-key-0123456789abcdef0123456'
const END = Math.floor(Date.now() / 60_000) * 60_000
const ARTIFACTS = 'test-artifacts/report'
const log = createLogger('test', 'silent')

let influxd: Influxd
let hub: RunningHub | undefined
let browser: Browser | undefined
let data: DemoSiteData[]
// The last whole month in the data: 40 days always hold one.
const month = bucketOf(bucketOf(END, 'month').start - 1, 'month')

beforeAll(async () => {
  influxd = await startInfluxd()
  const cfg = hubConfigSchema.parse({
    http: { host: '127.0.0.1', port: 0 },
    influx: { version: 1, url: influxd.url, database: 'motcua' },
    edges: DEMO_SITES.map((s) => ({ site: s.id, tokenHash: hashSecret(`${s.id}-token-unused-0123456789`) })),
    province: 'can-tho',
    sites: DEMO_SITES.map((s) => ({ id: s.id, name: s.name, ...(s.placement.branch ? { branch: s.placement.branch } : {}) })),
    apiKeys: [{ id: 'ioc', keyHash: hashSecret(KEY), scope: 'ioc' }],
  })
  data = generateDemoData({ end: END, days: 40 + 31 })
  const writer = createWriter(cfg.influx, { log })
  await writeDemoData(writer, data)
  await writer.close()
  hub = await startHub(cfg, { log })
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS })
  mkdirSync(ARTIFACTS, { recursive: true })
}, 180_000)

afterAll(async () => {
  await browser?.close()
  await hub?.stop()
  await influxd?.stop()
})

const points766 = (site: string | null, department: string | null) => {
  const facts = data.flatMap((d) => d.records.filter((r) => r.kind === 'rating').map((r) => ratingFact(d.site, d.placement, r as never)))
  const mine = facts.filter((f) => f.t >= month.start && f.t < month.end && (site === null || f.site === site) && (department === null || f.department === department))
  const [g] = aggregateRatings(mine, { groupBy: [], period: 'month' })
  return g!.kpis.decision766
}

describe('monthly report', () => {
  const sitesWith = (d: string) => DEMO_SITES.filter((s) => s.counters.some((c) => c.department === d)).length
  // The department served at the most sites, so the report has rows to compare.
  const dept = DEMO_SITES.flatMap((s) => s.counters.map((c) => c.department)).sort((a, b) => sitesWith(b) - sitesWith(a))[0]!
  const sitesWithDept = sitesWith(dept)
  for (const [name, query, site, department] of [
    ['site', `site=ct-center`, 'ct-center', null],
    ['department', `department=${dept}`, null, dept],
  ] as const) {
    it(`per ${name}: Vietnamese first, with the Decision 766 figure`, async () => {
      const page = await browser!.newPage({ viewport: { width: 1400, height: 1000 }, extraHTTPHeaders: { 'x-api-key': KEY } })
      const res = await page.goto(`${hub!.url}/api/v1/reports/monthly?month=${month.label}&${query}`)
      expect(res?.status()).toBe(200)
      // Issue 11: the report runs nothing and is never sniffed; its inline style sheet still applies under the policy.
      expect(res?.headers()).toMatchObject({ 'content-security-policy': REPORT_CSP, 'x-content-type-options': 'nosniff' })
      expect(await page.locator('.card').first().evaluate((e) => getComputedStyle(e).borderTopStyle)).toBe('solid')
      expect(await page.getAttribute('html', 'lang')).toBe('vi')
      const text = await page.innerText('body')
      const [y, m] = month.label.split('-')
      expect(text).toContain(`Báo cáo mức độ hài lòng của người dân, doanh nghiệp — tháng ${m}/${y}`)
      for (const label of ['Chỉ số hài lòng', 'Tỷ lệ hài lòng theo QĐ 766/QĐ-TTg', 'Điểm thành phần QĐ 766 (tối đa 6)', 'Phân bố mức đánh giá', 'Satisfaction index']) expect(text).toContain(label)
      const d766 = points766(site, department)
      const fmt = (v: number, digits: number) => v.toLocaleString('vi-VN', { minimumFractionDigits: digits, maximumFractionDigits: digits })
      const card = await page.locator('.card').nth(2).innerText()
      expect(card).toContain(fmt(d766.points!, 2))
      expect(await page.locator('.card').nth(1).innerText()).toContain(`${fmt(d766.rate! * 100, 1)} %`)
      if (site) expect(text).toContain(DEMO_SITES[0]!.name)
      else expect(await page.locator('#sheet-site tbody tr').count()).toBe(sitesWithDept)
      await page.screenshot({ path: `${ARTIFACTS}/monthly-${name}.png`, fullPage: true })
      await page.close()
    })
  }
})
