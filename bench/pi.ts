/**
 * Issue 13's figures for the Pi: the edge run from source under tsx and the
 * production build (node dist/edge.js), side by side in one run: time from
 * process start to the first accepted MQTT connection, resident memory with
 * 30 counters' button boxes connected and pressing, and the bytes the edge
 * process sends to the disk per rating (/proc/PID/io write_bytes: what wears
 * an SD card) at a real center's pace (one rating at a time, each its own
 * fsync) and at the benchmark's (30 boxes at once, group commits).
 */
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import mqtt from 'mqtt'
import { stringify } from 'yaml'
import { topics } from '../protocol/topics.js'
import { makeDemoSite } from '../scripts/lib/demo-site.js'
import { buildDist } from '../scripts/build.js'
import { freePort } from '../testkit/ports.js'
import { rssMb } from './lib/sampler.js'
import { MALLOC_TUNABLES } from './lib/procs.js'

const ROOT = resolve(import.meta.dirname, '..')
/** The flags the packaged service starts node with (packaging/edge/motcua-edge.service). */
export const DIST_NODE_FLAGS = ['--max-semi-space-size=1']

export interface EdgeRun {
  startToMqttMs: number
  rssMb30Counters: number
  /** Disk bytes per rating, ratings pressed one at a time with a pause (a real counter's pace, compressed). */
  diskBytesPerRatingPaced: number
  /** Disk bytes per rating, 30 boxes pressing at once. */
  diskBytesPerRatingBurst: number
}

const writeBytes = (pid: number): number => Number(/^write_bytes: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? NaN)

export interface PiBenchResult {
  tsx: EdgeRun
  dist: EdgeRun
}

export async function runEdge(mode: 'tsx' | 'dist', dir: string, nodeFlags = DIST_NODE_FLAGS): Promise<EdgeRun> {
  const site = await makeDemoSite({ counters: 30, hubUrl: 'https://127.0.0.1:9', outboxDir: '' })
  const ports = { mqtt: await freePort(), ws: await freePort(), http: await freePort() }
  const file = join(dir, `${mode}.yaml`)
  writeFileSync(file, stringify({
    ...site.edge,
    broker: { host: '127.0.0.1', mqttPort: ports.mqtt, wsPort: ports.ws },
    http: { host: '127.0.0.1', port: ports.http },
    outbox: { dir: join(dir, `${mode}-outbox`) },
  }))
  const args = mode === 'tsx' ? ['--import', 'tsx', join(ROOT, 'edge/main.ts'), file] : [...nodeFlags, join(ROOT, 'dist/edge.js'), file]
  const started = performance.now()
  const child = spawn(process.execPath, args, { cwd: mode === 'tsx' ? ROOT : dir, env: { ...process.env, LOG_LEVEL: 'warn', GLIBC_TUNABLES: MALLOC_TUNABLES }, stdio: ['ignore', 'pipe', 'ignore'] })
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()))
  const buttons = site.devices.filter((d) => d.kind === 'button')
  const url = `mqtt://127.0.0.1:${ports.mqtt}`
  try {
    // Accepting MQTT: the edge says it listens once the broker, outbox and HTTP are up; then one device connects.
    await new Promise<void>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`${mode} edge did not start within 60 s`)), 60_000)
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (!line.includes('"edge listening"')) return
        clearTimeout(timer)
        ok()
      })
      child.once('exit', (code) => fail(new Error(`${mode} edge exited with ${code}`)))
    })
    const d0 = buttons[0]!
    const first = await mqtt.connectAsync(url, { clientId: d0.id, username: d0.id, password: d0.secret, reconnectPeriod: 0 })
    const startToMqttMs = Math.round(performance.now() - started)
    const rest = await Promise.all(buttons.slice(1).map((d) => mqtt.connectAsync(url, { clientId: d.id, username: d.id, password: d.secret, reconnectPeriod: 0 })))
    const clients = [first, ...rest]
    const rate = (c: mqtt.MqttClient, i: number, tag: string) => {
      const d = buttons[i]!
      return c.publishAsync(topics.rating(site.siteId, d.counter!), JSON.stringify({ v: 1, id: `${d.id}-${mode}-${tag}`, ts: Date.now(), scale: 4, level: 1 + (i % 4) }), { qos: 1 })
    }
    // A busy minute at a large center, compressed: ten ratings per counter, all counters at once.
    const burstFrom = writeBytes(child.pid!)
    for (let round = 0; round < 10; round++) await Promise.all(clients.map((c, i) => rate(c, i, `burst-${round}`)))
    const diskBytesPerRatingBurst = Math.round((writeBytes(child.pid!) - burstFrom) / (10 * clients.length))
    // A real center's pace: one rating at a time, each committed on its own.
    const PACED = 60
    const pacedFrom = writeBytes(child.pid!)
    for (let i = 0; i < PACED; i++) {
      await rate(clients[i % clients.length]!, i % clients.length, `paced-${i}`)
      await new Promise((r) => setTimeout(r, 50))
    }
    const diskBytesPerRatingPaced = Math.round((writeBytes(child.pid!) - pacedFrom) / PACED)
    await new Promise((r) => setTimeout(r, 3000))
    const rssMb30Counters = Math.round(rssMb(child.pid!))
    await Promise.all(clients.map((c) => c.endAsync()))
    return { startToMqttMs, rssMb30Counters, diskBytesPerRatingPaced, diskBytesPerRatingBurst }
  } finally {
    child.kill('SIGTERM')
    const force = setTimeout(() => child.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(force)
  }
}

export async function benchPi(opts: { log?: (s: string) => void } = {}): Promise<PiBenchResult> {
  const say = opts.log ?? (() => undefined)
  await buildDist()
  const dir = mkdtempSync(join(tmpdir(), 'motcua-bench-pi-'))
  try {
    const tsx = await runEdge('tsx', dir)
    say(`tsx: MQTT after ${tsx.startToMqttMs} ms, ${tsx.rssMb30Counters} MB with 30 counters, ${tsx.diskBytesPerRatingPaced} B/rating paced, ${tsx.diskBytesPerRatingBurst} B/rating in bursts`)
    const dist = await runEdge('dist', dir)
    say(`dist: MQTT after ${dist.startToMqttMs} ms, ${dist.rssMb30Counters} MB with 30 counters, ${dist.diskBytesPerRatingPaced} B/rating paced, ${dist.diskBytesPerRatingBurst} B/rating in bursts`)
    return { tsx, dist }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
