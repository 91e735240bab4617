process.env.LOG_LEVEL ??= 'silent'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createSystemClock, type SystemClock } from '../../edge/clock/system-clock.js'
import { createForwarder, type Forwarder, type ForwarderOptions } from '../../edge/forwarder/forwarder.js'
import { createHubClient } from '../../edge/forwarder/hub-client.js'
import { openOutbox } from '../../edge/outbox/leveldb-outbox.js'
import type { ForwardableOutbox } from '../../edge/outbox/types.js'
import { edgeRecord } from '../../protocol/records.js'
import { makeTestPki, type TestPki } from '../../testkit/certs.js'
import { waitFor } from '../../testkit/wait.js'
import { FakeHub } from './forwarder-hub.js'
import { T0, heartbeat, rating, silentLog, syncedStamp, tempDir, unsyncedStamp } from './outbox-fixtures.js'

const root = tempDir('forwarder')
let pki: TestPki
const TOKEN = 'edge-token-0123456789abcdef'

beforeAll(() => {
  pki = makeTestPki(join(root, 'pki'))
})
afterAll(() => rmSync(root, { recursive: true, force: true }))

interface Rig {
  hub: FakeHub
  outbox: ForwardableOutbox
  forwarder: Forwarder
  clock: SystemClock
  dir: string
  url: string
}
const rigs: Rig[] = []
afterEach(async () => {
  for (const r of rigs.splice(0)) {
    await r.forwarder.stop()
    await r.outbox.close()
    await r.hub.stop()
  }
})

let n = 0
async function rig(over: Partial<ForwarderOptions> = {}, dir = join(root, `outbox-${n++}`), hubTimeoutMs = 5000): Promise<Rig> {
  const hub = new FakeHub()
  const url = await hub.start(pki)
  const outbox = await openOutbox({ dir, commitWindowMs: 1, maxBytes: 1e9, minFreeBytes: 0, dedupDays: 30, log: silentLog, now: Date.now })
  const bootFile = join(root, `boot-${n++}`)
  writeFileSync(bootFile, 'boot-now\n')
  let mono = 1_000_000
  const clock = createSystemClock({ log: silentLog, bootIdPath: bootFile, syncedFlagPath: join(root, 'no-such-flag'), mono: () => (mono += 1), wall: () => T0 })
  const forwarder = createForwarder({
    outbox, clock, hub: createHubClient({ url, token: TOKEN, caFile: pki.caCert, timeoutMs: hubTimeoutMs }), site: 'ttpvhcc-ct',
    batchSize: 100, backoffMinMs: 10, backoffMaxMs: 200, log: silentLog, ...over,
  })
  const r = { hub, outbox, forwarder, clock, dir, url }
  rigs.push(r)
  return r
}

/** Real timers that record what the forwarder schedules: its only timers are backoff sleeps. */
function countingTimers() {
  const t = {
    delays: [] as number[],
    get scheduled() {
      return t.delays.length
    },
    setTimeout: (fn: () => void, ms: number) => {
      t.delays.push(ms)
      return setTimeout(fn, ms)
    },
    clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout),
  }
  return t
}

async function fill(outbox: ForwardableOutbox, count: number, from = 0): Promise<void> {
  await Promise.all(Array.from({ length: count }, (_, i) => outbox.append(rating(from + i), syncedStamp(T0 + from + i), `kiosk-1:${from + i}`)))
}

describe('forwarder delivery', () => {
  it('posts final records over verified TLS with the token, and deletes them after 200', async () => {
    const r = await rig()
    await fill(r.outbox, 250)
    r.forwarder.start()
    await waitFor('250 records delivered', () => r.forwarder.status().delivered === 250)
    expect(r.outbox.stats().depth).toBe(0)
    expect(r.hub.acceptedSeqs()).toEqual(Array.from({ length: 250 }, (_, i) => i))
    expect(r.hub.duplicates()).toEqual([])
    const first = r.hub.batches[0]!
    expect(first.auth).toBe(`Bearer ${TOKEN}`)
    expect(first.body).toMatchObject({ v: 1, site: 'ttpvhcc-ct' })
    expect(first.body.records.length).toBeLessThanOrEqual(100)
    expect(first.body.records[3]).toEqual({ ...rating(3), seq: 3, t: T0 + 3, clock: 'synced' })
    for (const rec of first.body.records) expect(edgeRecord.safeParse(rec).success).toBe(true)
    expect(r.forwarder.status()).toMatchObject({ consecutiveFailures: 0, lastErrorCode: null, delivered: 250, inFlight: 0 })
    expect(r.forwarder.status().lastSuccessAt).not.toBeNull()
  })

  it('refuses a hub whose certificate the configured CA did not sign', async () => {
    const other = makeTestPki(join(root, 'other-pki'), 'other')
    const r = await rig()
    const forwarder = createForwarder({
      outbox: r.outbox, clock: r.clock, hub: createHubClient({ url: r.url, token: TOKEN, caFile: other.caCert, timeoutMs: 5000 }),
      site: 'ttpvhcc-ct', batchSize: 100, backoffMinMs: 10, backoffMaxMs: 50, log: silentLog,
    })
    await fill(r.outbox, 5)
    forwarder.start()
    try {
      await waitFor('two failed attempts', () => forwarder.status().consecutiveFailures >= 2)
      expect(forwarder.status().lastErrorCode).toBe('EDGE_HUB_UNREACHABLE')
      expect(r.hub.batches).toHaveLength(0)
      expect(r.outbox.stats().depth).toBe(5)
    } finally {
      await forwarder.stop()
    }
  })

  it('wakes on new appends instead of polling', async () => {
    const timers = countingTimers()
    const r = await rig({ timers })
    r.forwarder.start()
    // Lets the idle forwarder run with an empty outbox: a polling loop would schedule timers here.
    await new Promise((res) => setTimeout(res, 50))
    for (let i = 0; i < 20; i++) {
      await r.outbox.append(rating(i), syncedStamp(T0), `k:${i}`)
      await waitFor(`record ${i} accepted`, () => r.hub.accepted.has(i))
    }
    // Each record went out on its own append's wake-up; a polling loop would have scheduled timers.
    expect(timers.scheduled).toBe(0)
    expect(r.hub.batches.length).toBeGreaterThanOrEqual(20)
  })

  it('sends records that arrive while batches are on the wire together, without polling (latency is in npm run bench)', async () => {
    const timers = countingTimers()
    const r = await rig({ batchSize: 2000, inFlightBatches: 2, timers })
    // A hub that takes 50 ms per batch: with 2 on the wire at once, there can be at most two batches per 50 ms.
    r.hub.onBatch = () => ({ status: 200, delayMs: 50 })
    r.forwarder.start()
    const appends: Promise<unknown>[] = []
    const start = performance.now()
    // The scenario: one append every 10 ms, on a schedule, while batches are on the wire.
    for (let i = 0; i < 200; i++) {
      const due = start + i * 10
      await new Promise((res) => setTimeout(res, Math.max(0, due - performance.now())))
      appends.push(r.outbox.append(rating(i), syncedStamp(T0), `k:${i}`))
    }
    await Promise.all(appends)
    await waitFor('200 records accepted', () => r.hub.accepted.size === 200)
    const elapsed = performance.now() - start
    expect(timers.scheduled).toBe(0)
    expect(r.hub.batches.length).toBeLessThanOrEqual(2 * (Math.ceil(elapsed / 50) + 1))
    expect(Math.max(...r.hub.batches.map((b) => b.body.records.length))).toBeGreaterThan(1)
    expect(new Set(r.hub.batches.flatMap((b) => b.body.records.map((rec) => rec.seq))).size).toBe(200)
  })

  it('keeps inFlightBatches batches on the wire; each 200 deletes its own batch, in whatever order they come', async () => {
    const r = await rig({ inFlightBatches: 4 })
    let open!: () => void
    let release!: () => void
    const opened = new Promise<void>((res) => (open = res))
    const held = new Promise<void>((res) => (release = res))
    // No answer until four batches are on the wire; the first is answered last, the others overtake it.
    r.hub.onBatch = (b) => ({ status: 200, until: b.body.records.some((rec) => rec.seq === 0) ? held : opened })
    await fill(r.outbox, 1000)
    r.forwarder.start()
    await waitFor('four batches on the wire at once', () => r.hub.inFlight === 4)
    expect(r.forwarder.status().inFlight).toBe(400)
    open()
    await waitFor('every batch but the held one delivered and deleted', () => r.forwarder.status().delivered === 900)
    // Its records wait in the outbox for their own answer; nothing else is left.
    expect(r.outbox.stats().depth).toBe(100)
    expect(r.hub.acceptedSeqs()).toEqual(Array.from({ length: 900 }, (_, i) => 100 + i))
    expect(r.forwarder.status().inFlight).toBe(100)
    release()
    await waitFor('an empty outbox', () => r.outbox.stats().depth === 0)
    expect(r.hub.acceptedSeqs()).toEqual(Array.from({ length: 1000 }, (_, i) => i))
    expect(r.hub.duplicates()).toEqual([])
    expect(r.hub.batches).toHaveLength(10)
    expect(r.hub.maxInFlight).toBe(4)
  })

  it('a batch that fails among others in flight is sent again once they settled; theirs are not', async () => {
    const r = await rig({ inFlightBatches: 4 })
    let failures = 0
    r.hub.onBatch = (b) => (b.body.records.some((rec) => rec.seq === 250) && failures++ === 0 ? { status: 500, delayMs: 5 } : { status: 200, delayMs: 20 })
    await fill(r.outbox, 800)
    r.forwarder.start()
    // The outbox is empty once the last removal commits; the forwarder counts it delivered when that removal returns.
    await waitFor('an empty outbox, every record counted delivered', () => r.outbox.stats().depth === 0 && r.forwarder.status().delivered === 800)
    expect(r.hub.acceptedSeqs()).toEqual(Array.from({ length: 800 }, (_, i) => i))
    expect(r.hub.duplicates()).toEqual([])
    // Sent twice: only the failed batch's records.
    const sends = new Map<number, number>()
    for (const b of r.hub.batches) for (const rec of b.body.records) sends.set(rec.seq, (sends.get(rec.seq) ?? 0) + 1)
    expect([...sends].filter(([, k]) => k > 1).map(([seq]) => seq)).toEqual(Array.from({ length: 100 }, (_, i) => 200 + i))
    expect(r.forwarder.status()).toMatchObject({ consecutiveFailures: 0, lastErrorCode: 'EDGE_HUB_UNEXPECTED', delivered: 800 })
  })

  it('moves records the hub rejects by index to dead letters and deletes the rest', async () => {
    const r = await rig()
    r.hub.onBatch = (b) => ({ status: 200, body: { rejected: b.body.records.flatMap((rec, index) => (rec.seq === 4 ? [{ index, code: 'HUB_RECORD_INVALID', message: 'bad' }] : [])) } })
    await fill(r.outbox, 10)
    r.forwarder.start()
    await waitFor('an empty outbox', () => r.outbox.stats().depth === 0)
    expect(r.outbox.stats().deadLetters).toBe(1)
    expect(r.hub.acceptedSeqs()).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 9])
    expect(r.forwarder.status().deadLettered).toBe(1)
  })

  it('splits a batch the hub refuses with 400 down to the one bad record', async () => {
    const r = await rig()
    r.hub.onBatch = (b) => (b.body.records.some((rec) => rec.seq === 13) ? { status: 400, body: { error: { code: 'HUB_RECORD_INVALID' } } } : { status: 200 })
    await fill(r.outbox, 40)
    r.forwarder.start()
    await waitFor('an empty outbox', () => r.outbox.stats().depth === 0)
    expect(r.outbox.stats().deadLetters).toBe(1)
    expect(r.hub.acceptedSeqs()).toEqual(Array.from({ length: 40 }, (_, i) => i).filter((s) => s !== 13))
    expect(r.hub.duplicates()).toEqual([])
    // log2(40) rounds of halving, not one request per record.
    expect(r.hub.batches.length).toBeLessThan(15)
  })

  it('halves the batch size on 413', async () => {
    const r = await rig()
    r.hub.onBatch = (b) => (b.body.records.length > 20 ? { status: 413, body: { error: { code: 'HUB_BODY_TOO_LARGE' } } } : { status: 200 })
    await fill(r.outbox, 150)
    r.forwarder.start()
    await waitFor('an empty outbox', () => r.outbox.stats().depth === 0)
    expect(r.forwarder.status().batchSize).toBeLessThanOrEqual(20)
    expect(r.hub.acceptedSeqs()).toHaveLength(150)
    expect(r.outbox.stats().deadLetters).toBe(0)
  })
})

describe('forwarder when the hub is not available', () => {
  it('honours 503 Retry-After, plus up to half again at random', async () => {
    const r = await rig({ random: () => 0.5 })
    let calls = 0
    r.hub.onBatch = () => (++calls === 1 ? { status: 503, headers: { 'retry-after': '1' }, body: { error: { code: 'HUB_OVERLOADED' } } } : { status: 200 })
    await fill(r.outbox, 5)
    r.forwarder.start()
    const s = await waitFor('a backoff after the 503', () => (r.forwarder.status().nextAttemptAt === null ? null : r.forwarder.status()))
    expect(s).toMatchObject({ lastErrorCode: 'HUB_OVERLOADED', consecutiveFailures: 1 })
    expect(s.nextAttemptAt! - s.lastErrorAt!).toBe(1250)
    expect(r.outbox.stats().depth).toBe(5)
    await waitFor('an empty outbox', () => r.outbox.stats().depth === 0)
    const [a, b] = r.hub.batches
    expect(b!.at - a!.at).toBeGreaterThanOrEqual(990)
  })

  it('after a refused round one batch probes the hub, and the window opens again with its 200', async () => {
    const r = await rig({ inFlightBatches: 4 })
    let shedding = true
    let probeIndex = -1
    r.hub.onBatch = () => {
      if (shedding) return { status: 503, headers: { 'retry-after': '0' }, body: { error: { code: 'HUB_OVERLOADED' } } }
      if (probeIndex < 0) probeIndex = r.hub.batches.length - 1
      return { status: 200, delayMs: 20 }
    }
    await fill(r.outbox, 1000)
    r.forwarder.start()
    await waitFor('a refused round', () => r.forwarder.status().consecutiveFailures >= 1)
    shedding = false
    await waitFor('an empty outbox', () => r.outbox.stats().depth === 0)
    // The first batch the hub took came after refused rounds only: it went alone.
    const probe = r.hub.batches[probeIndex]!
    const refused = probeIndex
    // Nothing else went out until the probe's answer came back.
    expect(r.hub.batches[refused + 1]!.at).toBeGreaterThanOrEqual(probe.answeredAt!)
    expect(r.hub.acceptedSeqs()).toEqual(Array.from({ length: 1000 }, (_, i) => i))
    expect(r.hub.duplicates()).toEqual([])
  })

  it('backs off with growing delays on 500, keeping everything', async () => {
    const timers = countingTimers()
    const r = await rig({ random: () => 1, backoffMinMs: 40, backoffMaxMs: 10_000, timers })
    r.hub.onBatch = () => (r.hub.batches.length <= 4 ? { status: 500 } : { status: 200 })
    await fill(r.outbox, 5)
    r.forwarder.start()
    await waitFor('an empty outbox', () => r.outbox.stats().depth === 0)
    const at = r.hub.batches.map((b) => b.at)
    const gaps = at.slice(1).map((t, i) => t - at[i]!)
    // random = 1 takes the top of each window: the delay doubles from 40 ms, one step per failure.
    expect(timers.delays).toEqual([40, 80, 160, 320])
    // And the forwarder really waited them out before each retry.
    ;[40, 80, 160, 320].forEach((want, i) => expect(gaps[i]!).toBeGreaterThanOrEqual(want - 5))
  })

  it('logs auth failures, waits the maximum and keeps the records', async () => {
    const r = await rig({ backoffMaxMs: 30_000 })
    r.hub.onBatch = () => ({ status: 401, body: { error: { code: 'HUB_AUTH_FAILED' } } })
    await fill(r.outbox, 3)
    r.forwarder.start()
    const s = await waitFor('a backoff after the 401', () => (r.forwarder.status().nextAttemptAt === null ? null : r.forwarder.status()))
    expect(s.lastErrorCode).toBe('HUB_AUTH_FAILED')
    expect(s.nextAttemptAt! - s.lastErrorAt!).toBeGreaterThanOrEqual(30_000)
    expect(r.outbox.stats().depth).toBe(3)
  })

  it('delivers everything exactly once after the hub was down and came back', async () => {
    const r = await rig({ backoffMinMs: 10, backoffMaxMs: 50 })
    let down = true
    r.hub.onBatch = () => (down ? 'drop' : { status: 200 })
    r.forwarder.start()
    await fill(r.outbox, 300)
    await waitFor('three failed attempts', () => r.forwarder.status().consecutiveFailures >= 3)
    expect(r.forwarder.status().lastErrorCode).toBe('EDGE_HUB_UNREACHABLE')
    await fill(r.outbox, 200, 300)
    down = false
    await waitFor('an empty outbox', () => r.outbox.stats().depth === 0)
    expect(r.hub.acceptedSeqs()).toEqual(Array.from({ length: 500 }, (_, i) => i))
    expect(r.hub.duplicates()).toEqual([])
    expect(r.forwarder.status().consecutiveFailures).toBe(0)
  })

  it('stop() aborts a request in flight; a new forwarder on the reopened outbox resumes', async () => {
    // A request timeout far beyond the wait below: only the abort can end the hanging request.
    const r = await rig({}, join(root, `outbox-${n++}`), 600_000)
    let hang = false
    r.hub.onBatch = () => (hang ? 'hang' : { status: 200 })
    await fill(r.outbox, 50)
    r.forwarder.start()
    await waitFor('an empty outbox', () => r.outbox.stats().depth === 0)
    hang = true
    await fill(r.outbox, 250, 50)
    await waitFor('a request in flight', () => r.forwarder.status().inFlight > 0)
    let stopped = false
    const stopping = r.forwarder.stop().then(() => (stopped = true))
    await waitFor('stop() to return while the hub hangs on the request', () => stopped)
    await stopping
    expect(r.outbox.stats().depth).toBe(250)
    await r.outbox.close()
    rigs.splice(rigs.indexOf(r), 1)
    await r.hub.stop()

    const again = await rig({}, r.dir)
    again.forwarder.start()
    await waitFor('an empty outbox after the restart', () => again.outbox.stats().depth === 0)
    expect(again.hub.acceptedSeqs()).toEqual(Array.from({ length: 250 }, (_, i) => 50 + i))
  })
})

describe('forwarder and clock', () => {
  it('fixes unsynced times before the first send, so retries carry the same times', async () => {
    const r = await rig()
    const serverTime = T0 + 3_600_000
    r.hub.serverTime = () => serverTime
    r.hub.onBatch = () => (r.hub.batches.length === 1 ? { status: 503, headers: { 'retry-after': '0' } } : { status: 200 })
    const boot = r.clock.model().boot
    await r.outbox.append(rating(1), unsyncedStamp(T0, 500_000, boot), 'a')
    await r.outbox.append(rating(2), unsyncedStamp(T0 - 99, 40, 'boot-before'), 'b')
    await r.outbox.append(heartbeat(3), syncedStamp(T0 + 7))
    r.forwarder.start()
    await waitFor('an empty outbox', () => r.outbox.stats().depth === 0)
    expect(r.hub.clockCalls).toBe(1)
    const [first, second] = r.hub.batches
    expect(second!.body.records).toEqual(first!.body.records)
    const bySeq = new Map(second!.body.records.map((rec) => [rec.seq, rec]))
    const mapped = bySeq.get(0)!
    expect(mapped.clock).toBe('corrected')
    // Mono 500,000 on a clock mapped a few ms after mono 1,000,000 ≈ serverTime.
    expect(Math.abs(mapped.t - (serverTime - 500_000))).toBeLessThan(20)
    expect(bySeq.get(1)).toMatchObject({ t: T0 - 99, clock: 'unsynced' })
    expect(bySeq.get(2)).toMatchObject({ t: T0 + 7, clock: 'synced' })
  })
})
