/**
 * Several batches on the wire against the real hub (a child process, so it
 * can be SIGKILLed) and a real influxd: a hub killed with batches in flight
 * and a hub shedding with 503 + Retry-After both end with every record in
 * InfluxDB exactly once.
 */
process.env.LOG_LEVEL ??= 'silent'
import { spawn, type ChildProcess } from 'node:child_process'
import { rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { stringify } from 'yaml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashSecret } from '../../common/secrets.js'
import { createForwarder, type Forwarder } from '../../edge/forwarder/forwarder.js'
import { createHubClient, type HubClient } from '../../edge/forwarder/hub-client.js'
import { openOutbox } from '../../edge/outbox/leveldb-outbox.js'
import type { ForwardableOutbox, NewRecord } from '../../edge/outbox/types.js'
import { makeTestPki, type TestPki } from '../../testkit/certs.js'
import { startInfluxd, type Influxd } from '../../testkit/influxd.js'
import { freePort } from '../../testkit/ports.js'
import { waitFor } from '../../testkit/wait.js'
import { T0, rating, silentLog, syncedStamp, tempDir } from './outbox-fixtures.js'

const ROOT = resolve(import.meta.dirname, '../..')
const SITE = 'ttpvhcc-ct'
const TOKEN = 'edge-token-0123456789abcdef'
// "It happens at all" bounds on a busy 2-core machine.
const HUB_START_MS = 60_000
const DRAIN_MS = 180_000

const root = tempDir('forwarder-window')
let pki: TestPki
let influx: Influxd
beforeAll(async () => {
  pki = makeTestPki(join(root, 'pki'))
  influx = await startInfluxd()
})
afterAll(async () => {
  await influx?.stop()
  rmSync(root, { recursive: true, force: true })
})

interface HubProc {
  url: string
  start(): Promise<void>
  kill(): Promise<void>
}

/** The hub as it runs in production (its own process, its YAML), restartable on one port. */
async function hubProcess(database: string, extra: Record<string, unknown> = {}): Promise<HubProc> {
  const port = await freePort()
  const file = join(root, `hub-${database}.yaml`)
  writeFileSync(file, stringify({
    http: { host: '127.0.0.1', port, tls: { cert: pki.serverCert, key: pki.serverKey } },
    influx: { version: 1, url: influx.url, database },
    edges: [{ site: SITE, tokenHash: hashSecret(TOKEN) }],
    ...extra,
  }))
  let child: ChildProcess | null = null
  let exited: Promise<void> = Promise.resolve()
  return {
    url: `https://localhost:${port}`,
    async start() {
      const c = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'hub/main.ts'), file], {
        cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'],
      })
      child = c
      exited = new Promise((ok) => c.once('exit', () => ok()))
      let stderr = ''
      c.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)))
      await new Promise<void>((ok, fail) => {
        const timer = setTimeout(() => fail(new Error(`hub did not start: ${stderr}`)), HUB_START_MS)
        let out = ''
        c.stdout!.on('data', (d: Buffer) => {
          out = (out + d.toString()).slice(-8000)
          if (out.includes('"hub listening"')) {
            clearTimeout(timer)
            ok()
          }
        })
        c.once('exit', (code) => {
          clearTimeout(timer)
          fail(new Error(`hub exited with ${code}: ${stderr}`))
        })
      })
    },
    async kill() {
      child?.kill('SIGKILL')
      await exited
      child = null
    },
  }
}

interface Edge {
  outbox: ForwardableOutbox
  forwarder: Forwarder
  client: HubClient
  /** Status and Retry-After of every answer to a batch. */
  answers: { status: number; retryAfter: string | undefined }[]
}

/** An edge's outbox holding `count` ratings numbered from `from` (distinct event ids and point times), and its forwarder. */
async function edgeWithBacklog(hubUrl: string, name: string, from: number, count: number, batchSize: number): Promise<Edge> {
  const outbox = await openOutbox({ dir: join(root, name), commitWindowMs: 2, maxBytes: 1e9, minFreeBytes: 0, dedupDays: 30, log: silentLog, now: Date.now })
  for (let i = 0; i < count; i += 1000) {
    const n = Math.min(1000, count - i)
    await Promise.all(Array.from({ length: n }, (_, k) => outbox.append(rating(from + i + k), syncedStamp(T0 + from + i + k), `${name}:${i + k}`)))
  }
  const client = createHubClient({ url: hubUrl, token: TOKEN, caFile: pki.caCert, timeoutMs: 10_000 })
  const answers: Edge['answers'] = []
  const observed: HubClient = {
    ...client,
    async postBatch(body, signal) {
      const res = await client.postBatch(body, signal)
      answers.push({ status: res.status, retryAfter: res.headers['retry-after'] as string | undefined })
      return res
    },
  }
  const clock = { model: () => ({ boot: 'boot-a', monoToTrue: 0 }), monoNow: () => performance.now(), observeServerTime: () => undefined }
  const forwarder = createForwarder({
    outbox, clock, hub: observed, site: SITE, batchSize, inFlightBatches: 4, backoffMinMs: 50, backoffMaxMs: 500, log: silentLog,
  })
  return { outbox, forwarder, client, answers }
}

async function closeEdge(e: Edge): Promise<void> {
  await e.forwarder.stop()
  await e.outbox.close()
  e.client.close()
}

async function storedEventIds(database: string): Promise<string[]> {
  const q = new URLSearchParams({ db: database, q: 'SELECT event_id FROM rating' })
  const body = (await (await fetch(`${influx.url}/query?${q}`)).json()) as { results: { series?: { values: [string, string][] }[] }[] }
  return body.results[0]?.series?.[0]?.values.map((v) => v[1]) ?? []
}

const eventIds = (from: number, count: number) => Array.from({ length: count }, (_, i) => (rating(from + i) as Extract<NewRecord, { kind: 'rating' }>).eventId)

describe('forwarder with batches in flight, real hub and InfluxDB', () => {
  it('hub SIGKILLed with several batches on the wire, then restarted: every record once, none lost', async () => {
    const hub = await hubProcess('window_kill')
    await hub.start()
    const edge = await edgeWithBacklog(hub.url, 'kill', 0, 20_000, 500)
    try {
      edge.forwarder.start()
      let inFlightAtKill = 0
      await waitFor('some delivered and more than one batch on the wire', () => {
        const s = edge.forwarder.status()
        if (s.delivered < 2000 || s.inFlight <= 500) return false
        inFlightAtKill = s.inFlight
        return true
      })
      await hub.kill()
      expect(inFlightAtKill).toBeGreaterThan(500)
      await waitFor('the forwarder noticing the hub is gone', () => edge.forwarder.status().consecutiveFailures >= 1)
      const left = edge.outbox.stats().depth
      expect(left).toBeGreaterThan(0)
      await hub.start()
      await waitFor('an empty outbox', () => edge.outbox.stats().depth === 0, { timeoutMs: DRAIN_MS, everyMs: 200 })
      const ids = await storedEventIds('window_kill')
      expect(ids.length).toBe(20_000)
      expect(new Set(ids)).toEqual(new Set(eventIds(0, 20_000)))
      expect(edge.outbox.stats().deadLetters).toBe(0)
    } finally {
      await closeEdge(edge)
      await hub.kill()
    }
  })

  it('a hub at its write limit sheds with 503 + Retry-After; six edges with 4 batches each all drain, every record once', async () => {
    const hub = await hubProcess('window_shed', { maxConcurrentWrites: 1, retryAfterS: 1 })
    await hub.start()
    const edges: Edge[] = []
    try {
      for (let e = 0; e < 6; e++) edges.push(await edgeWithBacklog(hub.url, `shed-${e}`, e * 100_000, 3000, 250))
      for (const e of edges) e.forwarder.start()
      // The outbox is empty once the last removal commits; the forwarder counts it delivered when that removal returns.
      await waitFor('every edge drained, every record counted delivered', () => edges.every((e) => e.outbox.stats().depth === 0 && e.forwarder.status().delivered === 3000), { timeoutMs: DRAIN_MS, everyMs: 200 })
      const answers = edges.flatMap((e) => e.answers)
      const shed = answers.filter((a) => a.status === 503)
      expect(shed.length).toBeGreaterThan(0)
      expect(new Set(shed.map((a) => a.retryAfter))).toEqual(new Set(['1']))
      expect(new Set(answers.map((a) => a.status))).toEqual(new Set([200, 503]))
      const ids = await storedEventIds('window_shed')
      expect(ids.length).toBe(6 * 3000)
      expect(new Set(ids)).toEqual(new Set(edges.flatMap((_, e) => eventIds(e * 100_000, 3000))))
      expect(edges.map((e) => e.forwarder.status().delivered)).toEqual(Array(6).fill(3000))
    } finally {
      for (const e of edges) await closeEdge(e)
      await hub.kill()
    }
  })
})
