/**
 * Issue 13's figures for the Pi: the edge run from source under tsx and the
 * production build (node dist/edge.js), side by side in one run: time from
 * process start to the first accepted MQTT connection, resident memory with
 * 30 counters' button boxes connected and pressing, and the bytes the edge
 * process sends to the disk per rating (/proc/PID/io write_bytes: what wears
 * an SD card) at a real center's pace (one rating at a time, each its own
 * fsync) and at the benchmark's (30 boxes at once, group commits).
 *
 * The production build runs as the packaged service starts it (node flags and
 * malloc setting read from packaging/edge/motcua-edge.service). It then takes
 * a busy day's 3,000 more ratings, for its memory right after and once idle,
 * and the CPU they cost; the same run under V8's --lite-mode is measured
 * beside it, which is how the service's choice not to use it was made.
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
import { cpuSeconds, rssMb } from './lib/sampler.js'
import { serviceStart } from '../scripts/lib/units.js'

const ROOT = resolve(import.meta.dirname, '..')

/** Ratings in the busy-day load: 30 counters × 100, pressed 30 at a time. */
const BUSY_DAY_ROUNDS = 100
/** Long enough for V8's memory reducer to give back the heap the load grew (it waits ~8 s after the last GC). */
const IDLE_AFTER_MS = 15_000

export interface BusyDay {
  ratings: number
  /** Edge CPU (user + system) over those ratings. */
  cpuSeconds: number
  rssMbRightAfter: number
  rssMbIdle: number
}

export interface EdgeRun {
  startToMqttMs: number
  rssMb30Counters: number
  /** Disk bytes per rating, ratings pressed one at a time with a pause (a real counter's pace, compressed). */
  diskBytesPerRatingPaced: number
  /** Disk bytes per rating, 30 boxes pressing at once. */
  diskBytesPerRatingBurst: number
  /** Only with `busyDay`. */
  busyDay?: BusyDay
}

const writeBytes = (pid: number): number => Number(/^write_bytes: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? NaN)

export interface PiBenchResult {
  /** The unit's node flags (the production build's runs) and GLIBC_TUNABLES (every run). */
  service: { nodeFlags: string[]; glibcTunables: string }
  tsx: EdgeRun
  dist: EdgeRun
  /** The production build with --lite-mode added: the comparison behind not using it. */
  distLite: EdgeRun
}

export interface RunOptions {
  nodeFlags: string[]
  glibcTunables: string
  busyDay?: boolean
  /** Names the run's config and outbox in `dir`. */
  tag?: string
}

export async function runEdge(mode: 'tsx' | 'dist', dir: string, o: RunOptions): Promise<EdgeRun> {
  const tag = o.tag ?? mode
  const site = await makeDemoSite({ counters: 30, hubUrl: 'https://127.0.0.1:9', outboxDir: '' })
  const ports = { mqtt: await freePort(), ws: await freePort(), http: await freePort() }
  const file = join(dir, `${tag}.yaml`)
  writeFileSync(file, stringify({
    ...site.edge,
    broker: { host: '127.0.0.1', mqttPort: ports.mqtt, wsPort: ports.ws },
    http: { host: '127.0.0.1', port: ports.http },
    outbox: { dir: join(dir, `${tag}-outbox`) },
  }))
  const args = mode === 'tsx' ? [...o.nodeFlags, '--import', 'tsx', join(ROOT, 'edge/main.ts'), file] : [...o.nodeFlags, join(ROOT, 'dist/edge.js'), file]
  const started = performance.now()
  const child = spawn(process.execPath, args, { cwd: mode === 'tsx' ? ROOT : dir, env: { ...process.env, LOG_LEVEL: 'warn', GLIBC_TUNABLES: o.glibcTunables }, stdio: ['ignore', 'pipe', 'ignore'] })
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
    let busyDay: BusyDay | undefined
    if (o.busyDay) {
      const cpuFrom = cpuSeconds(child.pid!)
      for (let round = 0; round < BUSY_DAY_ROUNDS; round++) await Promise.all(clients.map((c, i) => rate(c, i, `day-${round}`)))
      const cpu = cpuSeconds(child.pid!) - cpuFrom
      const rssMbRightAfter = Math.round(rssMb(child.pid!))
      await new Promise((r) => setTimeout(r, IDLE_AFTER_MS))
      busyDay = { ratings: BUSY_DAY_ROUNDS * clients.length, cpuSeconds: Math.round(cpu * 100) / 100, rssMbRightAfter, rssMbIdle: Math.round(rssMb(child.pid!)) }
    }
    await Promise.all(clients.map((c) => c.endAsync()))
    return { startToMqttMs, rssMb30Counters, diskBytesPerRatingPaced, diskBytesPerRatingBurst, ...(busyDay ? { busyDay } : {}) }
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
  const service = serviceStart('edge')
  const line = (r: EdgeRun) =>
    `MQTT after ${r.startToMqttMs} ms, ${r.rssMb30Counters} MB with 30 counters, ${r.diskBytesPerRatingPaced} B/rating paced, ${r.diskBytesPerRatingBurst} B/rating in bursts` +
    (r.busyDay ? `; ${r.busyDay.ratings} more ratings: ${r.busyDay.cpuSeconds} CPU s, ${r.busyDay.rssMbRightAfter} MB right after, ${r.busyDay.rssMbIdle} MB idle` : '')
  try {
    // As a developer runs it (no node flags); the malloc setting is the unit's for every run, as before.
    const tsx = await runEdge('tsx', dir, { ...service, nodeFlags: [] })
    say(`tsx: ${line(tsx)}`)
    const dist = await runEdge('dist', dir, { ...service, busyDay: true })
    say(`dist (${service.nodeFlags.join(' ')}, ${service.glibcTunables}): ${line(dist)}`)
    const distLite = await runEdge('dist', dir, { ...service, nodeFlags: [...service.nodeFlags, '--lite-mode'], busyDay: true, tag: 'dist-lite' })
    say(`dist --lite-mode: ${line(distLite)}`)
    return { service, tsx, dist, distLite }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
