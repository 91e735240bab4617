/**
 * Issue 11, finding 5 (streams and alert listing unbounded) and the IOC part
 * of finding 9 (raw exports on the audit log), against real hubs on a real
 * influxd. InfluxDB's own request counters (`/debug/vars`, httpd) tell how
 * many queries and writes the hub made.
 */
process.env.LOG_LEVEL ??= 'silent'
import http from 'node:http'
import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../common/log.js'
import { hashSecret } from '../../common/secrets.js'
import { auditEntries } from '../../hub/audit/audit.js'
import { hubConfigSchema, type HubConfig } from '../../hub/config/schema.js'
import { toPoint } from '../../hub/influx/points.js'
import type { PointWriter } from '../../hub/influx/writer.js'
import { startHub, type RunningHub } from '../../hub/main.js'
import { createInfluxQuery } from '../../hub/queries/client.js'
import { createWriter } from '../../hub/rollup/writer.js'
import type { RatingRecord } from '../../protocol/records.js'
import { startInfluxd, type Influxd } from '../../testkit/influxd.js'
import { waitFor } from '../../testkit/wait.js'
import { rating, request } from './helpers.js'

const KEYS = { ioc: 'ioc-key-streams-0123456789abcdef0123', wall: 'wall-key-streams-0123456789abcdef012', slow: 'slow-key-streams-0123456789abcdef012' }
const SITES = ['ct-center', 'ct-slow'] as const
const POLL_MS = 50
const HOUR = 3_600_000
const log = createLogger('test', 'silent')

let influxd: Influxd
let writer: PointWriter
let hub1Writes = 0
const hubs: RunningHub[] = []
const warnings: Record<string, unknown>[] = []
const stallWarnings: Record<string, unknown>[] = []

function config(url: string, streams: Partial<HubConfig['streams']>): HubConfig {
  return hubConfigSchema.parse({
    http: { host: '127.0.0.1', port: 0 },
    influx: { version: 1, url, database: 'motcua' },
    edges: SITES.map((site) => ({ site, tokenHash: hashSecret(`${site}-edge-token-0123456789abcdef`) })),
    sites: SITES.map((id) => ({ id, name: id })),
    apiKeys: [
      { id: 'ioc', keyHash: hashSecret(KEYS.ioc), scope: 'ioc' },
      { id: 'center-wall', keyHash: hashSecret(KEYS.wall), scope: 'site', sites: ['ct-center'] },
      { id: 'slow-wall', keyHash: hashSecret(KEYS.slow), scope: 'site', sites: ['ct-slow'] },
    ],
    streams,
  })
}

/** A hub whose background jobs stay quiet during the test, so InfluxDB's counters show what the API does. */
const quiet = { streamPollMs: POLL_MS, alertEveryMs: HOUR, rollupIntervalMs: HOUR }

async function influxCounter(name: 'queryReq' | 'writeReq'): Promise<number> {
  const vars = (await (await fetch(`${influxd.url}/debug/vars`)).json()) as Record<string, { name?: string; values?: Record<string, number> }>
  const httpd = Object.values(vars).find((v) => v.name === 'httpd')
  if (!httpd?.values) throw new Error('influxd /debug/vars has no httpd counters')
  return httpd.values[name] ?? 0
}

interface OpenStream {
  status: number
  headers: http.IncomingHttpHeaders
  events: { event: string; data: Record<string, unknown> }[]
  text(): string
  close(): void
}

/** Opens GET /api/v1/stream and collects its events; resolves once the headers (and for a 200 the hello) arrived. */
function openStream(hub: RunningHub, key: string, query = ''): Promise<OpenStream> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${hub.url}/api/v1/stream${query}`, { headers: { 'x-api-key': key } }, (res) => {
      let text = ''
      let buf = ''
      const events: OpenStream['events'] = []
      const stream: OpenStream = { status: res.statusCode ?? 0, headers: res.headers, events, text: () => text, close: () => req.destroy() }
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        // The head only: thousands of events appended and searched again on every chunk would stall the test's hubs.
        if (text.length < 64 * 1024) text += chunk
        buf += chunk
        for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
          const block = buf.slice(0, i)
          buf = buf.slice(i + 2)
          const event = /^event: (.*)$/m.exec(block)?.[1]
          const data = /^data: (.*)$/m.exec(block)?.[1]
          if (event && data) events.push({ event, data: JSON.parse(data) as Record<string, unknown> })
        }
        if (text.startsWith('retry: 3000\n: motcua stream')) resolve(stream)
      })
      res.on('end', () => resolve(stream))
      res.on('error', () => resolve(stream))
    })
    req.on('error', reject)
  })
}

/** Opens a stream that should get a place, once the places of streams closed just before are given back. */
const openWhenFree = (hub: RunningHub, key: string, query = '') =>
  waitFor('a free stream place', async () => {
    const s = await openStream(hub, key, query)
    if (s.status === 200) return s
    s.close()
    return null
  })

/** A client that reads the headers and the hello, then nothing: its socket fills, then the hub's buffer for it. */
const openStuck = (hub: RunningHub, key: string, query: string) =>
  waitFor('a free stream place for the stuck client', () =>
    new Promise<net.Socket | null>((resolve, reject) => {
      const socket = net.connect(hub.port, '127.0.0.1')
      socket.write(`GET /api/v1/stream${query} HTTP/1.1\r\nHost: hub\r\nX-API-Key: ${key}\r\n\r\n`)
      let head = ''
      socket.on('error', reject)
      socket.on('data', (c: Buffer) => {
        head += c.toString('latin1')
        if (head.includes(': motcua stream')) {
          socket.pause()
          resolve(socket)
        } else if (/^HTTP\/1\.1 [45]/.test(head)) {
          socket.destroy()
          resolve(null)
        }
      })
    }),
  )

const refusal = (s: OpenStream) => (JSON.parse(s.text()) as { error: { code: string; message: string } }).error

const ratingPoint = (site: string, seq: number, t: number, over: Partial<RatingRecord> = {}) =>
  toPoint(site, { ...rating(seq, { counter: 'q1', officer: 'cb-tran-binh', ticket: `B${seq}` }), t, eventId: `${site}-${seq}`, ...over } as RatingRecord)

beforeAll(async () => {
  influxd = await startInfluxd()
  writer = createWriter(config(influxd.url, {}).influx, { log })
  const capture = createLogger('streams', 'warn', { write: (line: string) => void warnings.push(JSON.parse(line) as Record<string, unknown>) })
  // 0: small caps and buffers; 1: room for many streams; 2: its audit writes fail.
  hubs.push(await startHub(config(influxd.url, { maxPerKey: 2, maxTotal: 3, maxBufferedBytes: 512 * 1024, stallS: 5, retryAfterS: 7 }), { ...quiet, log: capture }))
  // Its writes are counted: what its API does is told apart from the other hubs' background writes to the same influxd.
  const counted: PointWriter = { ...writer, write: (points) => (hub1Writes++, writer.write(points)) }
  hubs.push(await startHub(config(influxd.url, { maxPerKey: 25 }), { ...quiet, log, writer: counted }))
  const failing: PointWriter = {
    ...writer,
    write: (points) => (points.some((p) => p.measurement === 'audit') ? Promise.reject(new Error('disk full')) : writer.write(points)),
  }
  hubs.push(await startHub(config(influxd.url, {}), { ...quiet, log, writer: failing }))
  // 3: a byte bound no test reaches, so only the drain timeout drops.
  const stalls = createLogger('streams', 'warn', { write: (line: string) => void stallWarnings.push(JSON.parse(line) as Record<string, unknown>) })
  hubs.push(await startHub(config(influxd.url, { maxBufferedBytes: 256 * 1024 * 1024, stallS: 1 }), { ...quiet, log: stalls }))
  // Their rollups' start-up reads done, so influxd's query counter moves only for what a test does.
  await Promise.all(hubs.map((h) => h.rollup?.ready()))
}, 120_000)

afterAll(async () => {
  await Promise.all(hubs.map((h) => h.stop()))
  await writer?.close()
  await influxd?.stop()
})

describe('event streams are bounded (issue 11, finding 5)', () => {
  // First, while no other hub of this file has a stream (and so a poller) open.
  it('polls InfluxDB once per tick for every stream together, and evaluates no alerts per stream', async () => {
    const streams = await Promise.all(Array.from({ length: 20 }, (_, i) => openStream(hubs[1]!, KEYS.ioc, i % 2 ? '?site=ct-center' : '')))
    try {
      expect(streams.every((s) => s.status === 200)).toBe(true)
      const started = Date.now()
      const before = await influxCounter('queryReq')
      // One shared poller makes at most one query per interval (timers never fire early); twenty per-stream pollers
      // (and twenty alert evaluations at opening) make many more in the same time.
      const after = await waitFor('30 queries made', async () => {
        const n = await influxCounter('queryReq')
        return n - before >= 30 ? n : 0
      })
      const elapsed = Date.now() - started
      expect(after - before).toBeLessThanOrEqual(Math.floor(elapsed / POLL_MS) + 2)
    } finally {
      for (const s of streams) s.close()
    }
  })

  it('caps streams per key and in total with 429 HUB_STREAM_LIMIT and a retry-after', async () => {
    const open: OpenStream[] = []
    try {
      for (let i = 0; i < 2; i++) open.push(await openWhenFree(hubs[0]!, KEYS.wall))
      const perKey = await openStream(hubs[0]!, KEYS.wall)
      open.push(perKey)
      expect(perKey.status).toBe(429)
      expect(perKey.headers['retry-after']).toBe('7')
      expect(refusal(perKey)).toMatchObject({ code: 'HUB_STREAM_LIMIT', message: expect.stringMatching(/center-wall.*2/) })
      // Another key still gets one, up to the hub's total.
      open.push(await openWhenFree(hubs[0]!, KEYS.ioc))
      const total = await openStream(hubs[0]!, KEYS.slow)
      open.push(total)
      expect(total.status).toBe(429)
      expect(refusal(total)).toMatchObject({ code: 'HUB_STREAM_LIMIT', message: expect.stringMatching(/3/) })
      // A closed stream frees its place.
      open[0]!.close()
      open.push(await openWhenFree(hubs[0]!, KEYS.wall))
    } finally {
      for (const s of open) s.close()
    }
  })

  it('drops a reader that does not read, logged, and keeps streaming to one that does', async () => {
    const reading = await openWhenFree(hubs[0]!, KEYS.slow, '?site=ct-slow')
    const stuck = await openStuck(hubs[0]!, KEYS.slow, '?site=ct-slow')
    try {
      // The key is at its cap of 2 while both streams are open.
      const refused = await openStream(hubs[0]!, KEYS.slow)
      refused.close()
      expect(refused.status).toBe(429)
      const t = Date.now()
      // ~12 MB of events: more than the kernel's socket buffers take on loopback (send buffer up to 4 MB here).
      const count = 30_000
      for (let from = 0; from < count; from += 5000) {
        await writer.write(Array.from({ length: 5000 }, (_, i) => ratingPoint('ct-slow', from + i, t, { level: 1, dissatisfied: false, score: 100 })))
      }
      await waitFor(() => `every rating streamed to the client that reads (it has ${reading.events.length}; hub warnings: ${JSON.stringify(warnings)})`, () => reading.events.filter((e) => e.event === 'rating').length >= count, { timeoutMs: 60_000 })
      const dropped = await waitFor('the stuck stream dropped and logged', () => warnings.find((w) => w.msg === 'stream dropped: the client does not read'))
      expect(dropped).toMatchObject({ key: 'slow-wall', reason: expect.stringMatching(/^(buffered|stalled)$/) })
      // Its place is free again; the reading stream stayed open.
      ;(await openWhenFree(hubs[0]!, KEYS.slow, '?site=ct-slow')).close()
      const streamed = reading.events.filter((e) => e.event === 'rating').map((e) => e.data.eventId)
      expect(new Set(streamed).size).toBe(count)
    } finally {
      reading.close()
      stuck.destroy()
    }
  }, 90_000)

  it('sends ratings found behind the cursor at most 500 a poll, so a client that reads keeps its stream', async () => {
    // What each poll sent, from the hub's own debug log.
    const polls: number[] = []
    const drops: unknown[] = []
    const heard = createLogger('streams', 'debug', {
      write: (line: string) => {
        const entry = JSON.parse(line) as { msg: string; sent?: number }
        if (entry.msg === 'stream poll sent ratings') polls.push(entry.sent!)
        if (entry.msg === 'stream dropped: the client does not read') drops.push(entry)
      },
    })
    // The smallest byte bound: one poll's 500 ratings (~200 KB) fit, a whole burst (~1.2 MB) would not.
    const hub = await startHub(config(influxd.url, { maxBufferedBytes: 256 * 1024 }), { ...quiet, log: heard })
    const reading = await openWhenFree(hub, KEYS.wall)
    const opened = Date.now()
    const streamed = () => reading.events.filter((e) => e.event === 'rating').map((e) => e.data.eventId)
    try {
      // The cursor moves to a rating 1.5 s after the stream opened...
      await new Promise((r) => setTimeout(r, 1500))
      const t = Date.now()
      await writer.write([ratingPoint('ct-center', 500_000, t)])
      await waitFor('the first rating streamed', () => streamed().length === 1)
      polls.length = 0
      // ...then 3,000 arrive dated between the stream's opening and that rating, as a large write seen half-landed leaves them.
      const behind = 3000
      expect(t - 1000).toBeGreaterThan(opened)
      await writer.write(Array.from({ length: behind }, (_, i) => ratingPoint('ct-center', 500_001 + i, t - 1000)))
      await waitFor(() => `every rating behind the cursor streamed (${streamed().length - 1} of ${behind}; polls ${JSON.stringify(polls)})`, () => streamed().length === 1 + behind, { timeoutMs: 60_000 })
      expect(new Set(streamed()).size).toBe(1 + behind)
      expect(polls.reduce((a, b) => a + b, 0)).toBe(behind)
      expect(Math.max(...polls)).toBeLessThanOrEqual(500)
      expect(drops).toEqual([])
    } finally {
      reading.close()
      await hub.stop()
    }
  })

  it('drops a client whose socket has not drained for stallS, below the byte bound', async () => {
    const stuck = await openStuck(hubs[3]!, KEYS.slow, '?site=ct-slow')
    try {
      const t = Date.now()
      for (let from = 0; from < 30_000; from += 5000) {
        await writer.write(Array.from({ length: 5000 }, (_, i) => ratingPoint('ct-slow', 100_000 + from + i, t, { level: 1, dissatisfied: false, score: 100 })))
      }
      const dropped = await waitFor('the stalled stream dropped and logged', () => stallWarnings.find((w) => w.msg === 'stream dropped: the client does not read'), { timeoutMs: 60_000 })
      expect(dropped).toMatchObject({ key: 'slow-wall', reason: 'stalled' })
      expect(dropped.stalledS).toBeGreaterThan(1)
    } finally {
      stuck.destroy()
    }
  }, 90_000)

  it('sends a rating seen halfway through landing once, whole, not as a rating without its event id, and pages leave it out until then', async () => {
    // InfluxDB 1.x stores a point's fields apart, and a poll can run while only some have landed (a fresh-machine run
    // saw 30,001 "ratings" of 30,000). Written here in two halves, with a whole rating after it that proves a poll
    // read the half.
    const reading = await openWhenFree(hubs[1]!, KEYS.ioc, '?site=ct-center')
    try {
      const t = Date.now() + 1
      const half = ratingPoint('ct-center', 900, t)
      const { score, dissatisfied, ...rest } = half.fields
      await writer.write([{ ...half, fields: { score: score!, dissatisfied: dissatisfied! } }])
      await writer.write([ratingPoint('ct-center', 901, t + 1)])
      const ids = () => reading.events.filter((e) => e.event === 'rating').map((e) => e.data.eventId)
      await waitFor('the whole rating after the half one', () => ids().includes('ct-center-901'))
      // The paged export (and the console's latest ratings) read the same rows: the half one is left out of the page.
      const page = async () => {
        const reply = await request(`${hubs[1]!.url}/api/v1/ratings?site=ct-center&from=${t - 1000}&to=${t + 60_000}`, { headers: { 'x-api-key': KEYS.ioc } })
        expect(reply.status).toBe(200)
        return (reply.body as { data: { eventId: string; ticket: string | null }[] }).data
      }
      expect((await page()).map((r) => r.eventId)).toEqual(['ct-center-901'])
      await writer.write([{ ...half, fields: rest }])
      await waitFor('the first rating, once whole', () => ids().includes('ct-center-900'))
      expect(ids()).toEqual(['ct-center-901', 'ct-center-900'])
      const sent = reading.events.find((e) => e.data.eventId === 'ct-center-900')!.data
      expect(sent).toMatchObject({ ticket: 'B900', officer: 'cb-tran-binh', counter: 'q1', score: score })
      expect((await page()).map((r) => [r.eventId, r.ticket])).toEqual([['ct-center-901', 'B901'], ['ct-center-900', 'B900']])
    } finally {
      reading.close()
    }
  })

  it('GET /api/v1/alerts writes nothing to InfluxDB', async () => {
    const now = Date.now()
    // Three dissatisfied ratings at one counter within minutes: a dissatisfied run is listed.
    await writer.write([1, 2, 3].map((i) => ratingPoint('ct-center', 100 + i, now - (10 - i) * 60_000, { level: 4, dissatisfied: true, score: 0 })))
    // Counted at the hub's writer: InfluxDB's own counter also sees the other hubs' background writes (on a loaded
    // machine the audit entries of the streams closed just before landed meanwhile).
    const before = hub1Writes
    for (let i = 0; i < 3; i++) {
      const list = await request(`${hubs[1]!.url}/api/v1/alerts`, { headers: { 'x-api-key': KEYS.ioc } })
      expect(list.status).toBe(200)
      expect((list.body as { data: { kind: string }[] }).data.map((a) => a.kind)).toContain('dissatisfied_run')
    }
    expect(hub1Writes).toBe(before)
    // The counter counts: an acknowledgement, which does write, goes through it.
    const id = ((await request(`${hubs[1]!.url}/api/v1/alerts`, { headers: { 'x-api-key': KEYS.ioc } })).body as { data: { id: string }[] }).data[0]!.id
    const ack = await request(`${hubs[1]!.url}/api/v1/alerts/${encodeURIComponent(id)}/ack`, { headers: { 'x-api-key': KEYS.ioc }, body: { comment: 'đã kiểm tra' } })
    expect(ack.status).toBe(200)
    expect(hub1Writes).toBeGreaterThan(before)
  })
})

describe('raw exports on the audit log (issue 11, finding 9)', () => {
  const exports = ['/api/v1/ratings?site=ct-center', '/api/v1/export/ratings.csv?site=ct-center', '/api/v1/sites/ct-center/stream']

  it('records each raw export with the key as the user and the role "api"', async () => {
    const from = Date.now()
    expect((await request(`${hubs[1]!.url}${exports[0]}`, { headers: { 'x-api-key': KEYS.ioc } })).status).toBe(200)
    expect((await request(`${hubs[1]!.url}${exports[1]}`, { headers: { 'x-api-key': KEYS.wall } })).status).toBe(200)
    for (const key of [KEYS.ioc, KEYS.wall]) (await openStream(hubs[1]!, key)).close()
    const entries = (await auditEntries(createInfluxQuery(config(influxd.url, {}).influx), from, Date.now() + 1))
      .filter((e) => e.action === 'export')
      .map((e) => ({ user: e.user, role: e.role, site: e.site, detail: e.detail }))
    expect(entries).toEqual(expect.arrayContaining([
      { user: 'ioc', role: 'api', site: 'ct-center', detail: exports[0] },
      { user: 'center-wall', role: 'api', site: 'ct-center', detail: exports[1] },
      { user: 'ioc', role: 'api', site: '-', detail: '/api/v1/stream' },
      { user: 'center-wall', role: 'api', site: 'ct-center', detail: '/api/v1/stream' },
    ]))
  })

  it('refuses an export with 503 HUB_AUDIT_UNAVAILABLE when it cannot be put on the audit log', async () => {
    for (const path of exports) {
      const reply = await request(`${hubs[2]!.url}${path}`, { headers: { 'x-api-key': KEYS.ioc } })
      expect(reply.status, path).toBe(503)
      expect(reply.headers['content-type']).toContain('application/json')
      expect((reply.body as { error: { code: string } }).error.code).toBe('HUB_AUDIT_UNAVAILABLE')
    }
    // What names no officer or ticket is still served.
    expect((await request(`${hubs[2]!.url}/api/v1/sites`, { headers: { 'x-api-key': KEYS.ioc } })).status).toBe(200)
  })
})
