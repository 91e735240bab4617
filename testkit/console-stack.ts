/**
 * A province for the console tests and the live-view soak
 * (bench/lib/live-soak.ts): real influxd with 14 days of demo ratings, a
 * real hub over HTTPS with console users of every role, a camera simulator
 * and a real edge (startEdge) for ct-center whose only link to the hub is
 * the tunnel it dials out. The hub is given no address of the edge.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLogger } from '../common/log.js'
import { hashPassword, newSecret } from '../common/secrets.js'
import { startCameraSim, type CameraSim } from '../devices/camera-sim/index.js'
import { edgeConfigSchema } from '../edge/config/schema.js'
import { startEdge, type RunningEdge } from '../edge/main.js'
import { hubConfigSchema, type HubConfig } from '../hub/config/schema.js'
import { createWriter } from '../hub/rollup/writer.js'
import { startHub, type RunningHub } from '../hub/main.js'
import { DEMO_SITES, generateDemoData, writeDemoData } from '../scripts/lib/demo-data.js'
import { makeDemoSite } from '../scripts/lib/demo-site.js'
import { makeTestPki, type TestPki } from './certs.js'
import { startInfluxd, type Influxd } from './influxd.js'

export const PASSWORDS = { thanhtra: 'thanh-tra-noi-vu-1', giamsat: 'giam-sat-ninh-kieu', ioc: 'ioc-van-hanh-2026', quantri: 'quan-tri-he-thong' }

export interface ConsoleStack {
  hub: RunningHub
  hubConfig: HubConfig
  edge: RunningEdge
  sim: CameraSim
  influx: Influxd
  pki: TestPki
  /** Moves the hub's clock (sessions, audit) forward. */
  skew(ms: number): void
  /** HTTPS GET/POST against the hub with its CA; returns status, headers and body text. */
  request(path: string, init?: { method?: string; cookie?: string; body?: string; headers?: Record<string, string> }): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }>
  /** Signs in and returns the session cookie ("name=value"). */
  login(username: keyof typeof PASSWORDS): Promise<string>
  /** Signs in to the edge's own supervisor page; returns its cookie. */
  edgeLogin(): Promise<string>
  /** The edge supervisor's sign-in, for pages that fill the form. */
  edgeSupervisor: { username: string; password: string }
  /** Stops the edge and starts it again with the same config, outbox and ports; `edge` is the new one. */
  restartEdge(): Promise<void>
  close(): Promise<void>
}

export async function startConsoleStack(opts: { liveCamera?: boolean } = {}): Promise<ConsoleStack> {
  const dir = mkdtempSync(join(tmpdir(), 'motcua-console-'))
  const log = createLogger('test', process.env.LOG_LEVEL ?? 'silent')
  const pki = makeTestPki(join(dir, 'pki'))
  const influx = await startInfluxd()
  let skew = 0
  const now = () => Date.now() + skew
  const database = 'motcua'
  const demoSite = await makeDemoSite({ hubUrl: 'https://localhost:1', outboxDir: join(dir, 'outbox'), ports: { mqtt: 0, ws: 0, http: 0 }, host: '127.0.0.1' })
  const cameraPassword = 'Cam-Pass-7731'
  const sim = await startCameraSim({ password: cameraPassword, discovery: false })
  const users = [
    { username: 'thanhtra', name: 'Nguyễn Văn Thanh (Sở Nội vụ)', role: 'inspector' },
    { username: 'giamsat', name: 'Lê Thị Giám Sát', role: 'supervisor', sites: ['ct-ninh-kieu'] },
    { username: 'ioc', name: 'Trung tâm IOC', role: 'ioc' },
    { username: 'quantri', name: 'Quản trị viên', role: 'admin' },
  ] as const
  const hubConfig = hubConfigSchema.parse({
    http: { host: '127.0.0.1', port: 0, tls: { cert: pki.serverCert, key: pki.serverKey } },
    influx: { version: 1, url: influx.url, database },
    edges: [demoSite.hubEdge],
    province: 'can-tho',
    branches: [{ id: 'ninh-kieu', name: 'Chi nhánh Ninh Kiều' }, { id: 'cai-rang', name: 'Chi nhánh Cái Răng' }],
    sites: DEMO_SITES.map((s) => ({ id: s.id, name: s.name, ...(s.placement.branch ? { branch: s.placement.branch } : {}) })),
    users: await Promise.all(users.map(async (u) => ({ ...u, passwordHash: await hashPassword(PASSWORDS[u.username]) }))),
    sessionSecret: newSecret(),
  })
  const writer = createWriter(hubConfig.influx, { log })
  await writeDemoData(writer, generateDemoData({ end: Date.now(), days: 14 }))
  await writer.close()
  const hub = await startHub(hubConfig, { log, now, tunnelHeartbeatMs: 1000 })
  const edgeConfig = edgeConfigSchema.parse({
    ...demoSite.edge,
    hub: { url: hub.url.replace('127.0.0.1', 'localhost'), token: demoSite.edgeToken, ca: pki.caCert, backoffMinMs: 200, backoffMaxMs: 1000 },
    cameras: opts.liveCamera === false ? [] : [{ id: 'cam-hall', name: 'Sảnh chính', onvif: sim.onvifUrl, username: sim.user, password: cameraPassword }],
    cameraOptions: { discovery: false, checkIntervalS: 1, snapshotDir: join(dir, 'snapshots'), snapshotMaxFiles: 10 },
  })
  let edge = await startEdge(edgeConfig, { log, tunnelHeartbeatMs: 1000 })
  // A restarted edge keeps its ports, as a service restart does: pages and devices find it where it was.
  const fixedPorts = { ...edgeConfig, broker: { ...edgeConfig.broker, mqttPort: edge.ports.mqtt, wsPort: edge.ports.ws }, http: { ...edgeConfig.http, port: edge.ports.http } }

  const request: ConsoleStack['request'] = (path, init = {}) =>
    new Promise((resolve, reject) => {
      const req = https.request(
        `${hub.url}${path}`,
        { method: init.method ?? 'GET', ca: pki.caPem, agent: false, headers: { ...(init.cookie ? { cookie: init.cookie } : {}), ...init.headers } },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }))
          res.on('error', reject)
        },
      )
      req.on('error', reject)
      req.end(init.body)
    })

  const stack: ConsoleStack = {
    hub, hubConfig, edge, sim, influx, pki, request,
    edgeSupervisor: demoSite.supervisor,
    skew: (ms) => (skew += ms),
    async login(username) {
      const res = await request('/console/login', {
        method: 'POST',
        body: new URLSearchParams({ username, password: PASSWORDS[username] }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      })
      const set = ([] as string[]).concat(res.headers['set-cookie'] ?? [])[0]
      if (res.status !== 303 || !set) throw new Error(`login ${username} failed: ${res.status}`)
      return set.split(';')[0] as string
    },
    async edgeLogin() {
      // No keep-alive: a pooled socket would count as left behind in the soak.
      const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
        const req = http.request(`http://127.0.0.1:${edge.ports.http}/supervisor/login`, { method: 'POST', agent: false, headers: { 'content-type': 'application/x-www-form-urlencoded' } }, resolve)
        req.on('error', reject)
        req.end(new URLSearchParams({ username: demoSite.supervisor.username, password: demoSite.supervisor.password }).toString())
      })
      res.resume()
      const set = ([] as string[]).concat(res.headers['set-cookie'] ?? [])[0]
      if (res.statusCode !== 303 || !set) throw new Error(`edge login failed: ${res.statusCode}`)
      return set.split(';')[0]!
    },
    async restartEdge() {
      await edge.stop()
      edge = await startEdge(fixedPorts, { log, tunnelHeartbeatMs: 1000 })
      stack.edge = edge
    },
    async close() {
      await edge.stop().catch(() => undefined)
      await hub.stop().catch(() => undefined)
      await sim.stop().catch(() => undefined)
      await influx.stop().catch(() => undefined)
      rmSync(dir, { recursive: true, force: true })
    },
  }
  return stack
}
