/**
 * The HTTP adapter for queue systems that cannot speak MQTT (issue 16,
 * docs/queue-adapter.md), on the whole spine: a real influxd, a real hub
 * over HTTPS, the edge as a child process with the demo site's queue device
 * allowed over HTTP. A posted event becomes the same `ticket` record a
 * published one does, reaches InfluxDB once however often it is posted,
 * survives the hub being away and the edge being killed once answered, and
 * every wrong request gets a clear 4xx and stores nothing.
 */
process.env.LOG_LEVEL ??= 'silent'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { parse, stringify } from 'yaml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { edgeConfigSchema } from '../../edge/config/schema.js'
import { MAX_TICKET_BODY_BYTES, TICKET_HTTP_PATH } from '../../protocol/ticket-http.js'
import { topics } from '../../protocol/topics.js'
import { startInfluxd, type Influxd } from '../../testkit/influxd.js'
import { waitFor } from '../../testkit/wait.js'
import { influxRows } from '../hub/helpers.js'
import { createLogger } from '../../common/log.js'
import { createEdgeHttp } from '../../edge/http/server.js'
import { addTicketRoute } from '../../edge/ingest/ticket-http.js'
import { startTestBroker } from '../support/edge-broker.js'
import { testSite } from '../support/edge-site.js'
import { startStack, type Stack } from '../support/stack.js'

const DB = 'motcua_queue_adapter'
let influxd: Influxd
let stack: Stack
let token: string
let seq = 0

beforeAll(async () => {
  influxd = await startInfluxd()
  stack = await startStack({ influx: influxd, database: DB, counters: 3 })
  // The demo site's queue system, allowed to post over HTTP.
  const file = join(stack.dir, 'edge.yaml')
  const config = parse(readFileSync(file, 'utf8')) as { devices: { kind: string }[] }
  config.devices = config.devices.map((d) => (d.kind === 'queue' ? { ...d, http: true } : d))
  writeFileSync(file, stringify(config))
  token = stack.site.devices.find((d) => d.kind === 'queue')!.secret
  await stack.startHub()
  await stack.startEdge()
}, 120_000)

afterAll(async () => {
  await stack?.close()
  await influxd?.stop()
})

const event = (over: Record<string, unknown> = {}) => ({
  v: 1, id: `qs-http-${String(++seq).padStart(4, '0')}`, ts: Date.now(), counter: 'q01', ticket: `B${String(seq).padStart(3, '0')}`, event: 'issued', ...over,
})

async function post(body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${stack.edgeHttp}${TICKET_HTTP_PATH}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  return { status: res.status, headers: res.headers, body: (await res.json()) as { status?: string; id?: string; error?: { code: string; message: string } } }
}

const ticketPoints = (where = '') => influxRows(influxd.url, DB, `SELECT * FROM ticket${where}`).catch(() => [] as Record<string, unknown>[])
const pointsOf = async (id: string) => (await ticketPoints()).filter((p) => p.event_id === id)

describe('queue systems posting tickets over HTTP (issue 16)', () => {
  it('is allowed to queue systems only, by the edge config', () => {
    const { config } = testSite()
    const raw = { ...config, devices: config.devices.map((d) => (d.kind === 'kiosk' ? { ...d, http: true } : d)) }
    const r = edgeConfigSchema.safeParse(raw)
    expect(r.success).toBe(false)
    expect(r.error?.issues.map((i) => [i.path.join('.'), i.message])).toContainEqual(['devices.0.http', 'only a queue system posts tickets over HTTP'])
    expect(edgeConfigSchema.safeParse({ ...config, devices: config.devices.map((d) => (d.kind === 'queue' ? { ...d, http: true } : d)) }).success).toBe(true)
  })

  it('stores a posted event as the same ticket record a published one makes, once however often it is posted', async () => {
    const e = event({ event: 'called', ticket: 'B777' })
    const first = await post(e)
    expect(first).toMatchObject({ status: 201, body: { status: 'stored', id: e.id } })
    expect(first.headers.get('cache-control')).toBe('no-store')
    // A queue system that saw no answer posts again: accepted, not stored twice.
    for (let i = 0; i < 3; i++) expect(await post(e)).toMatchObject({ status: 200, body: { status: 'duplicate', id: e.id } })

    // The same event published over MQTT by the same device, another id.
    const queue = stack.site.devices.find((d) => d.kind === 'queue')!
    const client = await mqtt.connectAsync(stack.mqttUrl, { clientId: queue.id, username: queue.id, password: queue.secret, clean: true })
    const published = { v: 1, id: 'qs-mqtt-0001', ts: e.ts, ticket: 'B777', event: 'called' }
    await client.publishAsync(topics.ticket(stack.site.siteId, 'q01'), JSON.stringify(published), { qos: 1 })
    await client.endAsync()

    const [viaHttp, viaMqtt] = await waitFor('both tickets in InfluxDB', async () => {
      const h = await pointsOf(e.id)
      const m = await pointsOf(published.id)
      return h.length && m.length ? [h, m] : null
    })
    expect(viaHttp).toHaveLength(1)
    const same = (p: Record<string, unknown>) => ({ counter: p.counter, department: p.department, device: p.device, event: p.event, site: p.site, ticket: p.ticket, device_ts: p.device_ts })
    expect(same(viaHttp[0]!)).toEqual(same(viaMqtt[0]!))
    expect(same(viaHttp[0]!)).toMatchObject({ counter: 'q01', device: queue.id, event: 'called', ticket: 'B777', site: stack.site.siteId })
  })

  it('prompts the counter kiosk when a posted ticket is called, as for a published one', async () => {
    const kiosk = stack.site.devices.find((d) => d.kind === 'kiosk' && d.counter === 'q02')!
    const client = await mqtt.connectAsync(stack.mqttUrl, { clientId: kiosk.id, username: kiosk.id, password: kiosk.secret, clean: true })
    const prompts: { ticket: string }[] = []
    client.on('message', (topic, payload) => {
      if (topic.endsWith('/prompt')) prompts.push(JSON.parse(payload.toString()) as { ticket: string })
    })
    await client.subscribeAsync(topics.downAll(stack.site.siteId, 'q02', kiosk.id), { qos: 1 })
    const e = event({ counter: 'q02', event: 'called', ticket: 'C042' })
    expect((await post(e)).status).toBe(201)
    expect((await post(e)).status).toBe(200)
    await waitFor('the prompt', () => prompts.length > 0)
    expect(prompts.map((p) => p.ticket)).toEqual(['C042'])
    await client.endAsync()
    // The prompt goes straight from the edge; the ticket itself reaches InfluxDB through the hub, once.
    await waitFor('the called ticket in InfluxDB', async () => (await pointsOf(e.id)).length === 1)
  })

  it('answers every wrong request with a clear 4xx and stores nothing of it', async () => {
    const before = (await ticketPoints()).length
    const e = event()
    const wrongToken = await post(e, { authorization: 'Bearer not-the-token-0123456789' })
    expect(wrongToken).toMatchObject({ status: 401, body: { error: { code: 'EDGE_TICKET_AUTH_FAILED' } } })
    expect(wrongToken.headers.get('www-authenticate')).toContain('Bearer')
    expect(await post(e, { authorization: '' })).toMatchObject({ status: 401, body: { error: { code: 'EDGE_TICKET_AUTH_FAILED' } } })
    // A kiosk's secret is not a queue system's token.
    const kiosk = stack.site.devices.find((d) => d.kind === 'kiosk')!
    expect((await post(e, { authorization: `Bearer ${kiosk.secret}` })).status).toBe(401)

    expect(await post(JSON.stringify(e), { 'content-type': 'text/plain' })).toMatchObject({ status: 415, body: { error: { code: 'EDGE_TICKET_MEDIA_TYPE' } } })
    expect(await post('{"v":1,')).toMatchObject({ status: 400, body: { error: { code: 'EDGE_TICKET_INVALID', message: expect.stringContaining('not JSON') } } })
    const badEvent = await post({ ...e, event: 'served' })
    expect(badEvent).toMatchObject({ status: 400, body: { error: { code: 'EDGE_TICKET_INVALID', message: expect.stringContaining('event') } } })
    expect((await post({ ...e, extra: 1 })).body.error?.message).toContain('extra')
    expect((await post({ ...e, counter: 'q99' })).body.error).toMatchObject({ code: 'EDGE_TICKET_INVALID', message: expect.stringContaining('"q99"') })
    const big = await post({ ...e, ticket: 'x'.repeat(MAX_TICKET_BODY_BYTES) })
    expect(big).toMatchObject({ status: 413, body: { error: { code: 'EDGE_TICKET_TOO_LARGE' } } })
    // Sent in chunks with no length announced: cut off at the limit all the same.
    const chunks = new TextEncoder().encode(JSON.stringify({ ...e, ticket: 'y'.repeat(4 * MAX_TICKET_BODY_BYTES) }))
    const streamed = await fetch(`${stack.edgeHttp}${TICKET_HTTP_PATH}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: new ReadableStream({ start: (c) => (c.enqueue(chunks), c.close()) }),
      duplex: 'half',
    } as RequestInit)
    expect(streamed.status).toBe(413)

    // Nothing of those was stored; the same id, posted right, still is.
    expect(await post(e)).toMatchObject({ status: 201, body: { status: 'stored' } })
    await waitFor('the one good event in InfluxDB', async () => (await pointsOf(e.id)).length === 1)
    expect((await ticketPoints()).length).toBe(before + 1)
  })

  it('loses nothing it answered: the hub away, then the edge killed, every event reaches InfluxDB once', async () => {
    await stack.stopHub()
    const sent = Array.from({ length: 20 }, (_, i) => event({ counter: `q0${(i % 3) + 1}`, event: (['issued', 'called', 'finished'] as const)[i % 3] }))
    for (const e of sent) expect((await post(e)).status).toBe(201)
    // Retries of some, as a queue system with a flaky link sends them.
    for (const e of sent.slice(0, 5)) expect((await post(e)).status).toBe(200)
    await stack.killEdge()
    await stack.startEdge()
    await stack.startHub()
    const ids = new Set(sent.map((e) => e.id))
    const stored = await waitFor('every answered event in InfluxDB', async () => {
      const got = (await ticketPoints()).filter((p) => ids.has(String(p.event_id)))
      return got.length >= sent.length ? got : null
    }, { timeoutMs: 60_000 })
    expect(stored.map((p) => p.event_id).sort()).toEqual([...ids].sort())
    // After the restart a resend is still recognised (the outbox's dedup survives it).
    expect((await post(sent[0]!)).status).toBe(200)
  }, 120_000)
})

describe('a queue system posting faster than a hall (issue 16)', () => {
  it('is held back above the device rate and refused with 429 past the held ones, as an MQTT device is', async () => {
    const { config, devices } = testSite({ broker: { host: '127.0.0.1', mqttPort: 0, wsPort: 0, deviceRate: { perSecond: 2, burst: 2, maxHeld: 1 } } })
    const site = { ...config, devices: config.devices.map((d) => (d.kind === 'queue' ? { ...d, http: true } : d)) }
    const edge = await startTestBroker(site)
    const http = createEdgeHttp({ host: '127.0.0.1', port: 0, log: createLogger('test', 'silent') })
    addTicketRoute(http, { site: edge.site, duty: edge.duty, broker: edge.broker, clock: edge.clock, log: createLogger('test', 'silent') })
    const port = await http.listen()
    try {
      const send = (i: number) =>
        fetch(`http://127.0.0.1:${port}${TICKET_HTTP_PATH}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${devices.queue!.secret}`, 'content-type': 'application/json' },
          body: JSON.stringify({ v: 1, id: `qs-rate-${String(i).padStart(4, '0')}`, ts: 1, counter: 'q1', ticket: `R${i}`, event: 'issued' }),
        }).then(async (r) => ({ status: r.status, retry: r.headers.get('retry-after'), code: ((await r.json()) as { error?: { code: string } }).error?.code }))
      // The edge's clock stands still: two pass on the burst, one is held for its token, the fourth is refused.
      const answers = await Promise.all([0, 1, 2, 3].map(send))
      expect(answers.map((a) => a.status).sort()).toEqual([201, 201, 201, 429])
      expect(answers.find((a) => a.status === 429)).toEqual({ status: 429, retry: '10', code: 'EDGE_TICKET_RATE_LIMITED' })
      expect(edge.outbox.ofKind('ticket')).toHaveLength(3)
    } finally {
      await http.close()
      await edge.close()
    }
  })
})
