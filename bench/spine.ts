/**
 * Issue 2's benchmarks. Every server is a child process (influxd, hub, edge,
 * and bare aedes for the baseline); MQTT load comes from this process. The
 * edge and the hub run as their packages run them: the production build
 * (dist/edge.js, dist/hub.js), built first.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { stringify } from 'yaml'
import { createLogger } from '../common/log.js'
import { appendRatings } from './lib/outbox-append.js'
import { openOutbox } from '../edge/outbox/leveldb-outbox.js'
import { DEFAULT_IN_FLIGHT_BATCHES, createForwarder } from '../edge/forwarder/forwarder.js'
import { createHubClient } from '../edge/forwarder/hub-client.js'
import { topics } from '../protocol/topics.js'
import { makeDemoSite, type DemoSite } from '../scripts/lib/demo-site.js'
import { makeTestPki } from '../testkit/certs.js'
import { startInfluxd, type Influxd } from '../testkit/influxd.js'
import { freePort } from '../testkit/ports.js'
import { benchWrite } from './lib/influx-write.js'
import { runMqttLoad, type LoadClient } from './lib/mqtt-load.js'
import { startTsProcess, type Proc } from './lib/procs.js'
import { buildDist } from '../scripts/build.js'
import { cpuSeconds, rssMb } from './lib/sampler.js'
import { percentile } from './lib/stats.js'

export interface IngestResults {
  bareAedesMsgsPerS: number
  edgeDurableMsgsPerS: number
  /** The median pair's ratio (edgeToBareRatio is it), and every pair's, in the order run. */
  edgeToBareRatio: number
  ratios: number[]
  messages: number
  /** CPU per acknowledged message (µs), same run: what each needs whatever share of the machine it gets. */
  cpuUsPerMsg: { bareAedes: number; edge: number; loadForBare: number; loadForEdge: number }
}

export interface SpineResults {
  endToEnd: { ratings: number; stored: number; duplicates: number; seconds: number; ratingsPerS: number }
  /** The same load through bare aedes (warmed up) with nothing behind it, same run: what end to end cannot exceed here. */
  bareAedesMsgsPerS: number
  drain: { records: number; fillSeconds: number; seconds: number; pointsPerS: number; inFlightBatches: number }
  /** The same backlog, same run, one batch on the wire at a time (the forwarder before issue 14). */
  drainOneAtATime: { records: number; fillSeconds: number; seconds: number; pointsPerS: number }
  /**
   * The hub's writer alone into the same influxd, same run: ratings mapped, serialized and written with the
   * drain's batches in flight, no edge, no HTTPS, no validation. What a drain cannot exceed on this machine.
   */
  writerAlone: { points: number; pointsPerS: number; influxdCpuSPerM: number; writerCpuSPerM: number; coresBusy: number }
  latency: { samples: number; p50Ms: number; p99Ms: number; pollMs: number }
  edgeRssMb30Counters: number
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const EDGE = 'dist/edge.js'
const HUB = 'dist/hub.js'

/**
 * Each load client presses thousands of times a second, far past a real box's
 * rate limit (issue 11): held presses would never be acknowledged and the load
 * would wait for ever. The limit is not what these sections measure.
 */
const LOAD_RATE = { perSecond: 1e6, burst: 1e6, maxHeld: 0 }

async function influxQuery(influx: Influxd, db: string, q: string): Promise<unknown[][]> {
  const res = await fetch(`${influx.url}/query?${new URLSearchParams({ db, q })}`)
  const body = (await res.json()) as { results: { series?: { values: unknown[][] }[] }[] }
  return body.results[0]?.series?.[0]?.values ?? []
}
const countRatings = async (influx: Influxd, db: string) => Number((await influxQuery(influx, db, 'SELECT count(score) FROM rating'))[0]?.[1] ?? 0)

async function until(check: () => Promise<boolean>, timeoutMs: number, everyMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return true
    await sleep(everyMs)
  }
  return false
}

function loadClients(site: DemoSite, tag: string): LoadClient[] {
  return site.devices
    .filter((d) => d.kind === 'button')
    .map((d) => ({
      username: d.id,
      password: d.secret,
      topic: topics.rating(site.siteId, d.counter!),
      payload: (i: number) => JSON.stringify({ v: 1, id: `${d.id}-${tag}-${i}`, ts: Date.now(), scale: 4, level: 1 + (i % 4) }),
    }))
}

/** The 30 clients' load through bare aedes in its own process, after a warm-up run of the same load: the ceiling for end to end. */
async function bareAedesRun(site: DemoSite, tag: string, perClient: number): Promise<LoadRun> {
  const bare = await startTsProcess('bench/lib/bare-aedes-main.ts', [], 'bare aedes listening')
  try {
    await measuredLoad(bare.pid, bare.ready.url as string, site, `${tag}-warm`, perClient)
    return await measuredLoad(bare.pid, bare.ready.url as string, site, tag, perClient)
  } finally {
    await bare.stop()
  }
}

interface LoadRun {
  perSecond: number
  acked: number
  /** CPU per acknowledged message (µs): the broker's process, and this process generating the load. */
  serverCpuUs: number
  loadCpuUs: number
}

async function measuredLoad(pid: number, url: string, site: DemoSite, tag: string, perClient: number): Promise<LoadRun> {
  const server0 = cpuSeconds(pid)
  const load0 = process.cpuUsage()
  const run = await runMqttLoad({ url, clients: loadClients(site, tag), perClient, window: 100, timeoutMs: 120_000 })
  const load = process.cpuUsage(load0)
  const perMsg = (s: number) => Math.round((s / run.acked) * 1e7) / 10
  return { perSecond: run.perSecond, acked: run.acked, serverCpuUs: perMsg(cpuSeconds(pid) - server0), loadCpuUs: perMsg((load.user + load.system) / 1e6) }
}

/**
 * Bare aedes and the edge (durable, hub unreachable so the forwarder sleeps) under the same 30 clients, in turn,
 * `pairs` times after a warm-up pair: both processes stay up and each pair's two runs follow each other, so a load on
 * the machine that changes over seconds shows as a spread between pairs instead of deciding a single ratio. The
 * median pair is reported.
 */
export async function benchIngest(opts: { perClient?: number; pairs?: number; log?: (s: string) => void } = {}): Promise<IngestResults> {
  const say = opts.log ?? (() => undefined)
  const perClient = opts.perClient ?? 4000
  await buildDist()
  const dir = mkdtempSync(join(tmpdir(), 'motcua-bench-ingest-'))
  const procs: Proc[] = []
  try {
    const site = await makeDemoSite({ counters: 30, hubUrl: 'https://localhost:9', outboxDir: '' })
    const ports = { mqtt: await freePort(), ws: await freePort(), http: await freePort() }
    const file = join(dir, 'edge.yaml')
    writeFileSync(file, stringify({
      ...site.edge,
      broker: { host: '127.0.0.1', mqttPort: ports.mqtt, wsPort: ports.ws, deviceRate: LOAD_RATE },
      http: { host: '127.0.0.1', port: ports.http },
      outbox: { dir: join(dir, 'outbox') },
    }))
    const bare = await startTsProcess('bench/lib/bare-aedes-main.ts', [], 'bare aedes listening')
    procs.push(bare)
    const edge = await startTsProcess(EDGE, [file], 'edge listening')
    procs.push(edge)
    const pairs: { bare: LoadRun; edge: LoadRun; ratio: number }[] = []
    // The first pair warms both up and is not counted: bare aedes gains most from it (28k cold, 46-54k warm here).
    for (let i = 0; i <= (opts.pairs ?? 5); i++) {
      const bareRun = await measuredLoad(bare.pid, bare.ready.url as string, site, `bare${i}`, perClient)
      const edgeRun = await measuredLoad(edge.pid, `mqtt://127.0.0.1:${ports.mqtt}`, site, `ingest${i}`, perClient)
      if (i > 0) pairs.push({ bare: bareRun, edge: edgeRun, ratio: edgeRun.perSecond / bareRun.perSecond })
      say(`${i === 0 ? 'warm-up pair' : `pair ${i}`}: bare aedes ${Math.round(bareRun.perSecond)} msg/s, edge durable ingest ${Math.round(edgeRun.perSecond)} msg/s`)
    }
    const median = [...pairs].sort((a, b) => a.ratio - b.ratio)[Math.floor(pairs.length / 2)]!
    const pct = (x: number) => Math.round(x * 100) / 100
    return {
      bareAedesMsgsPerS: Math.round(median.bare.perSecond),
      edgeDurableMsgsPerS: Math.round(median.edge.perSecond),
      edgeToBareRatio: pct(median.ratio),
      ratios: pairs.map((p) => pct(p.ratio)),
      messages: median.edge.acked,
      cpuUsPerMsg: { bareAedes: median.bare.serverCpuUs, edge: median.edge.serverCpuUs, loadForBare: median.bare.loadCpuUs, loadForEdge: median.edge.loadCpuUs },
    }
  } finally {
    for (const p of procs) await p.stop().catch(() => undefined)
    rmSync(dir, { recursive: true, force: true })
  }
}

export async function benchSpine(opts: { perClient?: number; drainRecords?: number; log?: (s: string) => void } = {}): Promise<SpineResults> {
  const say = opts.log ?? (() => undefined)
  const perClient = opts.perClient ?? 4000
  const drainRecords = opts.drainRecords ?? 1_000_000
  await buildDist()
  const dir = mkdtempSync(join(tmpdir(), 'motcua-bench-spine-'))
  const procs: Proc[] = []
  const influx = await startInfluxd()
  try {
    const pki = makeTestPki(join(dir, 'pki'))
    const hubPort = await freePort()
    const site = await makeDemoSite({ counters: 30, hubUrl: `https://localhost:${hubPort}`, hubCa: pki.caCert, outboxDir: '' })
    const writeEdge = async (name: string, hubUrl: string) => {
      const file = join(dir, `${name}.yaml`)
      const ports = { mqtt: await freePort(), ws: await freePort(), http: await freePort() }
      writeFileSync(file, stringify({
        ...site.edge,
        broker: { host: '127.0.0.1', mqttPort: ports.mqtt, wsPort: ports.ws, deviceRate: LOAD_RATE },
        http: { host: '127.0.0.1', port: ports.http },
        hub: { ...(site.edge.hub as object), url: hubUrl, backoffMaxMs: 2000 },
        outbox: { dir: join(dir, `${name}-outbox`) },
      }))
      return { file, url: `mqtt://127.0.0.1:${ports.mqtt}` }
    }
    const startEdge = async (name: string, hubUrl: string) => {
      const { file, url } = await writeEdge(name, hubUrl)
      const proc = await startTsProcess(EDGE, [file], 'edge listening')
      procs.push(proc)
      return { proc, url }
    }

    // 1. Sustained end to end into InfluxDB, zero loss; first the same load through bare aedes, its ceiling.
    const bareRun = await bareAedesRun(site, 'ceiling', perClient)
    say(`bare aedes, same load: ${Math.round(bareRun.perSecond)} msg/s`)
    const hubFile = join(dir, 'hub.yaml')
    const hubConfig = (db: string) => ({
      http: { host: '127.0.0.1', port: hubPort, tls: { cert: pki.serverCert, key: pki.serverKey } },
      influx: { version: 1, url: influx.url, database: db },
      edges: [site.hubEdge],
    })
    writeFileSync(hubFile, stringify(hubConfig('bench_e2e')))
    let hub = await startTsProcess(HUB, [hubFile], 'hub listening', { LOG_LEVEL: 'info' })
    procs.push(hub)
    const e2eEdge = await startEdge('e2e', `https://localhost:${hubPort}`)
    const t0 = performance.now()
    const e2eRun = await runMqttLoad({ url: e2eEdge.url, clients: loadClients(site, 'e2e'), perClient, window: 100, timeoutMs: 180_000 })
    await until(async () => (await countRatings(influx, 'bench_e2e')) >= e2eRun.acked, 300_000, 200)
    const e2eSeconds = (performance.now() - t0) / 1000
    const ids = (await influxQuery(influx, 'bench_e2e', 'SELECT event_id FROM rating')).map((r) => r[1] as string)
    const distinct = new Set(ids)
    await e2eEdge.proc.stop()
    say(`end to end: ${e2eRun.acked} acked, ${distinct.size} stored in ${e2eSeconds.toFixed(1)} s`)

    // 2. Press-to-queryable latency at 100 ratings/s, and the edge's memory with 30 counters connected.
    await hub.stop()
    writeFileSync(hubFile, stringify(hubConfig('bench_latency')))
    hub = await startTsProcess(HUB, [hubFile], 'hub listening', { LOG_LEVEL: 'info' })
    procs.push(hub)
    const latEdge = await startEdge('latency', `https://localhost:${hubPort}`)
    const buttons = site.devices.filter((d) => d.kind === 'button')
    const conns = await Promise.all(
      buttons.map((d) => mqtt.connectAsync(latEdge.url, { clientId: d.id, username: d.id, password: d.secret, reconnectPeriod: 0 })),
    )
    const sentAt = new Map<string, number>()
    const seenAt = new Map<string, number>()
    const POLL_MS = 20
    let polling = true
    const poller = (async () => {
      while (polling) {
        const rows = await influxQuery(influx, 'bench_latency', 'SELECT event_id FROM rating')
        const now = performance.now()
        for (const r of rows) if (!seenAt.has(r[1] as string)) seenAt.set(r[1] as string, now)
        await sleep(POLL_MS)
      }
    })()
    const RATE = 100
    const SECONDS = 20
    for (let i = 0; i < RATE * SECONDS; i++) {
      const c = i % conns.length
      const d = buttons[c]!
      const id = `${d.id}-lat-${i}`
      sentAt.set(id, performance.now())
      void conns[c]!.publishAsync(topics.rating(site.siteId, d.counter!), JSON.stringify({ v: 1, id, ts: Date.now(), scale: 4, level: 1 + (i % 4) }), { qos: 1 })
      await sleep(1000 / RATE)
    }
    await until(async () => seenAt.size >= sentAt.size, 30_000, 100)
    polling = false
    await poller
    const latencies = [...sentAt].filter(([id]) => seenAt.has(id)).map(([id, t]) => seenAt.get(id)! - t)
    const edgeRss = rssMb(latEdge.proc.pid)
    await Promise.all(conns.map((c) => c.endAsync()))
    await latEdge.proc.stop()
    say(`latency p50 ${percentile(latencies, 50).toFixed(0)} ms, edge RSS ${edgeRss.toFixed(0)} MB`)

    // 3. Backlog drain: a million queued records from an outbox into InfluxDB through the hub,
    // with the forwarder's window and then, same run, one batch at a time as before issue 14.
    const log = createLogger('bench', 'silent')
    const drainInto = async (db: string, inFlightBatches: number) => {
      await hub.stop()
      writeFileSync(hubFile, stringify(hubConfig(db)))
      hub = await startTsProcess(HUB, [hubFile], 'hub listening', { LOG_LEVEL: 'info' })
      procs.push(hub)
      const outbox = await openOutbox({ dir: join(dir, `${db}-outbox`), commitWindowMs: 2, maxBytes: 8e9, minFreeBytes: 0, dedupDays: 30, log, now: Date.now })
      const fillStart = performance.now()
      await appendRatings(outbox, drainRecords, 1000)
      const fillSeconds = (performance.now() - fillStart) / 1000
      const client = createHubClient({ url: `https://localhost:${hubPort}`, token: site.edgeToken, caFile: pki.caCert, timeoutMs: 60_000 })
      const clock = { model: () => ({ boot: 'bench', monoToTrue: 0 }), monoNow: () => performance.now(), observeServerTime: () => undefined }
      const forwarder = createForwarder({ outbox, clock, hub: client, site: site.siteId, batchSize: 5000, inFlightBatches, backoffMinMs: 50, backoffMaxMs: 1000, log })
      const d0 = performance.now()
      forwarder.start()
      await until(async () => (await countRatings(influx, db)) >= drainRecords, 900_000, 500)
      const seconds = (performance.now() - d0) / 1000
      const drained = await countRatings(influx, db)
      await forwarder.stop()
      await outbox.close()
      client.close()
      say(`drain, ${inFlightBatches} batch(es) in flight: ${drained} in ${seconds.toFixed(1)} s`)
      return { records: drained, fillSeconds: Math.round(fillSeconds), seconds: Math.round(seconds * 10) / 10, pointsPerS: Math.round(drained / seconds) }
    }
    const drain = await drainInto('bench_drain', DEFAULT_IN_FLIGHT_BATCHES)
    const drainOneAtATime = await drainInto('bench_drain_one', 1)

    // 4. The drain's ceiling here: the hub's writer alone into the same influxd, the hub stopped so nothing else runs.
    await hub.stop()
    const alonePoints = Math.min(drainRecords, 500_000)
    const alone = await benchWrite({ url: influx.url, database: 'bench_writer_alone', points: alonePoints, concurrency: DEFAULT_IN_FLIGHT_BATCHES, serverPid: influx.pid() })
    const perM = (cpuS: number) => Math.round((cpuS / alone.points) * 1e7) / 10
    say(`writer alone into influxd: ${alone.pointsPerSecond} points/s`)

    return {
      endToEnd: {
        ratings: e2eRun.acked,
        stored: distinct.size,
        duplicates: ids.length - distinct.size,
        seconds: Math.round(e2eSeconds * 10) / 10,
        ratingsPerS: Math.round(distinct.size / e2eSeconds),
      },
      bareAedesMsgsPerS: Math.round(bareRun.perSecond),
      drain: { ...drain, inFlightBatches: DEFAULT_IN_FLIGHT_BATCHES },
      drainOneAtATime,
      writerAlone: {
        points: alone.points,
        pointsPerS: alone.pointsPerSecond,
        influxdCpuSPerM: perM(alone.serverCpuSeconds ?? 0),
        writerCpuSPerM: perM(alone.clientCpuSeconds),
        coresBusy: Math.round(((alone.clientCpuSeconds + (alone.serverCpuSeconds ?? 0)) / alone.seconds) * 10) / 10,
      },
      latency: { samples: latencies.length, p50Ms: Math.round(percentile(latencies, 50)), p99Ms: Math.round(percentile(latencies, 99)), pollMs: POLL_MS },
      edgeRssMb30Counters: Math.round(edgeRss),
    }
  } finally {
    for (const p of procs.reverse()) await p.stop().catch(() => undefined)
    await influx.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}
