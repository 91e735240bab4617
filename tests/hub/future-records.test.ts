/**
 * Issue 11, finding 4: one record dated in the future must neither reach
 * InfluxDB nor freeze the IOC's live stream. Real hub, real influxd, the
 * edge's real forwarder and LevelDB outbox.
 */
process.env.LOG_LEVEL ??= 'silent'
import http from 'node:http'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../common/log.js'
import { hashSecret } from '../../common/secrets.js'
import { createSystemClock } from '../../edge/clock/system-clock.js'
import { createForwarder } from '../../edge/forwarder/forwarder.js'
import { createHubClient } from '../../edge/forwarder/hub-client.js'
import { openOutbox } from '../../edge/outbox/leveldb-outbox.js'
import { hubConfigSchema } from '../../hub/config/schema.js'
import { createWriter } from '../../hub/rollup/writer.js'
import { toPoint } from '../../hub/influx/points.js'
import { startHub, type RunningHub } from '../../hub/main.js'
import type { EdgeRecord } from '../../protocol/records.js'
import { startInfluxd, type Influxd } from '../../testkit/influxd.js'
import { waitFor } from '../../testkit/wait.js'
import type { NewRecord } from '../../edge/outbox/types.js'
import { rating as fixtureRating, silentLog, syncedStamp, tempDir } from '../edge/outbox-fixtures.js'
import { influxRows, request } from './helpers.js'

const SITE = 'ct-future'
const TOKEN = 'edge-token-ct-future-0123456789'
const KEY = 'ioc-key-future-0123456789abcdef0123'
const YEAR_MS = 365 * 86_400_000
const log = createLogger('test', 'silent')
const root = tempDir('future')

let influxd: Influxd
let hub: RunningHub
/** How far ahead of the real time the hub's clock is set. */
let hubAheadMs = 0
const config = (url: string) =>
  hubConfigSchema.parse({
    http: { host: '127.0.0.1', port: 0 },
    influx: { version: 1, url, database: 'motcua' },
    edges: [{ site: SITE, tokenHash: hashSecret(TOKEN) }],
    sites: [{ id: SITE, name: 'Trung tâm tương lai' }],
    apiKeys: [{ id: 'ioc', keyHash: hashSecret(KEY), scope: 'ioc' }],
  })

beforeAll(async () => {
  influxd = await startInfluxd()
  hub = await startHub(config(influxd.url), { log, streamPollMs: 100, alertEveryMs: 60_000, now: () => Date.now() + hubAheadMs })
}, 120_000)

afterAll(async () => {
  await hub?.stop()
  await influxd?.stop()
  rmSync(root, { recursive: true, force: true })
})

const record = (seq: number, t: number, eventId: string): EdgeRecord => ({
  kind: 'rating', seq, t, clock: 'synced', department: 'tu-phap', counter: 'q1', device: 'kiosk-1', officer: null, eventId,
  scale: 4, level: 1, score: 100, dissatisfied: false, reasons: [], ticket: null, deviceTs: t, edgeTs: t, misuse: null,
})
const edgeRating = (i: number, eventId: string): NewRecord => ({ ...(fixtureRating(i) as Extract<NewRecord, { kind: 'rating' }>), eventId })
const stored = async (eventId: string) => influxRows(influxd.url, 'motcua', `SELECT "seq" FROM "rating" WHERE "event_id" = '${eventId}' AND time >= 0 AND time < '2200-01-01T00:00:00Z'`)

/** An edge on the test hub: outbox, clock (no synchronised local clock, so its time is the hub's) and forwarder. */
async function edgeOnHub(name: string, mono?: () => number) {
  const outbox = await openOutbox({ dir: join(root, `outbox-${name}`), commitWindowMs: 1, maxBytes: 1e9, minFreeBytes: 0, dedupDays: 30, log: silentLog, now: Date.now })
  const bootFile = join(root, `boot-${name}`)
  writeFileSync(bootFile, `boot-${name}\n`)
  const clock = createSystemClock({ log: silentLog, bootIdPath: bootFile, syncedFlagPath: join(root, 'no-such-flag'), ...(mono ? { mono } : {}) })
  const forwarder = createForwarder({ outbox, clock, hub: createHubClient({ url: hub.url, token: TOKEN, timeoutMs: 5000 }), site: SITE, batchSize: 100, backoffMinMs: 10, backoffMaxMs: 200, log: silentLog })
  return { outbox, clock, forwarder }
}

describe('records from the future (issue 11, finding 4)', () => {
  it('the hub refuses a record beyond its clock plus the skew with HUB_RECORD_FUTURE, and writes the rest of the batch', async () => {
    const now = Date.now()
    const records = [record(1, now + YEAR_MS, 'future-next-year'), record(2, now, 'future-present'), record(3, now + 60_000, 'future-in-skew')]
    const reply = await request(`${hub.url}/v1/batches`, { token: TOKEN, body: { v: 1, site: SITE, records } })
    expect(reply.status).toBe(200)
    expect(reply.body).toMatchObject({ accepted: 2, rejected: [{ index: 0, code: 'HUB_RECORD_FUTURE' }] })
    expect((reply.body as { rejected: { message: string }[] }).rejected[0]!.message).toMatch(/later than the hub's clock/)
    expect(await stored('future-next-year')).toEqual([])
    expect(await stored('future-present')).toHaveLength(1)
    expect(await stored('future-in-skew')).toHaveLength(1)
  })

  it("the edge keeps a refused future record as a dead letter, delivers the others and does not send it again before the hub's clock reaches it", async () => {
    const dir = join(root, 'outbox')
    const outbox = await openOutbox({ dir, commitWindowMs: 1, maxBytes: 1e9, minFreeBytes: 0, dedupDays: 30, log: silentLog, now: Date.now })
    const bootFile = join(root, 'boot')
    writeFileSync(bootFile, 'boot-now\n')
    const clock = createSystemClock({ log: silentLog, bootIdPath: bootFile, syncedFlagPath: join(root, 'no-such-flag') })
    // An edge whose clock ran a year ahead when it stamped the first rating.
    await outbox.append(edgeRating(1, 'edge-next-year'), syncedStamp(Date.now() + YEAR_MS), 'kiosk-1:edge-next-year')
    await outbox.append(edgeRating(2, 'edge-present'), syncedStamp(Date.now()), 'kiosk-1:edge-present')
    let posts = 0
    const client = createHubClient({ url: hub.url, token: TOKEN, timeoutMs: 5000 })
    const counting = { ...client, postBatch: (body: Parameters<typeof client.postBatch>[0], signal: AbortSignal) => (posts++, client.postBatch(body, signal)) }
    const forwarder = createForwarder({ outbox, clock, hub: counting, site: SITE, batchSize: 100, backoffMinMs: 10, backoffMaxMs: 200, log: silentLog })
    forwarder.start()
    try {
      await waitFor('the outbox drained', () => outbox.stats().depth === 0 && forwarder.status().deadLettered === 1 && forwarder.status().delivered === 1)
      expect(outbox.stats().deadLetters).toBe(1)
      expect(await stored('edge-present')).toHaveLength(1)
      expect(await stored('edge-next-year')).toEqual([])
      // One more record goes through on its own: the refused one is not resent with it.
      await outbox.append(edgeRating(3, 'edge-later'), syncedStamp(Date.now()), 'kiosk-1:edge-later')
      await waitFor('the later record delivered', () => forwarder.status().delivered === 2)
      expect({ posts, dead: outbox.stats().deadLetters }).toEqual({ posts: 2, dead: 1 })
    } finally {
      await forwarder.stop()
      await outbox.close()
    }
  })

  it("the hub's clock set half an hour ahead and back costs an edge nothing: it does not follow a step ahead at once", async () => {
    const { outbox, clock, forwarder } = await edgeOnHub('step')
    const send = async (n: number, eventId: string) => {
      await outbox.append(edgeRating(n, eventId), clock.stamp(), `kiosk-1:${eventId}`)
      await waitFor(`${eventId} answered`, () => forwarder.status().delivered + forwarder.status().deadLettered === n)
    }
    forwarder.start()
    try {
      await send(1, 'step-before')
      hubAheadMs = 30 * 60_000
      // Its answer tells the edge the hub is half an hour ahead.
      await send(2, 'step-during')
      hubAheadMs = 0
      // Stamped after that answer: an edge that had followed would date it half an hour ahead, and the hub would refuse it.
      await send(3, 'step-after')
      expect(forwarder.status()).toMatchObject({ delivered: 3, deadLettered: 0 })
      for (const eventId of ['step-before', 'step-during', 'step-after']) {
        const [row] = await stored(eventId)
        expect(Math.abs(Date.parse(String(row?.time)) - Date.now()), eventId).toBeLessThan(60_000)
      }
    } finally {
      hubAheadMs = 0
      await forwarder.stop()
      await outbox.close()
    }
  })

  it("a hub clock that stays ahead long enough to be followed and is then set back: what the edge stamped meanwhile waits and is stored once when the hub's clock reaches it", async () => {
    // Time the test lets pass at once, for the edge's monotonic clock and the hub's alike (not for Date.now()).
    let passedMs = 0
    const { outbox, clock, forwarder } = await edgeOnHub('stay', () => performance.now() + passedMs)
    const answered = (n: number) => waitFor(`${n} records answered`, () => forwarder.status().delivered + forwarder.status().deadLettered === n)
    const stamped = new Map<string, number | null>()
    const append = async (n: number, eventId: string) => {
      const stamp = clock.stamp()
      stamped.set(eventId, stamp.t)
      await outbox.append(edgeRating(n, eventId), stamp, `kiosk-1:${eventId}`)
    }
    forwarder.start()
    try {
      await append(1, 'stay-before')
      await answered(1)
      hubAheadMs = 30 * 60_000
      await append(2, 'stay-ahead-first')
      await answered(2)
      // Eleven minutes on, the hub still half an hour ahead: its next answer comes more than ten minutes after the
      // first that showed the step, so the edge follows it.
      passedMs = 11 * 60_000
      hubAheadMs = passedMs + 30 * 60_000
      await append(3, 'stay-ahead-second')
      await answered(3)
      await forwarder.stop()
      await append(4, 'stay-stamped-ahead-1')
      await append(5, 'stay-stamped-ahead-2')
      expect(stamped.get('stay-stamped-ahead-1')! - (Date.now() + passedMs)).toBeGreaterThan(29 * 60_000)
      // Set back to the right time before those two were sent: the hub refuses them as dated past its clock.
      hubAheadMs = passedMs
      forwarder.start()
      await answered(5)
      expect(forwarder.status()).toMatchObject({ delivered: 3, deadLettered: 2 })
      expect(outbox.stats()).toMatchObject({ depth: 0, deadLetters: 2 })
      // A rating now is dated by the hub's clock again; its answer is still before the two, which stay kept.
      await append(6, 'stay-after')
      await waitFor('the rating after the set-back delivered', () => forwarder.status().delivered === 4)
      expect(outbox.stats().deadLetters).toBe(2)
      expect(await stored('stay-stamped-ahead-1')).toEqual([])
      // Half an hour on, as the hub sees it: the next answer is past both, and they go.
      hubAheadMs = passedMs + 31 * 60_000
      await append(7, 'stay-later')
      await waitFor('every record delivered', () => forwarder.status().delivered === 7 && outbox.stats().depth === 0)
      expect(outbox.stats().deadLetters).toBe(0)
      // Each stored once, at the time the edge stamped it (the first was stamped before the edge knew the hub's time).
      expect(stamped.get('stay-before')).toBeNull()
      expect(await stored('stay-before')).toHaveLength(1)
      for (const eventId of ['stay-ahead-first', 'stay-ahead-second', 'stay-stamped-ahead-1', 'stay-stamped-ahead-2', 'stay-after', 'stay-later']) {
        const rows = await stored(eventId)
        expect(rows, eventId).toHaveLength(1)
        expect(Date.parse(String(rows[0]!.time)), eventId).toBe(stamped.get(eventId))
      }
    } finally {
      hubAheadMs = 0
      await forwarder.stop()
      await outbox.close()
    }
  })

  it('a future point already in InfluxDB does not hold the live stream: later ratings still come', async () => {
    // Written past the ingest, as a hub from before the check stored it.
    const writer = createWriter(config(influxd.url).influx, { log })
    const future = record(10, Date.now() + YEAR_MS, 'stream-next-year')
    await writer.write([toPoint(SITE, future)])
    await writer.close()

    const ratings: string[] = []
    const req = await new Promise<http.ClientRequest>((resolve, reject) => {
      const r = http.get(`${hub.url}/api/v1/stream?site=${SITE}`, { headers: { authorization: `Bearer ${KEY}` } }, (res) => {
        let buf = ''
        res.setEncoding('utf8')
        res.on('data', (c: string) => {
          buf += c
          for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
            const block = buf.slice(0, i)
            buf = buf.slice(i + 2)
            const data = /^event: rating\ndata: (.*)$/m.exec(block)?.[1]
            if (data) ratings.push((JSON.parse(data) as { eventId: string }).eventId)
          }
        })
        resolve(r)
      })
      r.on('error', reject)
    })
    try {
      // Stamped after the stream opened (the headers are in, so it started from an earlier millisecond).
      const posted = async (seq: number, id: string) => {
        const t = Date.now() + 5
        const reply = await request(`${hub.url}/v1/batches`, { token: TOKEN, body: { v: 1, site: SITE, records: [record(seq, t, id)] } })
        expect(reply.status).toBe(200)
      }
      await posted(11, 'stream-after-1')
      await waitFor('the first rating after the future point streamed', () => ratings.includes('stream-after-1'))
      await posted(12, 'stream-after-2')
      await waitFor('the second rating streamed', () => ratings.includes('stream-after-2'))
      expect(ratings).toEqual(['stream-after-1', 'stream-after-2'])
    } finally {
      req.destroy()
    }
  })
})
