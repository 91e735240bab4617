/**
 * Issue 11, finding 6: the edge's pages (kiosk, supervisor page, live video,
 * health) over TLS with the site's CA, a loud warning for every listener that
 * serves the network in clear, and no plain-http hub off this machine.
 */
process.env.LOG_LEVEL ??= 'silent'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { afterAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { stringify } from 'yaml'
import { createLogger } from '../../common/log.js'
import { hashPassword } from '../../common/secrets.js'
import { startEdge, type RunningEdge } from '../../edge/main.js'
import { makeTestPki } from '../../testkit/certs.js'
import { request } from '../hub/helpers.js'
import { testSite } from '../support/edge-site.js'

const root = join(import.meta.dirname, '..', '..')
const tmp = mkdtempSync(join(tmpdir(), 'motcua-edge-tls-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))
const pki = makeTestPki(join(tmp, 'pki'), 'motcua-site')
const tls = { cert: pki.serverCert, key: pki.serverKey, ca: pki.caCert }
const PASSWORD = 'mat-khau-dai-123'

/** An edge with its warn lines captured; `site` overrides testSite's. */
async function edgeWith(overrides: Record<string, unknown>): Promise<{ edge: RunningEdge; warnings: Record<string, unknown>[]; site: ReturnType<typeof testSite> }> {
  const lines: string[] = []
  const log = createLogger('edge', 'warn', { write: (line: string) => void lines.push(line) })
  const site = testSite({ outbox: { dir: mkdtempSync(join(tmp, 'outbox-')) }, cameraOptions: { discovery: false }, ...overrides })
  const edge = await startEdge(site.config, { forward: false, log })
  const warnings = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.level === 40)
  return { edge, warnings, site }
}

describe('edge pages over TLS (http.tls, the site CA)', () => {
  it('a supervisor signs in over HTTPS with a client that trusts the site CA; a client that does not is refused; devices use mqtts', async () => {
    const { edge, warnings, site } = await edgeWith({
      http: { host: '0.0.0.0', port: 0, tls },
      broker: { host: '0.0.0.0', mqttPort: 0, wsPort: 0, tls },
      supervisors: [{ username: 'giamsat1', name: 'Giám sát', passwordHash: await hashPassword(PASSWORD) }],
    })
    try {
      expect(warnings).toEqual([])
      const base = `https://127.0.0.1:${edge.ports.http}`
      const form = new URLSearchParams({ username: 'giamsat1', password: PASSWORD, lang: 'vi' }).toString()
      const signIn = await request(`${base}/supervisor/login`, { ca: pki.caPem, method: 'POST', rawBody: form })
      expect(signIn.status).toBe(303)
      const cookie = String(signIn.headers['set-cookie'])
      // The browser keeps the cookie for https only.
      expect(cookie).toContain('Secure')
      const cameras = await request(`${base}/supervisor/api/cameras`, { ca: pki.caPem, headers: { cookie: cookie.split(';')[0]! } })
      expect(cameras.status).toBe(200)
      expect((await request(`${base}/healthz`, { ca: pki.caPem })).status).toBe(200)
      // The live video's WebSocket is on the same TLS server: signed in it reaches the camera check (no camera here: 404).
      const live = (headers: Record<string, string>) =>
        new Promise<number>((resolve, reject) => {
          const ws = new WebSocket(`wss://127.0.0.1:${edge.ports.http}/supervisor/live/cam-1`, { ca: pki.caPem, headers })
          ws.once('unexpected-response', (_req, res) => {
            resolve(res.statusCode ?? 0)
            ws.terminate()
          })
          ws.once('open', () => {
            resolve(101)
            ws.close()
          })
          ws.once('error', reject)
        })
      expect(await live({ cookie: cookie.split(';')[0]! })).toBe(404)
      expect(await live({})).toBe(401)

      // Without the site's CA (Node's bundled CAs only) the certificate is refused before the password is sent.
      await expect(request(`${base}/supervisor/login`, { method: 'POST', rawBody: form })).rejects.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' })
      // A plain HTTP request to the TLS port gets no page.
      await expect(fetch(`http://127.0.0.1:${edge.ports.http}/healthz`, { signal: AbortSignal.timeout(10_000) }).then((r) => r.status)).rejects.toThrow()

      const k1 = site.devices.k1!
      const client = await mqtt.connectAsync(`wss://127.0.0.1:${edge.ports.ws}/mqtt`, { username: k1.id, password: k1.secret, ca: pki.caPem, reconnectPeriod: 0 })
      await client.endAsync()
    } finally {
      await edge.stop()
    }
  })
})

describe('a plain listener on the network is warned about at start', () => {
  it('one warn line per plain listener not on loopback, naming it and what crosses it in clear; none for TLS or loopback', async () => {
    const httpPlain = await edgeWith({ http: { host: '0.0.0.0', port: 0 }, broker: { host: '0.0.0.0', mqttPort: 0, wsPort: 0, tls } })
    await httpPlain.edge.stop()
    expect(httpPlain.warnings).toHaveLength(1)
    expect(httpPlain.warnings[0]).toMatchObject({
      msg: 'listener on the network without TLS', listener: 'http', host: '0.0.0.0', port: httpPlain.edge.ports.http, fix: 'http.tls',
      inClear: expect.stringContaining('supervisor passwords'),
    })
    expect(httpPlain.warnings[0]!.inClear).toContain('live camera video')

    const brokerPlain = await edgeWith({ broker: { host: '0.0.0.0', mqttPort: 0, wsPort: 0 } })
    await brokerPlain.edge.stop()
    expect(brokerPlain.warnings.map((w) => [w.listener, w.port, w.fix])).toEqual([
      ['mqtt', brokerPlain.edge.ports.mqtt, 'broker.tls'],
      ['websocket', brokerPlain.edge.ports.ws, 'broker.tls'],
    ])
    expect(brokerPlain.warnings[0]!.inClear).toContain('device passwords')

    // testSite binds every listener to 127.0.0.1: nothing crosses the network.
    const loopback = await edgeWith({})
    await loopback.edge.stop()
    expect(loopback.warnings).toEqual([])
  })
})

describe('the hub URL', () => {
  it('a real edge refuses an http:// hub off this machine, naming the key; exit 78', async () => {
    const dir = mkdtempSync(join(tmp, 'hub-url-'))
    const file = join(dir, 'edge.yaml')
    const { config } = testSite()
    writeFileSync(file, stringify({ ...config, hub: { ...config.hub, url: 'http://hub.example.vn:8443/' }, outbox: { dir: join(dir, 'outbox') } }))
    const child = spawn(process.execPath, ['--import', 'tsx', 'edge/main.ts', file], { cwd: root, env: { ...process.env, LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)))
    clearTimeout(timer)
    expect(code).toBe(78)
    expect(stderr).toContain(`EDGE_CONFIG_INVALID ${file}: invalid configuration`)
    expect(stderr).toMatch(/hub\.url: expected an https:\/\/ URL: over http:\/\/ the edge token and every rating cross the network in clear/)
  }, 40_000)
})
