process.env.LOG_LEVEL ??= 'silent'
import { mkdir } from 'node:fs/promises'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { waitFor } from '../../testkit/wait.js'
import { PASSWORDS, startConsoleStack, type ConsoleStack } from '../../testkit/console-stack.js'

const ARTIFACTS = 'test-artifacts/console'
const TILE = '[data-camera="ct-center/cam-hall"]'

let s: ConsoleStack
let browser: Browser
const contexts: BrowserContext[] = []

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true })
  s = await startConsoleStack()
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--autoplay-policy=no-user-gesture-required'],
  })
})

afterAll(async () => {
  await browser?.close()
  await s?.close()
})

async function signIn(user: keyof typeof PASSWORDS): Promise<Page> {
  const ctx = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1360, height: 900 } })
  contexts.push(ctx)
  const page = await ctx.newPage()
  await page.goto(`${s.hub.url}/console/`)
  await page.fill('input[name=username]', user)
  await page.fill('input[name=password]', PASSWORDS[user])
  await page.click('button[type=submit]')
  await page.waitForSelector('nav.tabs')
  return page
}

const videoTime = (page: Page) => page.evaluate((sel) => (document.querySelector(`${sel} video`) as HTMLVideoElement | null)?.currentTime ?? 0, TILE)

/** Waits until the tile's video has played on by more than a second from its first frame seen. */
async function advances(page: Page): Promise<void> {
  let first: number | null = null
  await waitFor('the live video to play on by a second', async () => {
    const t = await videoTime(page)
    if (first === null) first = t > 0 ? t : null
    else return t > first + 1
    return false
  }, { everyMs: 250 })
}

describe('province console in Chromium', () => {
  it('an inspector drills down province → branch → site with KPIs and charts', async () => {
    const page = await signIn('thanhtra')
    await page.waitForSelector('#overview .cards .card')
    await page.waitForSelector('#overview tr.drill')
    const rows = await page.$$eval('#overview tr.drill', (trs) => trs.map((t) => t.textContent ?? ''))
    expect(rows.some((r) => r.includes('Chi nhánh Ninh Kiều'))).toBe(true)
    expect(await page.locator('#overview svg').count()).toBeGreaterThanOrEqual(3)
    await page.screenshot({ path: `${ARTIFACTS}/drilldown-province.png`, fullPage: true })
    await page.click('#overview tr.drill[data-id="-"]')
    await page.waitForSelector('#overview tr.drill[data-id="ct-center"]')
    await page.click('#overview tr.drill[data-id="ct-center"]')
    // Issue 15: a site's rows are its departments, each opening its counters.
    await page.click('#overview tr.drill[data-id="ct-center/noi-vu"]')
    await page.waitForSelector('#overview tr.drill[data-id="ct-center/q01"]')
    const crumbs = await page.textContent('#overview .crumbs')
    expect(crumbs).toContain('Trung tâm Phục vụ hành chính công thành phố Cần Thơ')
    expect(await page.locator('#latest li').count()).toBeGreaterThan(0)
    await page.screenshot({ path: `${ARTIFACTS}/drilldown-site.png`, fullPage: true })
    // English on request, Vietnamese first.
    await page.click('#lang')
    await page.waitForFunction(() => document.documentElement.lang === 'en')
    expect(await page.textContent('nav.tabs')).toContain('Live cameras')
    await page.click('#lang')
  })

  it('an inspector watches a camera of an edge that is connected only outbound; the stream survives the edge dropping its tunnel', async () => {
    const page = await signIn('thanhtra')
    expect(await page.textContent('.notice')).toContain('dữ liệu cá nhân')
    await page.click('nav.tabs [data-tab=cameras]')
    await page.waitForSelector(`${TILE}[data-edge=up]`, { timeout: 15_000 })
    await page.click(`${TILE} header button`)
    // A cold ffmpeg on a busy runner: the bound is for "it plays", the delay is measured by the relay benchmark.
    await page.waitForSelector(`${TILE}[data-player=playing]`, { timeout: 60_000 })
    await advances(page)
    await page.screenshot({ path: `${ARTIFACTS}/camera-wall.png` })

    await s.edge.tunnel?.stop()
    await page.waitForSelector(`${TILE}[data-reason=edge_disconnected][data-edge=down]`, { timeout: 15_000 })
    expect(await page.textContent(`${TILE} .overlay`)).toContain('Mất kết nối tới trạm')
    expect(await page.textContent(`${TILE} .badge`)).toBe('Mất kết nối tới trạm')
    await page.screenshot({ path: `${ARTIFACTS}/camera-edge-lost.png` })

    s.edge.tunnel?.start()
    await page.waitForSelector(`${TILE}[data-player=playing]`, { timeout: 60_000 })
    await advances(page)
    await page.click(`${TILE} header button`)
    await page.waitForSelector(`${TILE}[data-player=idle]`)
  }, 200_000)

  it('a site supervisor sees only their site: no other site camera, even by address or WebSocket', async () => {
    const page = await signIn('giamsat')
    await page.goto(`${s.hub.url}/console/#cameras&camera=ct-center/cam-hall`)
    await page.waitForSelector('#wall-empty:not([hidden])', { timeout: 10_000 })
    expect(await page.locator(TILE).count()).toBe(0)
    const opened = await page.evaluate(
      (url) =>
        new Promise<boolean>((resolve) => {
          const ws = new WebSocket(url)
          ws.onopen = () => resolve(true)
          ws.onerror = () => resolve(false)
        }),
      `${s.hub.url.replace('https', 'wss')}/console/live/ct-center/cam-hall`,
    )
    expect(opened).toBe(false)
    const status = await page.evaluate(async () => (await fetch('/console/api/kpis?level=site&id=ct-center')).status)
    expect(status).toBe(403)
    const rows = await page.$$eval('#overview tr.drill', (trs) => trs.map((t) => (t as HTMLElement).dataset.id))
    expect(rows).toEqual(['ninh-kieu'])
  })

  it('an IOC operator gets metrics and no video', async () => {
    const page = await signIn('ioc')
    await page.waitForSelector('#overview .cards .card')
    await page.click('nav.tabs [data-tab=cameras]')
    expect(await page.textContent('#cameras')).toContain('chỉ xem số liệu')
    expect(await page.locator('#cameras video').count()).toBe(0)
    expect(await page.locator('nav.tabs [data-tab=audit]').isHidden()).toBe(true)
  })

  it('the administrator sees the viewing on the audit log with its duration, and exports', async () => {
    const page = await signIn('quantri')
    const csv = await page.evaluate(async () => {
      const res = await fetch('/console/export/kpis.csv?level=province&period=month')
      return { status: res.status, text: await res.text() }
    })
    expect(csv.status).toBe(200)
    expect(csv.text).toContain('satisfaction_index')
    await page.click('nav.tabs [data-tab=audit]')
    await page.waitForSelector('#audit-table tr[data-action=view_end]', { timeout: 15_000 })
    const ends = await page.$$eval('#audit-table tr[data-action=view_end]', (trs) => trs.map((t) => t.textContent ?? ''))
    expect(ends.some((r) => r.includes('thanhtra') && r.includes('ct-center / cam-hall') && /\d+(\.\d)? s/.test(r))).toBe(true)
    await page.click('#audit button')
    await page.waitForSelector('#audit-table tr[data-action=export]', { timeout: 15_000 })
    await page.screenshot({ path: `${ARTIFACTS}/audit.png`, fullPage: true })
  })

  it('alerts: an inspector acknowledges a scripted fault on the page; a supervisor sees and may acknowledge only their own site', async () => {
    interface Row { id: string; kind: string; site: string; state: string; acked: string; text: string }
    const snapshot = (page: Page) =>
      page.evaluate(() => ({
        badge: (document.getElementById('alerts-badge') as HTMLElement).hidden ? 0 : Number(document.getElementById('alerts-badge')?.textContent),
        rows: Array.from(document.querySelectorAll<HTMLElement>('#alerts-table tbody tr')).map((t) => ({ ...t.dataset, text: t.textContent ?? '' }) as Row),
      }))
    const page = await signIn('thanhtra')
    await page.click('nav.tabs [data-tab=alerts]')
    await page.waitForSelector('#alerts-table tbody tr', { timeout: 15_000 })
    const before = await snapshot(page)
    // The demo data's scripted faults (scripts/lib/demo-data.ts): the reception point silent, the branch backlogged with a camera refusing its credentials.
    expect(before.rows.map((r) => `${r.kind}@${r.site}`)).toEqual(expect.arrayContaining(['edge_silent@ct-cai-rang', 'edge_backlog@ct-ninh-kieu', 'camera_offline@ct-ninh-kieu']))
    expect(before.badge).toBe(before.rows.filter((r) => r.state === 'ongoing' && r.acked === 'false').length)
    expect(before.badge).toBeGreaterThanOrEqual(3)
    const silent = before.rows.find((r) => r.kind === 'edge_silent')!
    expect(silent.text).toContain('Thiết bị biên không gửi dữ liệu')
    expect(silent.text).toContain('Đang diễn ra')
    expect(silent.text).toMatch(/\d+ (phút|giờ|ngày) trước/)
    const row = `#alerts-table tr[data-id="${silent.id}"]`
    await page.click(`${row} td.ack button`)
    // An empty comment is refused on the page, without a request.
    await page.click(`${row} form.ack button[type=submit]`)
    expect(await page.textContent(`${row} td.ack .error`)).toContain('Vui lòng nhập ghi chú')
    await page.fill(`${row} form.ack input`, 'Đã gọi kỹ thuật viên kiểm tra đường truyền')
    await page.click(`${row} form.ack button[type=submit]`)
    await page.waitForSelector(`${row}[data-acked=true]`, { timeout: 15_000 })
    const ack = await page.textContent(`${row} td.ack`)
    expect(ack).toContain('thanhtra: Nguyễn Văn Thanh (Sở Nội vụ)')
    expect(ack).toContain('Đã gọi kỹ thuật viên kiểm tra đường truyền')
    const after = await snapshot(page)
    expect(after.badge).toBe(after.rows.filter((r) => r.state === 'ongoing' && r.acked === 'false').length)
    expect(after.rows.find((r) => r.id === silent.id)?.acked).toBe('true')
    await page.screenshot({ path: `${ARTIFACTS}/alerts.png`, fullPage: true })
    await page.click('#lang')
    await page.waitForFunction(() => document.documentElement.lang === 'en')
    const english = await page.textContent(row)
    expect(english).toContain('Edge box silent')
    expect(english).toContain('Ongoing')
    await page.screenshot({ path: `${ARTIFACTS}/alerts-en.png`, fullPage: true })
    await page.click('#lang')

    const sup = await signIn('giamsat')
    await sup.click('nav.tabs [data-tab=alerts]')
    await sup.waitForSelector('#alerts-table tbody tr', { timeout: 15_000 })
    const own = await snapshot(sup)
    expect(new Set(own.rows.map((r) => r.site))).toEqual(new Set(['ct-ninh-kieu']))
    expect(own.rows.map((r) => r.kind)).toEqual(expect.arrayContaining(['edge_backlog', 'camera_offline']))
    const foreign = before.rows.find((r) => r.site !== 'ct-ninh-kieu' && r.id !== silent.id) ?? silent
    const cookie = await s.login('giamsat')
    const post = (id: string, body: string, headers: Record<string, string> = {}) =>
      s.request(`/console/api/alerts/${encodeURIComponent(id)}/ack`, { method: 'POST', cookie, body, headers: { 'content-type': 'application/json', ...headers } })
    const codeOf = (r: { text: string }) => (JSON.parse(r.text) as { error: { code: string } }).error.code
    const refused = await post(foreign.id, JSON.stringify({ comment: 'không phải điểm của tôi' }))
    expect([refused.status, codeOf(refused)]).toEqual([403, 'HUB_CONSOLE_FORBIDDEN'])
    const backlog = own.rows.find((r) => r.kind === 'edge_backlog')!
    const crossSite = await post(backlog.id, JSON.stringify({ comment: 'x' }), { origin: 'https://evil.example' })
    expect([crossSite.status, codeOf(crossSite)]).toEqual([403, 'HUB_CONSOLE_FORBIDDEN'])
    const blank = await post(backlog.id, JSON.stringify({ comment: '   ' }))
    expect([blank.status, codeOf(blank)]).toEqual([400, 'HUB_ALERT_ACK_INVALID'])
    const unknown = await post('edge_silent:ct-ninh-kieu:123', JSON.stringify({ comment: 'x' }))
    expect([unknown.status, codeOf(unknown)]).toEqual([404, 'HUB_ALERT_NOT_FOUND'])
    const noSession = await s.request(`/console/api/alerts/${encodeURIComponent(backlog.id)}/ack`, { method: 'POST', body: '{"comment":"x"}' })
    expect(noSession.status).toBe(401)
    // None of the refused posts acknowledged anything.
    const listed = JSON.parse((await s.request('/console/api/alerts', { cookie })).text) as { alerts: { id: string; site: string; ack: unknown }[] }
    expect(listed.alerts.find((a) => a.id === backlog.id)?.ack).toBeNull()
    expect(listed.alerts.every((a) => a.site === 'ct-ninh-kieu')).toBe(true)
  })

  it('a session ends: the page returns to sign-in', async () => {
    const page = await signIn('thanhtra')
    await page.waitForSelector('#overview .cards .card')
    s.skew(9 * 3600_000)
    try {
      await page.waitForURL(/expired=1/, { timeout: 15_000 })
      expect(await page.textContent('form.login')).toContain('Phiên làm việc đã hết hạn')
      const direct = await page.evaluate(async () => (await fetch('/console/api/me')).status)
      expect(direct).toBe(401)
    } finally {
      s.skew(-9 * 3600_000)
    }
  })
})
