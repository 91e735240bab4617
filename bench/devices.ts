/**
 * Button-box figures for `npm run bench` (issue 4: 1 000 boxes connected to
 * one edge within 30 s, edge memory ≤ 200 MB). The edge runs as a child
 * process (node + tsx on edge/main.ts, so its own RSS is what we read) with a
 * generated config of `n` button boxes over at most 30 counters; the boxes
 * are the simulator's, in this process. The hub URL points at a closed port:
 * ratings stay in the edge's outbox, as during a hub outage.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { stringify } from 'yaml'
import { hashSecret } from '../common/secrets.js'
import { createLogger } from '../common/log.js'
import { edgeConfigSchema } from '../edge/config/schema.js'
import { startEdge } from '../edge/main.js'
import { startCounterSim, type SimDevice } from '../devices/simulator/sim.js'
import { measureKiosk, type KioskBenchResult } from './lib/kiosk.js'
import { rssMb } from './lib/sampler.js'
import { percentile } from './lib/stats.js'

const ROOT = resolve(import.meta.dirname, '..')
const SITE = 'bench-site'

export interface BenchBoxesOptions {
  n?: number
  counters?: number
  /** Presses per minute per box once connected. */
  ratePerMinute?: number
  /** How long the boxes stay connected (pressing, sending heartbeats) while RSS is sampled. */
  steadyMs?: number
  heartbeatMs?: number
  /** Give up waiting for every box to connect after this long. */
  connectTimeoutMs?: number
}

export interface BenchBoxesResult {
  n: number
  counters: number
  /** From the first connect attempt until every box had its CONNACK; null if they did not all connect in time. */
  connectMs: number | null
  connected: number
  /** Edge RSS before any box connected, MB. */
  idleRssMb: number
  /** Median of the edge's RSS samples while all boxes were connected, MB. */
  edgeRssMb: number
  peakRssMb: number
  pressesAcked: number
}

/** A site with `n` button boxes spread over `counters` counters in 3 departments. */
export function benchSiteConfig(n: number, counters: number, dir: string): { config: Record<string, unknown>; devices: SimDevice[] } {
  const k = Math.max(1, Math.min(counters, n))
  const devices: SimDevice[] = Array.from({ length: n }, (_, i) => ({
    id: `box-${i}`,
    counter: `q${i % k}`,
    secret: randomBytes(18).toString('base64url'),
    kind: 'button',
  }))
  const departments = ['d0', 'd1', 'd2'].map((id, i) => ({ id, name: `Sở ${i + 1}` }))
  const config = {
    site: { id: SITE, name: 'Benchmark site' },
    departments,
    counters: Array.from({ length: k }, (_, i) => ({ id: `q${i}`, name: `Quầy ${i + 1}`, department: `d${i % 3}` })),
    devices: devices.map((d) => ({ id: d.id, kind: 'button', counter: d.counter, secretHash: hashSecret(d.secret) })),
    broker: { host: '127.0.0.1', mqttPort: 0, wsPort: 0 },
    http: { host: '127.0.0.1', port: 0 },
    hub: { url: 'http://127.0.0.1:9/', token: randomBytes(16).toString('hex') },
    outbox: { dir: join(dir, 'outbox') },
  }
  return { config, devices }
}

const round = (x: number) => Math.round(x * 10) / 10
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Starts the edge child and resolves with its MQTT port once it prints its "edge listening" line. */
function startEdgeChild(configFile: string): Promise<{ child: ChildProcess; mqtt: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'edge/main.ts'), configFile], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  return new Promise((resolvePorts, reject) => {
    let out = ''
    let err = ''
    const timer = setTimeout(() => fail(new Error('edge did not start within 30 s')), 30_000)
    const fail = (e: Error) => {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(new Error(`${e.message}; stderr: ${err.slice(-500)}`))
    }
    child.stderr?.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-4000)))
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString()
      for (const line of out.split('\n')) {
        if (!line.includes('"edge listening"')) continue
        clearTimeout(timer)
        const { ports } = JSON.parse(line) as { ports: { mqtt: number } }
        resolvePorts({ child, mqtt: ports.mqtt })
        return
      }
    })
    child.once('exit', (code) => fail(new Error(`edge exited with ${code}`)))
  })
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  child.kill('SIGTERM')
  const timeout = sleep(10_000).then(() => 'timeout' as const)
  if ((await Promise.race([exited, timeout])) === 'timeout') {
    child.kill('SIGKILL')
    await exited
  }
}

export async function benchBoxes(opts: BenchBoxesOptions = {}): Promise<BenchBoxesResult> {
  const n = opts.n ?? 1000
  const counters = Math.min(opts.counters ?? 30, 30)
  const steadyMs = opts.steadyMs ?? 10_000
  const dir = mkdtempSync(join(tmpdir(), 'motcua-bench-boxes-'))
  const { config, devices } = benchSiteConfig(n, counters, dir)
  const file = join(dir, 'edge.yaml')
  writeFileSync(file, stringify(config))
  const edge = await startEdgeChild(file)
  const pid = edge.child.pid as number
  const log = createLogger('bench').child({ module: 'bench-boxes' })
  try {
    await sleep(1000)
    const idleRssMb = rssMb(pid)
    const started = performance.now()
    const sim = startCounterSim({
      url: `mqtt://127.0.0.1:${edge.mqtt}`,
      site: SITE,
      devices,
      ratePerMinute: opts.ratePerMinute ?? 0.5,
      heartbeatMs: opts.heartbeatMs ?? 5_000,
      seed: 1,
      log,
    })
    let connectMs: number | null = null
    const deadline = started + (opts.connectTimeoutMs ?? 60_000)
    while (performance.now() < deadline) {
      if (sim.stats().connects >= n) {
        connectMs = Math.round(performance.now() - started)
        break
      }
      await sleep(50)
    }
    const connected = sim.stats().connects
    const samples: number[] = []
    const steadyEnd = performance.now() + steadyMs
    while (performance.now() < steadyEnd) {
      await sleep(Math.min(1000, Math.max(0, steadyEnd - performance.now())))
      samples.push(rssMb(pid))
    }
    const final = await sim.stop({ drainMs: 3000 })
    return {
      n,
      counters,
      connectMs,
      connected,
      idleRssMb: round(idleRssMb),
      edgeRssMb: round(percentile(samples, 50)),
      peakRssMb: round(Math.max(...samples)),
      pressesAcked: final.acked,
    }
  } finally {
    await stopChild(edge.child)
    rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * The kiosk timings against the real edge in this process (its broker,
 * LevelDB outbox and /kiosk/ page; no forwarding): load → ready and
 * press → PUBACK on screen.
 */
export async function benchKioskOnEdge(opts: { loads?: number; presses?: number } = {}): Promise<KioskBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'motcua-bench-kiosk-'))
  const secret = randomBytes(18).toString('base64url')
  const { config } = benchSiteConfig(1, 1, dir)
  const edge = await startEdge(
    edgeConfigSchema.parse({ ...config, devices: [{ id: 'kiosk-0', kind: 'kiosk', counter: 'q0', secretHash: hashSecret(secret) }] }),
    { forward: false, log: createLogger('bench') },
  )
  try {
    return await measureKiosk({
      url: `http://127.0.0.1:${edge.ports.http}/kiosk/?device=kiosk-0#secret=${secret}`,
      loads: opts.loads ?? 5,
      presses: opts.presses ?? 5,
    })
  } finally {
    await edge.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}
