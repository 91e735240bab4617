process.env.LOG_LEVEL ??= 'silent'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { TUNNEL_PATH } from '../../protocol/tunnel.js'
import { waitFor } from '../../testkit/wait.js'
import { createLogger } from '../../common/log.js'
import { startHub } from '../../hub/main.js'
import { request } from './helpers.js'
import { verifyChains } from '../../common/audit-chain.js'
import { auditEntries } from '../../hub/audit/audit.js'
import { MAX_POINT_MS } from '../../hub/influx/points.js'
import { createInfluxQuery } from '../../hub/queries/client.js'
import { SESSION_ENDED } from '../../hub/console/routes.js'
import { PASSWORDS, startConsoleStack, type ConsoleStack } from '../../testkit/console-stack.js'

let s: ConsoleStack

beforeAll(async () => {
  s = await startConsoleStack()
})

afterAll(async () => {
  await s?.close()
})

interface Watch {
  ws: WebSocket
  texts: { type: string; reason?: string }[]
  binaries: number
  bytes: number
  opened: Promise<void>
}

function watch(cookie: string | null, site = 'ct-center', camera = 'cam-hall'): Watch {
  const ws = new WebSocket(`${s.hub.url.replace('https', 'wss')}/console/live/${site}/${camera}`, {
    ca: s.pki.caPem,
    headers: cookie ? { cookie } : {},
  })
  const w: Watch = { ws, texts: [], binaries: 0, bytes: 0, opened: new Promise((resolve, reject) => (ws.once('open', () => resolve()), ws.once('error', reject))) }
  ws.on('message', (data: Buffer, isBinary) => {
    if (isBinary) {
      w.binaries++
      w.bytes += data.length
    } else w.texts.push(JSON.parse(data.toString()) as { type: string })
  })
  return w
}

/** The HTTP status a refused WebSocket upgrade got. */
function refusal(cookie: string | null, site: string, camera: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${s.hub.url.replace('https', 'wss')}/console/live/${site}/${camera}`, { ca: s.pki.caPem, headers: cookie ? { cookie } : {} })
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
    ws.once('open', () => {
      ws.close()
      reject(new Error('upgrade was accepted'))
    })
    ws.once('error', () => undefined)
  })
}

const closed = (ws: WebSocket) => new Promise<void>((r) => (ws.readyState === ws.CLOSED ? r() : ws.once('close', () => r())))

describe('camera relay through the edge tunnel', () => {
  it('the edge dials out and the hub learns its cameras', async () => {
    await waitFor("the hub to learn the edge's cameras", () => s.hub.relay.camera('ct-center', 'cam-hall')?.edgeConnected === true)
    expect(s.edge.tunnel?.status().connected).toBe(true)
  })

  it('refuses a tunnel without the edge token', async () => {
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${s.hub.url.replace('https', 'wss')}${TUNNEL_PATH}`, { ca: s.pki.caPem, headers: { authorization: 'Bearer not-the-token-at-all' } })
      ws.once('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0))
      ws.once('error', () => undefined)
    })
    expect(status).toBe(401)
  })

  it('relays one upstream to many viewers, with the init segment for a late joiner', async () => {
    const cookie = await s.login('thanhtra')
    const a = watch(cookie)
    await a.opened
    await waitFor('three fragments for the first viewer', () => a.binaries >= 3, { timeoutMs: 30_000 })
    expect(a.texts.find((t) => t.type === 'init')).toBeTruthy()
    const b = watch(cookie)
    await b.opened
    // The late joiner gets the cached init at once, then fragments from the live edge.
    await waitFor('the init segment and two fragments for the late joiner', () => b.texts.some((t) => t.type === 'init') && b.binaries >= 2)
    expect(s.edge.tunnel?.status().streams).toBe(1)
    expect(s.hub.relay.status()).toMatchObject({ upstreams: 1, viewers: 2 })
    const metrics = (await s.request('/metrics')).text
    expect(metrics).toMatch(/^motcua_hub_tunnels 1$/m)
    expect(metrics).toMatch(/^motcua_hub_relay_upstreams 1$/m)
    expect(metrics).toMatch(/^motcua_hub_relay_viewers 2$/m)
    a.ws.close()
    b.ws.close()
    await Promise.all([closed(a.ws), closed(b.ws)])
    // The last viewer gone, the hub tells the edge to stop the stream.
    await waitFor('the edge to stop the stream', () => s.edge.tunnel?.status().streams === 0)
    expect(s.hub.relay.status().upstreams).toBe(0)
  })

  it('signs in with an HttpOnly, SameSite=Strict, Secure cookie and signs out by clearing it', async () => {
    const res = await s.request('/console/login', {
      method: 'POST',
      body: new URLSearchParams({ username: 'thanhtra', password: PASSWORDS.thanhtra }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    const cookie = String(res.headers['set-cookie'])
    expect(res.status).toBe(303)
    expect(cookie).toMatch(/^motcua_console=thanhtra\.\d+\.\d+\.[\w-]+; Path=\/console; HttpOnly; SameSite=Strict; Max-Age=28800; Secure$/)
    const wrong = await s.request('/console/login', {
      method: 'POST',
      body: new URLSearchParams({ username: 'thanhtra', password: 'sai-mat-khau' }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect(wrong.status).toBe(401)
    expect(wrong.headers['set-cookie']).toBeUndefined()
    const out = await s.request('/console/logout', { method: 'POST', cookie: cookie.split(';')[0] })
    expect(String(out.headers['set-cookie'])).toContain('Max-Age=0')
  })

  it('signs out only from its own origin, and a sign-out ends the session on this hub instance and another (issue 11)', async () => {
    const other = await startHub({ ...s.hubConfig, http: { ...s.hubConfig.http, port: 0 } }, { log: createLogger('test', 'silent') })
    try {
      const cookie = await s.login('thanhtra')
      // The test CA's certificate names localhost.
      const otherUrl = `https://localhost:${new URL(other.url).port}`
      const me = (base: string) => request(`${base}/console/api/me`, { ca: s.pki.caPem, headers: { cookie } }).then((r) => r.status)
      expect(await me(otherUrl)).toBe(200)
      const crossSite = await s.request('/console/logout', { method: 'POST', cookie, headers: { origin: 'https://evil.example' } })
      expect(crossSite.status).toBe(403)
      expect(crossSite.headers['set-cookie']).toBeUndefined()
      expect((await s.request('/console/api/me', { cookie })).status).toBe(200)

      expect((await s.request('/console/logout', { method: 'POST', cookie })).status).toBe(303)
      expect((await s.request('/console/api/me', { cookie })).status).toBe(401)
      await waitFor('the other instance to refuse the signed-out session', async () => (await me(otherUrl)) === 401, { timeoutMs: 20_000, everyMs: 250 })
      // Signing in again at once works, on both.
      const again = await s.login('thanhtra')
      expect((await s.request('/console/api/me', { cookie: again })).status).toBe(200)
    } finally {
      await other.stop()
    }
  })

  it('ends a live view when its session goes idle, as the rest of the session does (issue 11)', async () => {
    const w = watch(await s.login('thanhtra'))
    await w.opened
    const closed = new Promise<number>((resolve) => w.ws.once('close', (code) => resolve(code)))
    // Nothing else uses the session: past the idle limit (30 min) the video ends within one check.
    // The edge learns the time from the hub's answers, so its forwarder waits meanwhile: a batch
    // acknowledged at the skewed time would teach it a clock 30 min ahead, and its next records
    // would be refused as from the future (seen on a loaded machine: 2 dead letters).
    await s.edge.forwarder?.stop()
    s.skew(s.hubConfig.sessionIdleS * 1000 + 1000)
    try {
      expect(await closed).toBe(SESSION_ENDED)
    } finally {
      s.skew(-(s.hubConfig.sessionIdleS * 1000 + 1000))
      s.edge.forwarder?.start()
    }
  })

  it('refuses video to a supervisor of another site, to the IOC and without a session', async () => {
    expect(await refusal(await s.login('giamsat'), 'ct-center', 'cam-hall')).toBe(403)
    // A camera that does not exist gets the same answer: nothing is learnt about other sites.
    expect(await refusal(await s.login('giamsat'), 'ct-center', 'no-such-cam')).toBe(403)
    expect(await refusal(await s.login('ioc'), 'ct-center', 'cam-hall')).toBe(403)
    expect(await refusal(null, 'ct-center', 'cam-hall')).toBe(401)
    expect(await refusal(await s.login('thanhtra'), 'ct-center', 'no-such-cam')).toBe(404)
    const sup = await s.login('giamsat')
    expect((await s.request('/console/api/kpis?level=site&id=ct-center', { cookie: sup })).status).toBe(403)
    expect((await s.request('/console/api/kpis?level=site&id=ct-ninh-kieu', { cookie: sup })).status).toBe(200)
    expect((await s.request('/console/api/cameras', { cookie: await s.login('ioc') })).status).toBe(403)
    expect((await s.request('/console/api/audit', { cookie: await s.login('thanhtra') })).status).toBe(403)
  })

  it('tells viewers the edge is gone and resumes when its tunnel is back', async () => {
    const w = watch(await s.login('thanhtra'))
    await w.opened
    await waitFor('two fragments', () => w.binaries >= 2, { timeoutMs: 30_000 })
    await s.edge.tunnel?.stop()
    await waitFor('the viewer to be told the edge is gone', () => w.texts.some((t) => t.type === 'interrupted' && t.reason === 'edge_disconnected'))
    expect(s.hub.relay.camera('ct-center', 'cam-hall')?.edgeConnected).toBe(false)
    const before = w.texts.filter((t) => t.type === 'init').length
    s.edge.tunnel?.start()
    await waitFor('a new init segment once the tunnel is back', () => w.texts.filter((t) => t.type === 'init').length > before, { timeoutMs: 30_000 })
    const bins = w.binaries
    await waitFor('fragments once the tunnel is back', () => w.binaries > bins + 2)
    w.ws.close()
    await closed(w.ws)
  })

  it('puts every viewing on the audit log with its duration', async () => {
    const admin = await s.login('quantri')
    let entries: { action: string; user: string; camera: string | null; durationS: number | null; viewing: string }[] = []
    await waitFor('three view_end entries on the audit log', async () => {
      const res = await s.request('/console/api/audit', { cookie: admin })
      entries = (JSON.parse(res.text) as { entries: typeof entries }).entries
      return entries.filter((e) => e.action === 'view_end').length >= 3
    })
    const ends = entries.filter((e) => e.action === 'view_end' && e.user === 'thanhtra')
    expect(ends.every((e) => e.camera === 'cam-hall' && e.durationS !== null && e.durationS > 0)).toBe(true)
    for (const e of ends) expect(entries.some((x) => x.action === 'view_start' && x.viewing === e.viewing)).toBe(true)
  })
})

describe('the edge page on the audit log (issue 11)', () => {
  it('a live view and a snapshot taken on the edge\'s own page reach the hub\'s audit log, and every chain verifies', async () => {
    const cookie = await s.edgeLogin()
    const base = `127.0.0.1:${s.edge.ports.http}`
    const ws = new WebSocket(`ws://${base}/supervisor/live/cam-hall`, { headers: { cookie, origin: `http://${base}` } })
    await new Promise<void>((resolve, reject) => {
      ws.once('message', () => resolve())
      ws.once('error', reject)
    })
    ws.close()
    const snap = await fetch(`http://${base}/supervisor/api/cameras/cam-hall/snapshot`, { method: 'POST', headers: { cookie, origin: `http://${base}` } })
    expect(snap.status).toBe(200)
    const admin = await s.login('quantri')
    type Entry = { action: string; user: string; role: string; camera: string | null; site: string | null; viewing: string; detail: string }
    let entries: Entry[] = []
    // On a timeout, say what the forwarder saw: a pause (hub 503, backoff) reads differently from a record never sent.
    const forwarding = () => `the edge page's view_end and snapshot_take on the hub's audit log (forwarder: ${JSON.stringify(s.edge.forwarder?.status())})`
    await waitFor(forwarding, async () => {
      const res = await s.request('/console/api/audit', { cookie: admin })
      entries = (JSON.parse(res.text) as { entries: Entry[] }).entries.filter((e) => e.role === 'edge_supervisor')
      return entries.some((e) => e.action === 'view_end') && entries.some((e) => e.action === 'snapshot_take')
    })
    const end = entries.find((e) => e.action === 'view_end')!
    expect(end).toMatchObject({ user: s.edgeSupervisor.username, camera: 'cam-hall', site: 'ct-center' })
    expect(entries.some((e) => e.action === 'view_start' && e.viewing === end.viewing)).toBe(true)
    const taken = entries.find((e) => e.action === 'snapshot_take')!
    expect(taken.detail).toMatch(/^cam-hall_\d{8}T\d{9}Z_manual\.jpg$/)
    const report = verifyChains(await auditEntries(createInfluxQuery(s.hubConfig.influx), 0, MAX_POINT_MS))
    expect(report.broken).toBeNull()
    expect(report.chains.some((c) => c.chain.startsWith('edge-ct-center-'))).toBe(true)
  })
})
