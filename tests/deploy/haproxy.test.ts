/**
 * Issue 14: three hub processes behind Debian's haproxy running the
 * repository's deploy/haproxy/haproxy.cfg, one influxd, a real edge whose
 * hub is the proxy. No affinity but the site's: ingest survives a hub killed
 * mid-stream with every acknowledged rating stored once, a viewer lands on
 * the instance holding its site's tunnel and follows it to another when that
 * one is killed, and the hubs see the real client only through the proxy.
 */
process.env.LOG_LEVEL ??= 'silent'
import https from 'node:https'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCounterSim } from '../../devices/simulator/sim.js'
import { startInfluxd, type Influxd } from '../../testkit/influxd.js'
import WebSocket from 'ws'
import { CAMERA, SITE, startHaproxyProvince, type HaproxyProvince, type HubProcess } from '../../testkit/haproxy-province.js'
import { waitFor } from '../../testkit/wait.js'
import { countIds } from '../support/stack.js'

const DB = 'motcua_haproxy'
// "It happens at all" bounds on a busy 2-core machine; how fast is bench/haproxy.ts's business.
const FLOW_MS = 60_000
const MOVE_MS = 60_000

let influx: Influxd
let p: HaproxyProvince

beforeAll(async () => {
  influx = await startInfluxd()
  p = await startHaproxyProvince({ influx, database: DB })
}, 240_000)

afterAll(async () => {
  await p?.close()
  await influx?.stop()
})

async function storedEventIds(): Promise<string[]> {
  const q = new URLSearchParams({ db: DB, q: 'SELECT event_id FROM rating' })
  const body = (await (await fetch(`${influx.url}/query?${q}`)).json()) as { results: { series?: { values: [string, string][] }[] }[] }
  return body.results[0]?.series?.[0]?.values.map((v) => v[1]) ?? []
}

/** A killed instance back and marked up by the proxy (its health checks: rise 2, every second). */
async function revive(hub: HubProcess): Promise<void> {
  await hub.start()
  await waitFor(`the proxy to mark ${hub.name} up again`, async () => (await p.proxyStatus(hub)) === 'UP', { timeoutMs: MOVE_MS })
}

/** Whether a live view through the proxy is accepted on its first socket (the one the proxy picked), or refused. */
function firstSocket(cookie: string, from: string): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${p.url.replace('https', 'wss')}/console/live/${SITE}/${CAMERA}`, { ca: p.pki.caPem, headers: { cookie }, localAddress: from, family: 4 })
    ws.once('open', () => (ws.terminate(), resolve(true)))
    ws.once('unexpected-response', (req) => (req.destroy(), resolve(false)))
    ws.once('error', () => resolve(false))
  })
}

/** Five viewers from five addresses, one after another: with the site's routing every one lands on the tunnel's instance. */
async function everyFirstSocketAccepted(cookie: string): Promise<boolean[]> {
  const got: boolean[] = []
  for (let i = 0; i < 5; i++) got.push(await firstSocket(cookie, `127.0.0.${20 + i}`))
  return got
}

const auditClients = async (admin: string, action: string) => {
  const res = await p.request('/console/api/audit?days=1', { cookie: admin })
  return (JSON.parse(res.text) as { entries: { action: string; client: string; detail: string }[] }).entries.filter((e) => e.action === action)
}

describe('hubs behind HAProxy', () => {
  it('ingest: a hub killed mid-stream loses and doubles no acknowledged rating', async () => {
    const sim = startCounterSim({
      url: `mqtt://127.0.0.1:${p.edge.ports.mqtt}`,
      site: p.site.siteId,
      devices: p.site.devices.filter((d) => d.kind === 'button').map((d) => ({ id: d.id, counter: d.counter!, secret: d.secret, kind: 'button' as const })),
      ratePerMinute: 1200,
      resendAfterMs: 2000,
      seed: 14,
    })
    const acked = async (n: number, what: string) => {
      const mark = sim.stats().acked
      await waitFor(`${n} presses acknowledged ${what}`, () => sim.stats().acked >= mark + n, { timeoutMs: FLOW_MS })
    }
    await acked(100, 'before the kill')
    // The instance the edge's batches are landing on right now.
    const before = await Promise.all(p.hubs.map((h) => h.metric('motcua_hub_batches_total')))
    let busy: HubProcess | undefined
    await waitFor('an instance taking batches', async () => {
      const now = await Promise.all(p.hubs.map((h) => h.metric('motcua_hub_batches_total')))
      busy = p.hubs.find((_, i) => now[i]! > before[i]!)
      return busy
    }, { timeoutMs: FLOW_MS, everyMs: 20 })
    await busy!.kill()
    await acked(200, 'after the kill, through the other instances')
    const stats = await sim.stop({ drainMs: 30_000 })
    expect(stats.pending).toBe(0)
    const ackedIds = sim.acked()
    let missing = [...ackedIds]
    await waitFor(() => `every acknowledged rating in InfluxDB (${missing.length} of ${ackedIds.size} missing)`, async () => {
      const stored = new Set(await storedEventIds())
      missing = [...ackedIds].filter((id) => !stored.has(id))
      return missing.length === 0
    }, { timeoutMs: FLOW_MS, everyMs: 250 })
    const counts = countIds(await storedEventIds())
    const sent = sim.sent()
    expect({
      twice: [...counts].filter(([, n]) => n > 1).map(([id]) => id),
      unknown: [...counts.keys()].filter((id) => !sent.has(id)),
    }).toEqual({ twice: [], unknown: [] })
    await revive(busy!)
  }, 240_000)

  it("an edge's batch through the proxy waits for the hub's 100 Continue; one the hub refuses is answered before its upload", async () => {
    const body = JSON.stringify({ v: 1, site: p.site.siteId, records: [
      { kind: 'heartbeat', seq: 1, t: Date.now() - 60_000, clock: 'synced', counter: 'q1', device: 'expect-probe', uptimeS: 1, rssi: -40, battery: 90 },
    ] })
    const send = (token: string) => new Promise<{ continued: boolean; status: number }>((resolve, reject) => {
      let continued = false
      const req = https.request(`${p.url}/v1/batches`, {
        method: 'POST', ca: p.pki.caPem, agent: false,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), expect: '100-continue' },
      }, (res) => {
        res.resume()
        res.on('end', () => {
          resolve({ continued, status: res.statusCode ?? 0 })
          if (!continued) req.destroy()
        })
      })
      // The body goes only after a 100: a proxy that held it back, or answered for the hub, would show here.
      req.on('continue', () => {
        continued = true
        req.end(body)
      })
      req.on('error', reject)
    })
    const spared = async () => (await Promise.all(p.hubs.filter((h) => h.running()).map((h) => h.metric('motcua_hub_batch_uploads_spared_total')))).reduce((a, b) => a + b, 0)
    expect(await send(p.site.edgeToken)).toEqual({ continued: true, status: 200 })
    const before = await spared()
    expect(await send('not-the-edge-token-0123456789')).toEqual({ continued: false, status: 401 })
    expect(await spared()).toBe(before + 1)
  })

  it('the console through the proxy: Secure cookie, HSTS, the real client on the audit log and in sign-in throttling', async () => {
    const signIn = (password: string, from: string) => p.request('/console/login', {
      method: 'POST', from,
      body: new URLSearchParams({ username: 'thanhtra', password }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    const ok = await signIn('thanh-tra-noi-vu-1', '127.0.0.3')
    expect(ok.status).toBe(303)
    expect(String(ok.headers['set-cookie'])).toMatch(/; Secure$/)
    expect(ok.headers['strict-transport-security']).toBe('max-age=31536000')
    const cookie = String(ok.headers['set-cookie']).split(';')[0]!
    // An export lands on whichever instance; its audit entry names the client behind the proxy, not what the client
    // wrote in its own X-Forwarded-For (the proxy drops it).
    expect((await p.request('/console/export/kpis.csv?level=province', { cookie, from: '127.0.0.3', headers: { 'x-forwarded-for': '198.51.100.7' } })).status).toBe(200)
    const admin = await p.login('quantri', '127.0.0.3')
    await waitFor('the export on the audit log with the client behind the proxy', async () =>
      (await auditClients(admin, 'export')).some((e) => e.client === '127.0.0.3' && e.detail.includes('kpis.csv')))

    // Five wrong passwords from one client lock that client, on whichever instance it signs in, and no other.
    for (let i = 0; i < 5; i++) expect((await signIn('sai-mat-khau-nhe', '127.0.0.4')).status).toBe(401)
    expect((await signIn('thanh-tra-noi-vu-1', '127.0.0.4')).status).toBe(429)
    expect((await signIn('thanh-tra-noi-vu-1', '127.0.0.6')).status).toBe(303)
  })

  it("the IOC's event stream through the proxy carries new ratings, and is audited under the client behind the proxy", async () => {
    let status = 0
    let text = ''
    const req = https.request(`${p.url}/api/v1/stream?site=${SITE}`, { ca: p.pki.caPem, agent: false, localAddress: '127.0.0.9', family: 4, headers: { 'x-api-key': p.apiKey } }, (res) => {
      status = res.statusCode ?? 0
      res.on('data', (c: Buffer) => (text += c.toString()))
      res.on('error', () => undefined)
    })
    req.on('error', () => undefined)
    req.end()
    const sim = startCounterSim({
      url: `mqtt://127.0.0.1:${p.edge.ports.mqtt}`,
      site: p.site.siteId,
      devices: p.site.devices.filter((d) => d.kind === 'button').slice(0, 1).map((d) => ({ id: d.id, counter: d.counter!, secret: d.secret, kind: 'button' as const })),
      ratePerMinute: 120,
      seed: 15,
    })
    try {
      await waitFor('the stream open through the proxy', () => status === 200)
      await waitFor('a rating event through the proxy', () => text.includes('event: rating'), { timeoutMs: FLOW_MS })
    } finally {
      req.destroy()
      await sim.stop({ drainMs: 10_000 })
    }
    const admin = await p.login('quantri', '127.0.0.3')
    await waitFor('the stream on the audit log under the client behind the proxy', async () =>
      (await auditClients(admin, 'export')).some((e) => e.client === '127.0.0.9' && e.detail.startsWith('/api/v1/stream')))
  })

  it('a client that is not the proxy cannot claim another address or TLS', async () => {
    const hub = p.hubs.find((h) => h.running())!
    // Straight to an instance from 127.0.0.5, which is not in trustedProxies, with a proxy's headers of its own making.
    const direct = (path: string, init: { method?: string; cookie?: string; body?: string; headers?: Record<string, string> } = {}) =>
      p.request(path, { ...init, base: `http://127.0.0.1:${hub.port}`, from: '127.0.0.5', headers: { 'x-forwarded-for': '198.51.100.7', 'x-forwarded-proto': 'https', ...init.headers } })
    const signIn = (password: string, forFor: string) => direct('/console/login', {
      method: 'POST',
      body: new URLSearchParams({ username: 'thanhtra', password }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': forFor },
    })
    const res = await signIn('thanh-tra-noi-vu-1', '198.51.100.7')
    expect(res.status).toBe(303)
    // It came in clear, whatever it says: no Secure cookie, no HSTS.
    expect(String(res.headers['set-cookie'])).not.toMatch(/Secure/)
    expect(res.headers['strict-transport-security']).toBeUndefined()
    const cookie = String(res.headers['set-cookie']).split(';')[0]!
    expect((await direct('/console/export/kpis.csv?level=site&id=ct-center', { cookie })).status).toBe(200)
    const admin = await p.login('quantri', '127.0.0.3')
    await waitFor('the direct export on the audit log under its socket address', async () =>
      (await auditClients(admin, 'export')).some((e) => e.detail.includes('id=ct-center') && e.client === '127.0.0.5'))
    expect((await auditClients(admin, 'export')).some((e) => e.client === '198.51.100.7')).toBe(false)
    // A new made-up address per guess does not escape the lockout.
    for (let i = 0; i < 5; i++) expect((await signIn('sai-mat-khau-nhe', `203.0.113.${i + 1}`)).status).toBe(401)
    expect((await signIn('thanh-tra-noi-vu-1', '203.0.113.99')).status).toBe(429)
  })

  it('live view: viewers land on the instance holding the tunnel, follow it when that one is killed, and stay when it returns', async () => {
    const cookie = await p.login('thanhtra', '127.0.0.3')
    const first = await waitFor('the edge tunnel on one instance', () => p.tunnelHolder(), { timeoutMs: MOVE_MS })
    // Two people at two machines; the proxy sends both to the instance with the tunnel, whatever their address.
    const a = p.viewer(cookie, '127.0.0.3')
    const b = p.viewer(cookie, '127.0.0.7')
    try {
      await waitFor('video for both viewers through the proxy', () => a.binaries() >= 3 && b.binaries() >= 3, { timeoutMs: MOVE_MS })
      expect(await first.metric('motcua_hub_relay_viewers')).toBe(2)
      expect([a.connects(), b.connects()]).toEqual([1, 1])
      // The camera wall's list is the same whichever instance answers it, the tunnel's or another.
      for (const hub of p.hubs) {
        const res = await p.request('/console/api/cameras', { base: `http://127.0.0.1:${hub.port}`, from: '127.0.0.1', cookie })
        expect({ hub: hub.name, cameras: (JSON.parse(res.text) as { cameras: unknown[] }).cameras })
          .toEqual({ hub: hub.name, cameras: [expect.objectContaining({ site: 'ct-center', id: 'cam-hall', edgeConnected: true, viewers: 2 })] })
      }
      // Nor is an instance's list of its cameras open through the proxy.
      expect((await p.request('/v1/peer/cameras')).status).toBe(404)
      // What else is read from the edge over its tunnel lands there too, from any client: here the snapshot list
      // (an instance without the tunnel answers HUB_EDGE_OFFLINE).
      for (const from of ['127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6', '127.0.0.9']) {
        const res = await p.request(`/console/api/recordings/${SITE}/snapshots`, { cookie, from })
        expect({ from, status: res.status, body: res.status === 200 ? '' : res.text }).toEqual({ from, status: 200, body: '' })
      }
      // Last, as the instance counts its viewers only once their sockets are gone.
      expect(await everyFirstSocketAccepted(cookie)).toEqual([true, true, true, true, true])

      await first.kill()
      const marks = [a.binaries(), b.binaries()]
      const next = await waitFor('the tunnel on another instance', () => p.tunnelHolder(), { timeoutMs: MOVE_MS })
      expect(next).not.toBe(first)
      await waitFor('both viewers receiving video again', () => a.binaries() >= marks[0]! + 3 && b.binaries() >= marks[1]! + 3, { timeoutMs: MOVE_MS })
      expect(a.connects()).toBeGreaterThan(1)
      expect(await next.metric('motcua_hub_relay_viewers')).toBe(2)

      // Back in the proxy's rotation, the killed instance does not pull the site away from its tunnel.
      await revive(first)
      const c = p.viewer(cookie, '127.0.0.8')
      try {
        await waitFor('video for a viewer who came after the instance returned', () => c.binaries() >= 3, { timeoutMs: MOVE_MS })
        expect(await p.tunnelHolder()).toBe(next)
        expect(c.connects()).toBe(1)
        expect(await next.metric('motcua_hub_relay_viewers')).toBe(3)
        expect(await everyFirstSocketAccepted(cookie)).toEqual([true, true, true, true, true])
      } finally {
        c.close()
      }
      const admin = await p.login('quantri', '127.0.0.3')
      await waitFor('each viewing on the audit log under its client behind the proxy', async () => {
        const clients = new Set((await auditClients(admin, 'view_start')).map((e) => e.client))
        return ['127.0.0.3', '127.0.0.7', '127.0.0.8'].every((c) => clients.has(c))
      })
    } finally {
      a.close()
      b.close()
    }
  }, 240_000)
})
