process.env.LOG_LEVEL ??= 'silent'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildKioskAssets, KIOSK_CSS, KIOSK_JS } from '../../edge/kiosk/build.js'
import { KIOSK_ENV_ELEMENT_ID, type KioskEnv } from '../../protocol/kiosk-env.js'
import { createKioskHandler } from '../../edge/kiosk/handler.js'

let server: Server
let base = ''

beforeAll(async () => {
  const handler = createKioskHandler({
    assets: await buildKioskAssets(),
    site: 'ct-center',
    counterOf: (d) => (d === 'kiosk-q01' ? 'q01' : null),
    wsPort: 18083,
    fw: 'kiosk-</script>',
  })
  server = createServer((req, res) => {
    if (!handler(req, res)) res.writeHead(418).end('not mine')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((r) => server.close(r))
})

const get = (path: string, headers: Record<string, string> = {}) => fetch(base + path, { headers, redirect: 'manual' })

function envOf(html: string): KioskEnv {
  const m = html.match(new RegExp(`<script id="${KIOSK_ENV_ELEMENT_ID}" type="application/json">(.*?)</script>`))
  return JSON.parse(m?.[1] ?? 'null') as KioskEnv
}

describe('kiosk HTTP handler', () => {
  it('serves the page with this device’s env and a strict CSP', async () => {
    const res = await get('/kiosk/?device=kiosk-q01')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'")
    const html = await res.text()
    expect(envOf(html)).toMatchObject({ device: 'kiosk-q01', site: 'ct-center', counter: 'q01', wsPort: 18083, wsPath: '/', heartbeatMs: 30_000 })
    // A value that looks like markup cannot close the env element.
    expect(html).not.toContain('kiosk-</script>')
    expect(envOf(html).fw).toBe('kiosk-</script>')
    expect(html).toMatch(/src="\/kiosk\/kiosk\.js\?v=[\w-]+"/)
  })

  it('tells an unknown device so, and refuses a page without a valid device id', async () => {
    expect(envOf(await (await get('/kiosk/?device=kiosk-zz')).text()).counter).toBeNull()
    expect((await get('/kiosk/')).status).toBe(400)
    expect((await get('/kiosk/?device=../etc')).status).toBe(400)
  })

  it('serves the bundle gzipped, with an etag that answers 304', async () => {
    const res = await get(`${KIOSK_JS}?v=1`, { 'accept-encoding': 'gzip' })
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toContain('immutable')
    const plain = await get(KIOSK_JS, { 'accept-encoding': 'identity' })
    expect(plain.headers.get('content-encoding')).toBeNull()
    const body = Buffer.from(await plain.arrayBuffer())
    expect(body.toString()).toContain('motcua/v')
    expect(res.headers.get('content-encoding')).toBe('gzip')
    // fetch decodes gzip transparently: the decoded body must be the same script.
    expect(Buffer.from(await res.arrayBuffer()).equals(body)).toBe(true)
    const etag = plain.headers.get('etag') ?? ''
    expect((await get(KIOSK_JS, { 'if-none-match': etag })).status).toBe(304)
    const css = await get(KIOSK_CSS)
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8')
    expect(await css.text()).toContain('.level')
  })

  it('keeps zod out of the browser bundle', async () => {
    const js = await (await get(KIOSK_JS)).text()
    expect(js.length).toBeLessThan(500_000)
    expect(js).not.toContain('ZodError')
  })

  it('answers 404, 405 and a redirect under /kiosk, and leaves other paths alone', async () => {
    expect((await get('/kiosk/nope.js')).status).toBe(404)
    expect((await fetch(base + '/kiosk/', { method: 'POST' })).status).toBe(405)
    const r = await get('/kiosk?device=kiosk-q01')
    expect(r.status).toBe(301)
    expect(r.headers.get('location')).toBe('/kiosk/?device=kiosk-q01')
    expect((await get('/healthz')).status).toBe(418)
    expect((await get('/kiosker')).status).toBe(418)
  })
})

