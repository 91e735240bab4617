/**
 * Serves the kiosk under /kiosk/ for the edge's HTTP server:
 * `/kiosk/?device=kiosk-q01` gets the page with that device's env written in;
 * the bundle and stylesheet come from buildKioskAssets(). Returns false for
 * any path outside /kiosk so the edge can try its other routes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { ID_PATTERN } from '../../protocol/patterns.js'
import { sendAsset, webAsset } from '../../common/web/assets.js'
import { KIOSK_CSS, KIOSK_JS, type KioskAsset, type KioskAssets } from './build.js'
import type { KioskEnv } from '../../protocol/kiosk-env.js'
import { kioskHtml } from './page.js'

export interface KioskHandlerOptions {
  assets: KioskAssets
  site: string
  /** The counter a kiosk device serves, or null for a device the edge does not know as a kiosk. */
  counterOf: (device: string) => string | null
  /** Port of the broker's MQTT-over-WebSocket listener, on the same host as the page. */
  wsPort: number
  wsPath?: string
  heartbeatMs?: number
  fw?: string
  thanksMs?: number
  idleMs?: number
  promptTtlMs?: number
  /** Offer a complaint after a dissatisfied rating (edge config `complaints`). */
  complaints?: boolean
}

export type KioskHandler = (req: IncomingMessage, res: ServerResponse) => boolean

/**
 * The page loads only its own script and style; the broker is reached over
 * ws(s) on another port; officer photos come from the edge or data: URLs.
 */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  'connect-src ws: wss:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

function plain(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...extra }).end(text)
}

export function createKioskHandler(o: KioskHandlerOptions): KioskHandler {
  const js = o.assets.get(KIOSK_JS)
  const css = o.assets.get(KIOSK_CSS)
  if (!js || !css) throw new Error('kiosk assets are incomplete; build them with buildKioskAssets()')
  // Query strings carry the bundle's hash so a tablet never mixes an old script with a new page.
  const refs = { js: `${KIOSK_JS}?v=${js.etag.slice(1, 13)}`, css: `${KIOSK_CSS}?v=${css.etag.slice(1, 13)}` }
  const pages = new Map<string, KioskAsset>()

  const page = (device: string): KioskAsset => {
    const counter = o.counterOf(device)
    const key = `${device}\n${counter ?? ''}`
    let a = pages.get(key)
    if (!a) {
      const env: KioskEnv = {
        device,
        site: o.site,
        counter,
        wsPort: o.wsPort,
        wsPath: o.wsPath ?? '/',
        heartbeatMs: o.heartbeatMs ?? 30_000,
        fw: o.fw ?? 'kiosk-1',
        thanksMs: o.thanksMs ?? 4000,
        idleMs: o.idleMs ?? 20_000,
        promptTtlMs: o.promptTtlMs ?? 10 * 60_000,
        complaints: o.complaints ?? false,
      }
      a = webAsset(Buffer.from(kioskHtml(env, refs)), 'text/html; charset=utf-8')
      // Only known devices are cached, so probing random ids cannot grow memory.
      if (counter !== null) pages.set(key, a)
    }
    return a
  }

  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://kiosk.invalid')
    if (url.pathname !== '/kiosk' && !url.pathname.startsWith('/kiosk/')) return false
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      plain(res, 405, 'method not allowed', { allow: 'GET, HEAD' })
      return true
    }
    if (url.pathname === '/kiosk') {
      res.writeHead(301, { location: `/kiosk/${url.search}` }).end()
      return true
    }
    if (url.pathname === '/kiosk/') {
      const device = url.searchParams.get('device') ?? ''
      if (!ID_PATTERN.test(device)) {
        plain(res, 400, 'kiosk page needs ?device=<device id>')
        return true
      }
      res.setHeader('content-security-policy', CSP)
      res.setHeader('referrer-policy', 'no-referrer')
      sendAsset(req, res, page(device), 'no-cache')
      return true
    }
    const a = o.assets.get(url.pathname)
    if (!a) plain(res, 404, 'not found')
    else sendAsset(req, res, a, url.searchParams.has('v') ? 'public, max-age=31536000, immutable' : 'no-cache')
    return true
  }
}
