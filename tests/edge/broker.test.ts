process.env.LOG_LEVEL ??= 'silent'
import { connect as netConnect } from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { topics } from '../../protocol/topics.js'
import { MAX_DEVICE_PAYLOAD_BYTES } from '../../protocol/messages.js'
import { testSite, type TestDevice } from '../support/edge-site.js'
import { nextMessage, startTestBroker, type BrokerHarness } from '../support/edge-broker.js'
import { waitFor } from '../../testkit/wait.js'

const SITE = 'ct-center'
const rating = (id: string, level = 2, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ v: 1, id, ts: Date.UTC(2026, 10, 21, 7, 59), scale: 4, level, ...extra })

describe.each(['tcp', 'ws'] as const)('edge broker over %s', (transport) => {
  let h: BrokerHarness
  let devices: Record<string, TestDevice>
  const connect = (d: TestDevice | null, opts: Parameters<BrokerHarness['connect']>[1] = {}) => h.connect(d, { transport, ...opts })

  beforeEach(async () => {
    const site = testSite()
    devices = site.devices
    h = await startTestBroker(site.config)
  })
  afterEach(async () => {
    await h.close()
  })

  it('stores a valid rating, enriched, before PUBACK', async () => {
    const k1 = await connect(devices.k1!)
    const packet = await k1.publishAsync(topics.rating(SITE, 'q1'), rating('evt-00000001', 4, { reasons: ['wait'], ticket: 'A123' }), { qos: 1 })
    expect(packet?.cmd).toBe('publish')
    // PUBACK came back, so the record must already be in the outbox.
    expect(h.outbox.ofKind('rating')).toEqual([
      {
        kind: 'rating', department: 'justice', counter: 'q1', device: 'kiosk-1', officer: 'nguyen-van-a',
        eventId: 'evt-00000001', scale: 4, level: 4, score: 0, dissatisfied: true, reasons: ['wait'], ticket: 'A123',
        deviceTs: Date.UTC(2026, 10, 21, 7, 59), edgeTs: h.clock.wall, misuse: null,
      },
    ])
    expect(h.outbox.records[0]!.dedupKey).toBe('kiosk-1:evt-00000001')
  })

  it('withholds PUBACK and drops the connection when the outbox refuses; health says why', async () => {
    const k1 = await connect(devices.k1!)
    h.outbox.failWith('EDGE_DISK_FULL')
    let acked = false
    const closed = new Promise<void>((resolve) => k1.once('close', () => resolve()))
    k1.publish(topics.rating(SITE, 'q1'), rating('evt-diskfull1'), { qos: 1 }, (err) => {
      if (!err) acked = true
    })
    await closed
    expect(acked).toBe(false)
    expect(h.outbox.records).toHaveLength(0)
    expect(h.broker.stats.storeFailures).toEqual({ EDGE_DISK_FULL: 1 })
    expect(h.broker.stats.lastStoreFailure?.code).toBe('EDGE_DISK_FULL')

    // The device resends after reconnecting, once the disk has room again.
    h.outbox.failWith(null)
    const again = await connect(devices.k1!)
    await again.publishAsync(topics.rating(SITE, 'q1'), rating('evt-diskfull1'), { qos: 1 })
    expect(h.outbox.ofKind('rating').map((r) => r.eventId)).toEqual(['evt-diskfull1'])
  })

  it('refuses a wrong password (CONNACK 4), an unknown device (4) and anonymous clients (5)', async () => {
    await expect(connect(devices.k1!, { password: 'not-the-secret' })).rejects.toMatchObject({ code: 4 })
    await expect(connect({ id: 'ghost-1', kind: 'kiosk', counter: 'q1', secret: 'whatever' })).rejects.toMatchObject({ code: 4 })
    await expect(connect(null)).rejects.toMatchObject({ code: 5 })
    expect(h.broker.stats.authFailures).toEqual({ bad_password: 1, unknown_device: 1, anonymous: 1 })
  })

  it("answers a publish to another counter's topic with an error reply; nothing stored, connection and others unaffected", async () => {
    const k1 = await connect(devices.k1!)
    const k2 = await connect(devices.k2!)
    await k1.subscribeAsync(topics.downAll(SITE, 'q1', 'kiosk-1'), { qos: 1 })
    const reply = nextMessage(k1, topics.down(SITE, 'q1', 'kiosk-1', 'error'))
    await k1.publishAsync(topics.rating(SITE, 'q2'), rating('evt-forbid01'), { qos: 1 })
    expect((await reply).payload).toMatchObject({ v: 1, code: 'EDGE_TOPIC_FORBIDDEN', topic: topics.rating(SITE, 'q2'), id: 'evt-forbid01' })
    expect(h.outbox.records).toHaveLength(0)
    expect(k1.connected).toBe(true)
    await k1.publishAsync(topics.rating(SITE, 'q1'), rating('evt-after001'), { qos: 1 })
    await k2.publishAsync(topics.rating(SITE, 'q2'), rating('evt-other001', 1), { qos: 1 })
    expect(h.outbox.ofKind('rating').map((r) => [r.counter, r.department, r.officer, r.eventId])).toEqual([
      ['q1', 'justice', 'nguyen-van-a', 'evt-after001'],
      ['q2', 'health', 'tran-thi-b', 'evt-other001'],
    ])
    expect(h.broker.stats.rejected).toEqual({ EDGE_TOPIC_FORBIDDEN: 1 })
  })

  it('answers malformed JSON, wrong schema, oversized payloads and unknown topics with their codes', async () => {
    const b1 = await connect(devices.b1!)
    await b1.subscribeAsync(topics.downAll(SITE, 'q1', 'button-1'), { qos: 1 })
    const errTopic = topics.down(SITE, 'q1', 'button-1', 'error')
    const cases: [string, string | Buffer, string, RegExp][] = [
      [topics.rating(SITE, 'q1'), '{"v":1,"id":', 'EDGE_PAYLOAD_NOT_JSON', /JSON/],
      [topics.rating(SITE, 'q1'), rating('evt-badlvl01', 7), 'EDGE_PAYLOAD_INVALID', /^level: /],
      [topics.rating(SITE, 'q1'), JSON.stringify({ v: 1, id: 'evt-extra001', ts: 1, scale: 4, level: 1, colour: 'red' }), 'EDGE_PAYLOAD_INVALID', /colour/],
      [topics.rating(SITE, 'q1'), Buffer.alloc(MAX_DEVICE_PAYLOAD_BYTES + 1, 0x20), 'EDGE_PAYLOAD_TOO_LARGE', /2049 bytes/],
      [topics.rating(SITE, 'q1'), rating('evt-scale001', 2, { scale: 5 }), 'EDGE_SCALE_MISMATCH', /expected 4, got 5/],
      [topics.rating(SITE, 'q1'), rating('evt-reason01', 4, { reasons: ['rude'] }), 'EDGE_REASON_UNKNOWN', /rude/],
      [`motcua/v1/${SITE}/q1/ratings`, rating('evt-topic001'), 'EDGE_TOPIC_UNKNOWN', /ratings/],
      [topics.ticket(SITE, 'q1'), JSON.stringify({ v: 1, id: 'evt-ticket01', ts: 1, ticket: 'A1', event: 'issued' }), 'EDGE_TOPIC_FORBIDDEN', /tickets/],
    ]
    for (const [topic, payload, code, detail] of cases) {
      const reply = nextMessage(b1, errTopic)
      await b1.publishAsync(topic, payload, { qos: 1 })
      const body = (await reply).payload as { code: string; message: string; topic: string }
      expect(body.code, topic).toBe(code)
      expect(body.message).toMatch(detail)
      expect(body.topic).toBe(topic)
    }
    expect(h.outbox.records).toHaveLength(0)
    expect(h.broker.stats.rejectedTotal).toBe(cases.length)
    expect(b1.connected).toBe(true)
  })

  it("refuses a subscription to another device's downlink", async () => {
    const k1 = await connect(devices.k1!)
    const filters = [topics.downAll(SITE, 'q2', 'kiosk-2'), `motcua/v1/${SITE}/#`, topics.downAll(SITE, 'q1', 'kiosk-1')]
    const granted = new Promise<unknown>((resolve) =>
      k1.on('packetreceive', (p) => {
        if (p.cmd === 'suback') resolve(p.granted)
      }),
    )
    k1.subscribe(filters, { qos: 1 }, () => undefined)
    expect(await granted).toEqual([128, 128, 1])
    expect(h.broker.stats.subscribeRefused).toBe(2)
  })

  it('publishes the retained device config, and republishes it when the officer on duty changes', async () => {
    const k1 = await connect(devices.k1!)
    const first = nextMessage(k1, topics.down(SITE, 'q1', 'kiosk-1', 'config'))
    await k1.subscribeAsync(topics.downAll(SITE, 'q1', 'kiosk-1'), { qos: 1 })
    const config = await first
    expect(config.retain).toBe(true)
    expect(config.payload).toMatchObject({
      v: 1,
      site: { id: SITE },
      counter: { id: 'q1', name: 'Quầy 1' },
      department: { id: 'justice', name: 'Sở Tư pháp' },
      scale: 4,
      officer: { id: 'nguyen-van-a', name: 'Nguyễn Văn A' },
    })
    expect((config.payload as { labels: unknown[] }).labels).toHaveLength(4)

    const changed = nextMessage(k1, topics.down(SITE, 'q1', 'kiosk-1', 'config'))
    expect(h.duty.setOfficer('q1', 'le-van-c')).toBe(true)
    expect((await changed).payload).toMatchObject({ officer: { id: 'le-van-c', name: 'Lê Văn C' } })
    await k1.publishAsync(topics.rating(SITE, 'q1'), rating('evt-newduty1'), { qos: 1 })
    expect(h.outbox.ofKind('rating')[0]?.officer).toBe('le-van-c')
  })

  it('records a status message, then the last-will as an offline status', async () => {
    const statusTopic = topics.status(SITE, 'q1', 'kiosk-1')
    const k1 = await connect(devices.k1!, { will: { topic: statusTopic, payload: Buffer.from(JSON.stringify({ v: 1, online: false })), qos: 1, retain: true } })
    await k1.publishAsync(statusTopic, JSON.stringify({ v: 1, online: true, kind: 'kiosk', fw: '1.0.0' }), { qos: 1, retain: true })
    k1.stream.destroy() // no DISCONNECT: the broker sends the will
    await waitFor('the offline record', () => h.outbox.ofKind('device_status').length === 2)
    expect(h.outbox.ofKind('device_status')).toEqual([
      { kind: 'device_status', counter: 'q1', device: 'kiosk-1', deviceKind: 'kiosk', online: true },
      { kind: 'device_status', counter: 'q1', device: 'kiosk-1', deviceKind: 'kiosk', online: false },
    ])
  })

  it('records offline when a device without a will disconnects', async () => {
    const b1 = await connect(devices.b1!)
    await b1.publishAsync(topics.status(SITE, 'q1', 'button-1'), JSON.stringify({ v: 1, online: true }), { qos: 1, retain: true })
    await b1.endAsync()
    await waitFor('the offline record', () => h.outbox.ofKind('device_status').length === 2)
    expect(h.outbox.ofKind('device_status').map((r) => r.online)).toEqual([true, false])
  })

  it('stores a resent event id once and acknowledges both', async () => {
    const k1 = await connect(devices.k1!)
    await k1.publishAsync(topics.rating(SITE, 'q1'), rating('evt-resend01'), { qos: 1 })
    await k1.publishAsync(topics.rating(SITE, 'q1'), rating('evt-resend01'), { qos: 1 })
    expect(h.outbox.ofKind('rating')).toHaveLength(1)
    expect(h.broker.stats.duplicates).toBe(1)
  })
})

describe('edge broker limits', () => {
  let h: BrokerHarness
  let devices: Record<string, TestDevice>
  beforeEach(async () => {
    const site = testSite()
    devices = site.devices
    h = await startTestBroker(site.config)
  })
  afterEach(async () => {
    await h.close()
  })

  it('drops a connection announcing a 100 MB packet without buffering it', async () => {
    const socket = netConnect(h.broker.ports.mqtt, '127.0.0.1')
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
    socket.on('error', () => undefined)
    // PUBLISH with remaining length 100 MB (varint 0x80 0x80 0xd0 0x2f ≈ 100,000,000), then a trickle of body bytes.
    socket.write(Buffer.from([0x30, 0x80, 0xc2, 0xd7, 0x2f]))
    socket.write(Buffer.alloc(4096, 1))
    await closed
    expect(h.broker.stats.oversizedPackets).toBe(1)
    const still = await h.connect(devices.k1!)
    await still.publishAsync(topics.rating(SITE, 'q1'), rating('evt-stillok1'), { qos: 1 })
    expect(h.outbox.records).toHaveLength(1)
  })

  it('drops a WebSocket client sending a packet over the limit', async () => {
    const k1 = await h.connect(devices.k1!, { transport: 'ws' })
    const closed = new Promise<void>((resolve) => k1.once('close', () => resolve()))
    k1.publish(topics.rating(SITE, 'q1'), Buffer.alloc(20_000, 0x20), { qos: 1 })
    await closed
    expect(h.broker.stats.oversizedPackets).toBe(1)
    expect(h.outbox.ofKind('rating')).toHaveLength(0)
  })

  it('keeps the $SYS guard: a device publishing there is disconnected, unacknowledged', async () => {
    const k1 = await h.connect(devices.k1!)
    const closed = new Promise<void>((resolve) => k1.once('close', () => resolve()))
    let acked = false
    k1.publish('$SYS/fake/heartbeat', 'x', { qos: 1 }, (err) => {
      if (!err) acked = true
    })
    await closed
    expect(acked).toBe(false)
  })
})
