/**
 * Relay benchmark helper (issue 5; `npm run bench` owns the runner): N
 * WebSocket viewers (Node clients, not browsers) of one camera through a hub
 * running in its own process, the edge side in this process with a real
 * camera simulator, ffmpeg remuxer and tunnel. Reports the hub's CPU and RSS
 * while it relays, and the delay it adds: for each fragment, arrival at a
 * viewer minus the moment the edge's own live channel handed it out (to a
 * local viewer on the same channel: what the edge's supervisor page gets).
 */
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import https from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import WebSocket from 'ws'
import { stringify } from 'yaml'
import { createLogger } from '../common/log.js'
import { hashPassword, hashSecret, newSecret } from '../common/secrets.js'
import { startCameraSim, type StreamSettings } from '../devices/camera-sim/index.js'
import { createLiveService } from '../edge/live/service.js'
import { createTunnel } from '../edge/tunnel/client.js'
import { makeTestPki } from '../testkit/certs.js'
import { startInfluxd } from '../testkit/influxd.js'
import { startTsProcess } from './lib/procs.js'
import { processUsage } from './lib/sampler.js'
import { latencyStats, type LatencyStats } from './lib/stats.js'

export interface RelayBenchOptions {
  viewers?: number
  /** How long the hub's CPU and the delays are sampled once every viewer plays. */
  measureMs?: number
  /** The simulated camera's stream (default: the simulator's own small one); a real 720p camera is ~2000 kbit/s. */
  stream?: Partial<StreamSettings>
}

export interface RelayBenchResult {
  viewers: number
  /** Viewers that received fragments during the measurement. */
  viewersReceiving: number
  fragmentsPerViewer: number
  addedDelay: LatencyStats
  hub: { cpuPercent: number; rssMb: number }
  /** Bytes per second to each viewer (the camera's bitrate, as relayed). */
  bytesPerSecondPerViewer: number
}

const SITE = 'bench-site'
const CAMERA = 'cam-1'
const fragmentKey = (data: Buffer) => createHash('sha1').update(data.subarray(0, 256)).update(String(data.length)).digest('base64')

function post(url: string, body: string, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: 'POST', ca, headers: { 'content-type': 'application/x-www-form-urlencoded' } }, (res) => {
      res.resume()
      const cookie = ([] as string[]).concat(res.headers['set-cookie'] ?? [])[0]
      if (res.statusCode !== 303 || !cookie) reject(new Error(`login answered ${res.statusCode}`))
      else resolve(cookie.split(';')[0] as string)
    })
    req.on('error', reject)
    req.end(body)
  })
}

export async function runRelayBench(opts: RelayBenchOptions = {}): Promise<RelayBenchResult> {
  const n = opts.viewers ?? 50
  const measureMs = opts.measureMs ?? 15_000
  const dir = mkdtempSync(join(tmpdir(), 'motcua-relay-bench-'))
  const log = createLogger('bench', 'silent')
  const cleanup: (() => Promise<void> | void)[] = [() => rmSync(dir, { recursive: true, force: true })]
  try {
    const pki = makeTestPki(join(dir, 'pki'))
    const influx = await startInfluxd()
    cleanup.push(() => influx.stop())
    const password = newSecret()
    const token = newSecret()
    const hubFile = join(dir, 'hub.yaml')
    writeFileSync(hubFile, stringify({
      http: { host: '127.0.0.1', port: 0, tls: { cert: pki.serverCert, key: pki.serverKey } },
      influx: { version: 1, url: influx.url, database: 'motcua' },
      edges: [{ site: SITE, tokenHash: hashSecret(token) }],
      users: [{ username: 'bench', name: 'Bench', role: 'inspector', passwordHash: await hashPassword(password) }],
      sessionSecret: newSecret(),
    }))
    const hub = await startTsProcess('hub/main.ts', [hubFile], 'hub listening', { LOG_LEVEL: 'info' })
    cleanup.push(() => hub.stop())
    const hubUrl = String(hub.ready.url)

    const sim = await startCameraSim({ password: 'bench-cam-pw', discovery: false, stream: opts.stream })
    cleanup.push(() => sim.stop())
    const rtsp = new URL(sim.rtspUrl)
    rtsp.username = sim.user
    rtsp.password = 'bench-cam-pw'
    const live = createLiveService({ log, streamUrl: () => rtsp.href })
    cleanup.push(() => live.stop())
    // The edge's own view: when each fragment left its live channel.
    const leftEdge = new Map<string, number>()
    const detachLocal = live.watch(CAMERA, {
      init: () => undefined,
      fragment: (data) => void leftEdge.set(fragmentKey(data), performance.now()),
      interrupted: () => undefined,
      backlog: () => 0,
    })
    cleanup.push(() => detachLocal?.())
    const tunnel = createTunnel({ hubUrl, token, caFile: pki.caCert, site: SITE, cameras: () => [{ id: CAMERA, name: 'Bench', counter: null }], live, log })
    tunnel.start()
    cleanup.push(() => tunnel.stop())

    const cookie = await post(`${hubUrl}/console/login`, new URLSearchParams({ username: 'bench', password }).toString(), pki.caPem)
    const deadline = Date.now() + 30_000
    while (!tunnel.status().connected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))

    let measuring = false
    const delays: number[] = []
    const perViewer = new Array<number>(n).fill(0)
    const bytes = new Array<number>(n).fill(0)
    const sockets = Array.from({ length: n }, (_, i) => {
      const ws = new WebSocket(`${hubUrl.replace('https', 'wss')}/console/live/${SITE}/${CAMERA}`, { ca: pki.caPem, headers: { cookie }, perMessageDeflate: false })
      ws.on('message', (data: Buffer, isBinary) => {
        if (!isBinary || !measuring) return
        const at = performance.now()
        const sent = leftEdge.get(fragmentKey(data))
        perViewer[i]!++
        bytes[i]! += data.length
        if (sent !== undefined) delays.push(at - sent)
      })
      ws.on('error', () => undefined)
      return ws
    })
    cleanup.push(() => sockets.forEach((ws) => ws.terminate()))
    // Let every viewer get its init and the stream settle before sampling.
    await new Promise((r) => setTimeout(r, 5000))
    measuring = true
    const [usage] = await processUsage([hub.pid], measureMs)
    measuring = false
    const receiving = perViewer.filter((c) => c > 0).length
    return {
      viewers: n,
      viewersReceiving: receiving,
      fragmentsPerViewer: perViewer.reduce((a, b) => a + b, 0) / Math.max(1, receiving),
      addedDelay: latencyStats(delays),
      hub: { cpuPercent: usage?.cpuPercent ?? NaN, rssMb: (usage?.rssBytes ?? 0) / 1e6 },
      bytesPerSecondPerViewer: bytes.reduce((a, b) => a + b, 0) / Math.max(1, receiving) / (measureMs / 1000),
    }
  } finally {
    for (const step of cleanup.reverse()) await Promise.resolve(step()).catch(() => undefined)
  }
}
