/**
 * A whole rating spine for fault tests: a real influxd, a hub over HTTPS
 * (in-process, restartable on its port), and the edge as a child process
 * (so it can be SIGKILLed) on fixed loopback ports that survive restarts.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { stringify } from 'yaml'
import { createLogger } from '../../common/log.js'
import { hubConfigSchema, type HubConfig } from '../../hub/config/schema.js'
import { startHub, type RunningHub } from '../../hub/main.js'
import { makeDemoSite, type DemoSite } from '../../scripts/lib/demo-site.js'
import { makeTestPki, type TestPki } from '../../testkit/certs.js'
import type { Influxd } from '../../testkit/influxd.js'
import { freePort } from '../../testkit/ports.js'

const ROOT = resolve(import.meta.dirname, '../..')

export interface Stack {
  site: DemoSite
  dir: string
  pki: TestPki
  database: string
  mqttUrl: string
  edgeHttp: string
  edgePid(): number | undefined
  startEdge(): Promise<void>
  /** SIGKILL: no clean shutdown, no flush, like a power cut. */
  killEdge(): Promise<void>
  stopEdge(): Promise<void>
  startHub(): Promise<void>
  stopHub(): Promise<void>
  /** Event ids of every rating point in InfluxDB (one entry per point). */
  storedEventIds(): Promise<string[]>
  /** Sum of the edge's /metrics samples named `name` whose labels include `labels` (e.g. 'code="EDGE_DISK_FULL"'). */
  edgeMetric(name: string, labels?: string): Promise<number>
  close(): Promise<void>
}

export async function startStack(opts: {
  influx: Influxd
  database: string
  counters?: number
  /** Folder for the edge's outbox (e.g. a small tmpfs); default inside the stack's temp dir. */
  outboxDir?: string
  edgeOverrides?: Record<string, unknown>
}): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), 'motcua-stack-'))
  const pki = makeTestPki(join(dir, 'pki'))
  const hubPort = await freePort()
  const ports = { mqtt: await freePort(), ws: await freePort(), http: await freePort() }
  const hubUrl = `https://localhost:${hubPort}`
  const site = await makeDemoSite({
    counters: opts.counters ?? 4,
    hubUrl,
    hubCa: pki.caCert,
    outboxDir: opts.outboxDir ?? join(dir, 'outbox'),
    ports,
  })
  const edgeFile = join(dir, 'edge.yaml')
  const edgeConfig = {
    ...site.edge,
    hub: { ...(site.edge.hub as object), backoffMinMs: 100, backoffMaxMs: 1000, requestTimeoutMs: 3000 },
    // The fault suites' boxes press at load-test rates (up to 150/s each) that the per-device rate limit would slow.
    broker: { ...(site.edge.broker as object), deviceRate: { perSecond: 1e6, burst: 1e6, maxHeld: 0 } },
    healthIntervalS: 1,
    ...opts.edgeOverrides,
  }
  writeFileSync(edgeFile, stringify(edgeConfig))
  const hubConfig: HubConfig = hubConfigSchema.parse({
    http: { host: '127.0.0.1', port: hubPort, tls: { cert: pki.serverCert, key: pki.serverKey } },
    influx: { version: 1, url: opts.influx.url, database: opts.database },
    retryAfterS: 1,
    edges: [site.hubEdge],
  })
  const silent = createLogger('hub', 'silent')

  let hub: RunningHub | null = null
  let edge: ChildProcess | null = null
  let edgeExited: Promise<void> = Promise.resolve()
  const logDir = join(dir, 'logs')
  mkdirSync(logDir)

  const stack: Stack = {
    site,
    dir,
    pki,
    database: opts.database,
    mqttUrl: `mqtt://127.0.0.1:${ports.mqtt}`,
    edgeHttp: `http://127.0.0.1:${ports.http}`,
    edgePid: () => edge?.pid,
    async startEdge() {
      const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'edge/main.ts'), edgeFile], {
        cwd: ROOT,
        env: { ...process.env, LOG_LEVEL: process.env.STACK_LOG_LEVEL ?? 'warn' },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      edge = child
      edgeExited = new Promise((ok) => child.once('exit', () => ok()))
      let stderr = ''
      child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)))
      await new Promise<void>((ok, fail) => {
        const timer = setTimeout(() => fail(new Error(`edge did not start in 30 s: ${stderr}`)), 30_000)
        let out = ''
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString()
          if (out.includes('"edge listening"')) {
            clearTimeout(timer)
            ok()
          }
        })
        child.once('exit', (code) => {
          clearTimeout(timer)
          fail(new Error(`edge exited with ${code}: ${stderr}`))
        })
      })
    },
    async killEdge() {
      edge?.kill('SIGKILL')
      await edgeExited
      edge = null
    },
    async stopEdge() {
      if (!edge) return
      const child = edge
      const force = setTimeout(() => child.kill('SIGKILL'), 10_000)
      child.kill('SIGTERM')
      await edgeExited
      clearTimeout(force)
      edge = null
    },
    async startHub() {
      hub ??= await startHub(hubConfig, { log: silent, stopGraceMs: 500 })
    },
    async stopHub() {
      await hub?.stop()
      hub = null
    },
    async storedEventIds() {
      const q = new URLSearchParams({ db: opts.database, q: 'SELECT event_id FROM rating' })
      const res = await fetch(`${opts.influx.url}/query?${q}`)
      const body = (await res.json()) as { results: { series?: { values: [string, string][] }[]; error?: string }[] }
      const result = body.results[0]!
      if (result.error?.includes('database not found')) return []
      if (result.error) throw new Error(result.error)
      return result.series?.[0]?.values.map((v) => v[1]) ?? []
    },
    async edgeMetric(name, labels = '') {
      const text = await (await fetch(`${stack.edgeHttp}/metrics`)).text()
      let sum = 0
      for (const m of text.matchAll(/^(\w+)(?:\{(.*)\})? (\S+)$/gm)) if (m[1] === name && (m[2] ?? '').includes(labels)) sum += Number(m[3])
      return sum
    },
    async close() {
      await stack.stopEdge().catch(() => undefined)
      await stack.stopHub().catch(() => undefined)
      rmSync(dir, { recursive: true, force: true })
    },
  }
  return stack
}

/** Multiplicity of each id: exactly-once means every acknowledged id maps to 1. */
export function countIds(ids: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1)
  return counts
}
