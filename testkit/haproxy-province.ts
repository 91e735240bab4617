/**
 * A province behind a real HAProxy (issue 14), for tests/deploy/haproxy.test.ts
 * and bench/haproxy.ts: Debian's haproxy running the repository's own
 * deploy/haproxy/haproxy.cfg (TLS from the test PKI) in front of three hub
 * processes (so one can be SIGKILLed) on one influxd, and a real edge with a
 * simulated camera whose hub URL is the proxy, as an edge in the field would
 * have. The hubs listen in clear on 127.0.0.1 and trust 127.0.0.1, where the
 * proxy dials them from; clients that must look like other machines bind
 * other loopback addresses (127.0.0.3…).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import http from 'node:http'
import https from 'node:https'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import WebSocket from 'ws'
import { stringify } from 'yaml'
import { createLogger } from '../common/log.js'
import { hashPassword, hashSecret, newSecret } from '../common/secrets.js'
import { startCameraSim, type CameraSim } from '../devices/camera-sim/index.js'
import { edgeConfigSchema } from '../edge/config/schema.js'
import { startEdge, type RunningEdge } from '../edge/main.js'
import { haproxyEdgeMap } from '../hub/cli/haproxy-map.js'
import { makeDemoSite, type DemoSite } from '../scripts/lib/demo-site.js'
import { makeTestPki, type TestPki } from './certs.js'
import type { Influxd } from './influxd.js'
import { freePort } from './ports.js'
import { httpStatus, killChild, spawnChild, waitReady, type Child } from './spawned.js'

const ROOT = resolve(import.meta.dirname, '..')
export const HAPROXY_CFG = join(ROOT, 'deploy/haproxy/haproxy.cfg')
export const PASSWORDS = { thanhtra: 'thanh-tra-noi-vu-1', quantri: 'quan-tri-he-thong' }
export const SITE = 'ct-center'
export const CAMERA = 'cam-hall'
/** How long a hub under tsx may take to start on a busy 2-core machine. */
const HUB_START_MS = 60_000

export interface HubProcess {
  readonly name: string
  readonly port: number
  running(): boolean
  /** SIGKILL: no goodbye to the proxy, the edge or the viewers, as a crashed machine. */
  kill(): Promise<void>
  start(): Promise<void>
  /** A sample of this instance's /metrics, read directly (this machine is local to it). */
  metric(name: string): Promise<number>
}

export interface HaproxyProvince {
  /** The proxy's public side, https://localhost:<port>. */
  url: string
  pki: TestPki
  site: DemoSite
  database: string
  /** An IOC API key (scope ioc) every instance knows. */
  apiKey: string
  hubs: HubProcess[]
  edge: RunningEdge
  sim: CameraSim
  /** The proxy's view of an instance in its default backend: 'UP', 'DOWN', … (its stats page, a test-only listener). */
  proxyStatus(hub: HubProcess): Promise<string>
  /** The running hub that holds the site's edge tunnel, or null between holders. */
  tunnelHolder(): Promise<HubProcess | null>
  /** HTTPS through the proxy (or HTTP to `base`) from `from`, a loopback address (default 127.0.0.3); no keep-alive. */
  request(path: string, init?: ProxyRequest): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }>
  /** Signs in through the proxy from `from`; returns the cookie ("name=value"). */
  login(username: keyof typeof PASSWORDS, from?: string): Promise<string>
  /** A live viewer through the proxy that reconnects as the console's player does. */
  viewer(cookie: string, from?: string): LiveViewer
  close(): Promise<void>
}

export interface ProxyRequest {
  method?: string
  cookie?: string
  body?: string
  headers?: Record<string, string>
  from?: string
  /** Another base URL (a hub directly) instead of the proxy. */
  base?: string
}

export interface LiveViewer {
  /** Media pieces received since start. */
  binaries(): number
  /** Sockets opened so far (1 + reconnects). */
  connects(): number
  /** Media pieces received on the socket opened last. */
  current(): number
  close(): void
}

/**
 * The console's player (common/live/browser/player.ts) reconnects after 500 ms,
 * doubling to at most 5 s; this one does the same, so what the bench measures
 * is what a person at the console would see.
 */
function openViewer(url: string, ca: string, cookie: string, from: string): LiveViewer {
  let binaries = 0
  let current = 0
  let connects = 0
  let backoffMs = 500
  let closed = false
  let ws: WebSocket | null = null
  let retry: NodeJS.Timeout | undefined
  const connect = () => {
    if (closed) return
    connects++
    current = 0
    const sock = new WebSocket(url, { ca, headers: { cookie }, localAddress: from, family: 4, perMessageDeflate: false })
    ws = sock
    sock.on('open', () => (backoffMs = 500))
    sock.on('message', (_data, isBinary) => {
      if (isBinary && ws === sock) {
        binaries++
        current++
      }
    })
    sock.on('error', () => undefined)
    sock.on('close', () => {
      if (closed || ws !== sock) return
      retry = setTimeout(connect, backoffMs)
      backoffMs = Math.min(5000, backoffMs * 2)
    })
  }
  connect()
  return {
    binaries: () => binaries,
    connects: () => connects,
    current: () => current,
    close() {
      closed = true
      clearTimeout(retry)
      ws?.terminate()
    },
  }
}

function sample(text: string, name: string): number {
  let sum = 0
  for (const m of text.matchAll(/^(\w+)(?:\{.*\})? (\S+)$/gm)) if (m[1] === name) sum += Number(m[2])
  return sum
}

export async function startHaproxyProvince(o: {
  influx: Influxd
  database: string
  hubs?: number
  /** The edge's reconnect backoff to the hub (forwarder and tunnel); tests shorten the defaults (500 ms to 60 s). */
  edgeBackoff?: { minMs: number; maxMs: number }
}): Promise<HaproxyProvince> {
  const dir = mkdtempSync(join(tmpdir(), 'motcua-haproxy-'))
  const log = createLogger('test', process.env.LOG_LEVEL ?? 'silent')
  const pki = makeTestPki(join(dir, 'pki'))
  const proxyPort = await freePort()
  const statsPort = await freePort()
  const url = `https://localhost:${proxyPort}`
  const site = await makeDemoSite({ siteId: SITE, counters: 4, hubUrl: url, hubCa: pki.caCert, outboxDir: join(dir, 'outbox'), ports: { mqtt: 0, ws: 0, http: 0 } })
  const sim = await startCameraSim({ password: 'Cam-Pass-7731', discovery: false })
  const users = [
    { username: 'thanhtra', name: 'Thanh tra Sở Nội vụ', role: 'inspector', passwordHash: await hashPassword(PASSWORDS.thanhtra) },
    { username: 'quantri', name: 'Quản trị viên', role: 'admin', passwordHash: await hashPassword(PASSWORDS.quantri) },
  ]
  const sessionSecret = newSecret()
  const apiKey = newSecret()
  const children: (Child | null)[] = []

  const ports = await Promise.all(Array.from({ length: o.hubs ?? 3 }, () => freePort()))
  const hubs: HubProcess[] = []
  for (const [i, port] of ports.entries()) {
    const file = join(dir, `hub${i + 1}.yaml`)
    writeFileSync(file, stringify({
      http: { host: '127.0.0.1', port },
      influx: { version: 1, url: o.influx.url, database: o.database },
      retryAfterS: 1,
      edges: [site.hubEdge],
      sites: [{ id: SITE, name: 'Trung tâm Cần Thơ' }],
      users,
      apiKeys: [{ id: 'ioc-test', keyHash: hashSecret(apiKey), scope: 'ioc' }],
      sessionSecret,
      trustedProxies: ['127.0.0.1'],
      peers: ports.filter((other) => other !== port).map((other) => `http://127.0.0.1:${other}`),
    }))
    let child: Child | null = null
    const hub: HubProcess = {
      name: `hub${i + 1}`,
      port,
      running: () => child !== null,
      async start() {
        if (child) return
        const c = spawnChild(process.execPath, ['--import', 'tsx', join(ROOT, 'hub/main.ts'), file])
        child = c
        children[i] = c
        await waitReady(c, async () => [200, 503].includes(await httpStatus(`http://127.0.0.1:${port}/healthz`).catch(() => 0)), HUB_START_MS, hub.name)
      },
      async kill() {
        const c = child
        child = null
        children[i] = null
        if (!c) return
        c.proc.kill('SIGKILL')
        await c.exited
      },
      async metric(name) {
        const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2000) })
        return sample(await res.text(), name)
      },
    }
    hubs.push(hub)
  }

  let proxy: Child | null = null
  let edge: RunningEdge | null = null
  const close = async () => {
    await edge?.stop().catch(() => undefined)
    if (proxy) await killChild(proxy)
    await Promise.all(hubs.map((h) => h.kill()))
    await sim.stop().catch(() => undefined)
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    await Promise.all(hubs.map((h) => h.start()))
    // HAProxy reads the certificate and its key from one file.
    const pem = join(dir, 'proxy.pem')
    writeFileSync(pem, (await readFile(pki.serverCert, 'utf8')) + (await readFile(pki.serverKey, 'utf8')))
    const map = join(dir, 'edges.map')
    writeFileSync(map, haproxyEdgeMap([site.hubEdge]))
    // Observation only, in a second file so the repository's config is run as it is: the stats page on loopback.
    const statsCfg = join(dir, 'stats.cfg')
    writeFileSync(statsCfg, `listen stats\n    bind 127.0.0.1:${statsPort}\n    mode http\n    stats enable\n    stats uri /stats\n`)
    const env = [`MOTCUA_BIND=127.0.0.1:${proxyPort}`, `MOTCUA_CERT=${pem}`, `MOTCUA_EDGE_MAP=${map}`, ...hubs.map((h, i) => `MOTCUA_HUB${i + 1}=127.0.0.1:${h.port}`)]
    proxy = spawnChild('env', [...env, 'haproxy', '-db', '-f', HAPROXY_CFG, '-f', statsCfg])
    const p = proxy
    await waitReady(p, async () => (await statusThrough(url, pki.caPem, '/healthz').catch(() => 0)) === 200, 30_000, 'haproxy')

    const edgeConfig = edgeConfigSchema.parse({
      ...site.edge,
      hub: { url, token: site.edgeToken, ca: pki.caCert, backoffMinMs: o.edgeBackoff?.minMs ?? 200, backoffMaxMs: o.edgeBackoff?.maxMs ?? 1000, requestTimeoutMs: 5000 },
      // The boxes press at test rates the per-device limit would slow.
      broker: { ...(site.edge.broker as object), deviceRate: { perSecond: 1e6, burst: 1e6, maxHeld: 0 } },
      cameras: [{ id: CAMERA, name: 'Sảnh chính', onvif: sim.onvifUrl, username: sim.user, password: 'Cam-Pass-7731' }],
      cameraOptions: { discovery: false, checkIntervalS: 1, snapshotDir: join(dir, 'snapshots'), snapshotMaxFiles: 10 },
    })
    edge = await startEdge(edgeConfig, { log, tunnelHeartbeatMs: 1000 })
  } catch (err) {
    await close()
    throw err
  }
  const running = edge

  const request: HaproxyProvince['request'] = (path, init = {}) =>
    new Promise((ok, fail) => {
      const target = `${init.base ?? url}${path}`
      const req = (target.startsWith('https:') ? https : http).request(target, {
        method: init.method ?? 'GET',
        ca: pki.caPem,
        agent: false,
        localAddress: init.from ?? '127.0.0.3',
        // A client address of 127.0.0.x needs an IPv4 socket: where "localhost" resolves to ::1 first (a machine whose
        // /etc/hosts lists it, or none at all) the bind would fail with EINVAL.
        family: 4,
        headers: { ...(init.cookie ? { cookie: init.cookie } : {}), ...init.headers },
      }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }))
        res.on('error', fail)
      })
      req.on('error', fail)
      req.end(init.body)
    })

  return {
    url, pki, site, database: o.database, apiKey, hubs, edge: running, sim, request,
    async proxyStatus(hub) {
      const csv = await (await fetch(`http://127.0.0.1:${statsPort}/stats;csv`, { signal: AbortSignal.timeout(2000) })).text()
      const [head = '', ...rows] = csv.split('\n')
      const col = head.replace(/^# /, '').split(',').indexOf('status')
      const row = rows.map((r) => r.split(',')).find((r) => r[0] === 'hub' && r[1] === hub.name)
      return row?.[col] ?? 'absent'
    },
    async tunnelHolder() {
      for (const h of hubs) {
        if (h.running() && (await h.metric('motcua_hub_tunnels').catch(() => 0)) === 1) return h
      }
      return null
    },
    async login(username, from = '127.0.0.3') {
      const res = await request('/console/login', {
        method: 'POST', from,
        body: new URLSearchParams({ username, password: PASSWORDS[username] }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      })
      const set = ([] as string[]).concat(res.headers['set-cookie'] ?? [])[0]
      if (res.status !== 303 || !set) throw new Error(`login ${username} through the proxy: ${res.status}`)
      return set.split(';')[0]!
    },
    viewer: (cookie, from = '127.0.0.3') => openViewer(`${url.replace('https', 'wss')}/console/live/${SITE}/${CAMERA}`, pki.caPem, cookie, from),
    close,
  }
}

/** The status of a GET through the proxy, for readiness. */
function statusThrough(base: string, ca: string, path: string): Promise<number> {
  return new Promise((ok, fail) => {
    const req = https.get(`${base}${path}`, { ca, agent: false, timeout: 2000 }, (res) => {
      res.resume()
      ok(res.statusCode ?? 0)
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', fail)
  })
}
