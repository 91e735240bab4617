/** Starts what a kiosk page needs in a test: its HTTP handler on a free port, a test edge and Chromium. */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { chromium, type Browser, type Page } from 'playwright-core'
import type { DeviceConfigMessage } from '../../../protocol/messages.js'
import { SCALES, type ScaleSize } from '../../../protocol/scales.js'
import { buildKioskAssets, type KioskAssets } from '../../../edge/kiosk/build.js'
import { createKioskHandler, type KioskHandlerOptions } from '../../../edge/kiosk/handler.js'
import { TestEdge } from './edge.js'

export const SITE = 'ct-center'
export const COUNTER = 'q01'
export const DEVICE = 'kiosk-q01'
export const SECRET = 'kiosk-secret-0123456789abcdef'

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]

/** How long the kiosk's staff gesture holds (devices/kiosk/browser: onLongPress). */
export const STAFF_HOLD_MS = 3000

/**
 * The staff gesture: presses `selector` and holds it until the staff panel
 * opens, then lets go; resolves with how long it was held. Waiting for the
 * panel rather than a fixed 3.3 s hold: on a loaded machine the page's timer
 * and a release sent 300 ms after it can be handled release first.
 */
export async function holdForStaff(page: Page, selector = '#counter-name'): Promise<number> {
  await page.hover(selector)
  const pressed = Date.now()
  await page.mouse.down()
  await page.waitForSelector('#staff', { timeout: 15_000 })
  const held = Date.now() - pressed
  await page.mouse.up()
  return held
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS })
}

export function siteConfig(scale: ScaleSize, extra: Partial<DeviceConfigMessage> = {}): DeviceConfigMessage {
  return {
    v: 1,
    site: { id: SITE, name: 'Trung tâm Phục vụ hành chính công TP. Cần Thơ' },
    counter: { id: COUNTER, name: 'Quầy số 1' },
    department: { id: 'tu-phap', name: 'Sở Tư pháp' },
    scale,
    labels: SCALES[scale].map((l) => ({ vi: l.vi, en: l.en })),
    reasons: [
      { id: 'wait', vi: 'Thời gian chờ lâu', en: 'Long wait' },
      { id: 'attitude', vi: 'Thái độ phục vụ', en: 'Attitude' },
      { id: 'guidance', vi: 'Hướng dẫn chưa rõ', en: 'Unclear guidance' },
      { id: 'documents', vi: 'Thiếu giấy tờ', en: 'Missing documents' },
    ],
    officer: { id: 'nguyen-van-an', name: 'Nguyễn Văn An' },
    officers: [
      { id: 'nguyen-van-an', name: 'Nguyễn Văn An' },
      { id: 'tran-thi-binh', name: 'Trần Thị Bình' },
    ],
    ...extra,
  }
}

let assets: Promise<KioskAssets> | null = null

export interface KioskSite {
  edge: TestEdge
  http: Server
  /** Page URL with the secret handed over in the fragment. */
  url: string
  close(): Promise<void>
}

export async function startKioskSite(
  config: DeviceConfigMessage,
  opts: Partial<Omit<KioskHandlerOptions, 'assets' | 'site' | 'counterOf' | 'wsPort'>> = {},
): Promise<KioskSite> {
  const edge = new TestEdge({ site: SITE, counter: COUNTER, device: DEVICE, secret: SECRET, config, pins: { 'tran-thi-binh': '2468' } })
  await edge.start()
  const server = await startKioskServer({ site: SITE, counterOf: (d) => (d === DEVICE ? COUNTER : null), wsPort: edge.port, ...opts })
  return {
    edge,
    http: server.http,
    url: server.pageUrl(DEVICE, SECRET),
    async close() {
      await server.close()
      await edge.stop()
    },
  }
}

export interface KioskServer {
  http: Server
  pageUrl(device: string, secret?: string): string
  close(): Promise<void>
}

/** The kiosk handler alone on a free loopback port, in front of whatever broker `wsPort` names. */
export async function startKioskServer(opts: Omit<KioskHandlerOptions, 'assets'>): Promise<KioskServer> {
  assets ??= buildKioskAssets()
  const handler = createKioskHandler({ assets: await assets, thanksMs: 2000, ...opts })
  const http = createServer((req, res) => {
    if (!handler(req, res)) res.writeHead(404).end()
  })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()))
  const port = (http.address() as AddressInfo).port
  return {
    http,
    pageUrl: (device, secret) => `http://127.0.0.1:${port}/kiosk/?device=${device}${secret ? `#secret=${secret}` : ''}`,
    async close() {
      http.closeAllConnections()
      await new Promise<void>((resolve) => http.close(() => resolve()))
    },
  }
}
