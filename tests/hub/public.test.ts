/**
 * Published results (issue 16, seed 002 §9) in Chromium: a real influxd
 * with two sites' directories and ratings, a real hub with its clock fixed
 * in the month, a real Chromium with no sign-in. The page and the lobby show
 * the figures hub/kpi's pure functions give for the same ratings, Vietnamese
 * first, and no officer anywhere in what is served.
 * Screenshots go to test-artifacts/public/.
 */
process.env.LOG_LEVEL ??= 'silent'
import { mkdirSync } from 'node:fs'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../common/log.js'
import { toPoint } from '../../hub/influx/points.js'
import { startHub, type RunningHub } from '../../hub/main.js'
import { formatPoints, formatRate, formatRated, LOBBY_PAGE_SIZE, LOBBY_ROTATE_S, TEXT } from '../../hub/public/html.js'
import { createWriter } from '../../hub/rollup/writer.js'
import { startInfluxd, type Influxd } from '../../testkit/influxd.js'
import { CHROMIUM_ARGS } from '../devices/kiosk/harness.js'
import { expectedFigure, MONTH, NOW, OFFICERS, publicHubConfig, publicRecords, SITES, UNRATED, type SiteId } from './public-data.js'

const ARTIFACTS = 'test-artifacts/public'
const DB = 'motcua_public'
const log = createLogger('test', 'silent')
const records = publicRecords()

let influxd: Influxd
let hub: RunningHub | undefined
let browser: Browser | undefined

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true })
  influxd = await startInfluxd()
  const cfg = publicHubConfig(influxd.url, DB)
  const writer = createWriter(cfg.influx, { log })
  for (const [site, list] of Object.entries(records)) await writer.write(list.map((r) => toPoint(site, r)))
  await writer.close()
  hub = await startHub(cfg, { log, now: () => NOW })
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS })
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await hub?.stop()
  await influxd?.stop()
})

async function open(path: string): Promise<Page> {
  const ctx = await browser!.newContext({ viewport: { width: 1280, height: 900 } })
  const page = await ctx.newPage()
  const res = await page.goto(`${hub!.url}${path}`)
  expect(res?.status()).toBe(200)
  return page
}

interface Row { department: string; name: string; rated: string; rate: string; points: string }
const rowsOf = (page: Page, site: string): Promise<Row[]> =>
  page.$$eval(`table[data-site="${site}"] tbody tr`, (trs) =>
    trs.map((tr) => {
      const text = (cls: string) => tr.querySelector(`td.${cls}`)?.textContent ?? ''
      return { department: (tr as HTMLElement).dataset.department ?? '', name: text('name'), rated: text('rated'), rate: text('rate'), points: text('points') }
    }))

/** What a row must show for a figure: the pure functions' numbers, formatted as the page formats them. */
function shown(f: ReturnType<typeof expectedFigure>, lang: 'vi' | 'en') {
  return f.rated === 0
    ? { rated: '0', rate: TEXT.none[lang], points: '' }
    : { rated: formatRated(f, lang), rate: formatRate(f, lang), points: formatPoints(f, lang) }
}

describe('published results (issue 16)', () => {
  it('the public page shows, in Vietnamese and without sign-in, each site and department this month as the pure functions compute them', async () => {
    const page = await open('/public/')
    expect(await page.getAttribute('html', 'lang')).toBe('vi')
    expect(await page.textContent('h1')).toContain(TEXT.title.vi)
    expect(await page.getAttribute('.period', 'data-period')).toBe(MONTH.label)
    for (const [site, s] of Object.entries(SITES) as [SiteId, (typeof SITES)[SiteId]][]) {
      expect(await page.textContent(`section[data-site="${site}"] h2`)).toBe(s.name)
      const rows = await rowsOf(page, site)
      const departments = Object.entries(s.departments).sort(([, a], [, b]) => a.localeCompare(b, 'vi'))
      expect(rows.map((r) => r.department)).toEqual([...departments.map(([id]) => id), ''])
      for (const [id, name] of departments) {
        const row = rows.find((r) => r.department === id)!
        expect(row.name).toBe(name)
        expect({ rated: row.rated, rate: row.rate, points: row.points }).toEqual(shown(expectedFigure(records, site, id), 'vi'))
      }
      const total = rows.find((r) => r.department === '')!
      expect(total.name).toBe(TEXT.total.vi)
      expect({ rated: total.rated, rate: total.rate, points: total.points }).toEqual(shown(expectedFigure(records, site), 'vi'))
    }
    // Last month's ratings are not this month's; a department with none shows none.
    expect(expectedFigure(records, UNRATED.site, UNRATED.department).rated).toBe(0)
    expect(expectedFigure(records, 'ct-center').rated).toBeGreaterThan(150)
    await page.screenshot({ path: `${ARTIFACTS}/public-vi.png`, fullPage: true })

    await page.click('a.lang')
    await page.waitForURL(/lang=en/)
    expect(await page.getAttribute('html', 'lang')).toBe('en')
    const total = (await rowsOf(page, 'ct-center')).find((r) => r.department === '')!
    expect({ rated: total.rated, rate: total.rate, points: total.points }).toEqual(shown(expectedFigure(records, 'ct-center'), 'en'))
    await page.context().close()
  })

  it('the lobby display shows one site in large type, a few departments at a time, and moves on to the next ones by itself', async () => {
    const site: SiteId = 'ct-center'
    const page = await open(`/public/lobby/${site}`)
    expect(await page.getAttribute('body', 'class')).toBe('lobby')
    expect(await page.textContent('h1')).toBe(SITES[site].name)
    const f = expectedFigure(records, site)
    expect(await page.textContent('.site-figure .rate .big')).toBe(formatRate(f, 'vi'))
    expect(await page.textContent('.site-figure .points .big')).toBe(formatPoints(f, 'vi'))
    expect(await page.textContent('.site-figure .rated .big')).toBe(formatRated(f, 'vi'))
    const fontPx = await page.$eval('.site-figure .big', (el) => parseFloat(getComputedStyle(el).fontSize))
    expect(fontPx).toBeGreaterThan(60)
    const departments = Object.entries(SITES[site].departments).sort(([, a], [, b]) => a.localeCompare(b, 'vi'))
    const pages = Math.ceil(departments.length / LOBBY_PAGE_SIZE)
    expect(pages).toBe(2)
    const first = await rowsOf(page, site)
    expect(first.map((r) => r.department)).toEqual(departments.slice(0, LOBBY_PAGE_SIZE).map(([id]) => id))
    for (const r of first) expect({ rated: r.rated, rate: r.rate, points: r.points }).toEqual(shown(expectedFigure(records, site, r.department), 'vi'))
    expect(await page.getAttribute('meta[http-equiv=refresh]', 'content')).toBe(`${LOBBY_ROTATE_S};url=?page=1`)
    await page.screenshot({ path: `${ARTIFACTS}/lobby-vi.png` })
    // The refresh is the rotation: the browser follows it to the next departments, then back to the first.
    await page.waitForURL(/page=1$/, { timeout: (LOBBY_ROTATE_S + 20) * 1000 })
    expect((await rowsOf(page, site)).map((r) => r.department)).toEqual(departments.slice(LOBBY_PAGE_SIZE).map(([id]) => id))
    expect(await page.getAttribute('meta[http-equiv=refresh]', 'content')).toBe(`${LOBBY_ROTATE_S};url=?page=0`)
    await page.context().close()

    const en = await open(`/public/lobby/${site}?lang=en&page=1`)
    expect(await en.getAttribute('html', 'lang')).toBe('en')
    expect(await en.getAttribute('meta[http-equiv=refresh]', 'content')).toBe(`${LOBBY_ROTATE_S};url=?page=0&lang=en`)
    await en.context().close()
  }, 60_000)

  it('serves no officer, caches publicly with an ETag, and answers an unknown site with a page, not a computation', async () => {
    const texts: string[] = []
    for (const path of ['/public/', '/public/?lang=en', '/public/lobby/ct-center', '/public/lobby/ct-center?page=1', '/public/lobby/ct-ninh-kieu']) {
      const res = await fetch(`${hub!.url}${path}`)
      expect(res.status).toBe(200)
      expect(res.headers.get('cache-control')).toBe('public, max-age=60')
      expect(res.headers.get('content-security-policy')).toContain("default-src 'none'")
      const etag = res.headers.get('etag')
      expect(etag).toMatch(/^".+"$/)
      texts.push(await res.text())
      const again = await fetch(`${hub!.url}${path}`, { headers: { 'if-none-match': etag! } })
      expect(again.status).toBe(304)
    }
    for (const text of texts) {
      for (const [id, name] of Object.entries(OFFICERS)) {
        expect(text).not.toContain(id)
        expect(text).not.toContain(name)
      }
      expect(text).not.toContain('<script')
    }
    const missing = await fetch(`${hub!.url}/public/lobby/no-such-site`)
    expect(missing.status).toBe(404)
    expect(await missing.text()).toContain(TEXT.notFound.vi)
    expect((await fetch(`${hub!.url}/public/`, { method: 'POST' })).status).toBe(405)
  })
})
