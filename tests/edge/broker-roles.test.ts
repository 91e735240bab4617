process.env.LOG_LEVEL ??= 'silent'
import { afterEach, describe, expect, it } from 'vitest'
import { hashPin } from '../../common/secrets.js'
import { officerSignIn } from '../../edge/broker/officer.js'
import { edgeConfigSchema } from '../../edge/config/schema.js'
import { DutyRoster } from '../../edge/ingest/duty.js'
import { buildSiteIndex } from '../../edge/ingest/site.js'
import { topics } from '../../protocol/topics.js'
import { testSite } from '../support/edge-site.js'
import { nextMessage, startTestBroker, type BrokerHarness } from '../support/edge-broker.js'

const SITE = 'ct-center'
let h: BrokerHarness | null = null
afterEach(async () => {
  await h?.close()
  h = null
})

describe('edge broker roles', () => {
  it("refuses a client id that is another device's id (CONNACK 2), so no device can be knocked off", async () => {
    const { config, devices } = testSite()
    h = await startTestBroker(config)
    const k1 = await h.connect(devices.k1!, { clientId: 'kiosk-1' })
    await expect(h.connect(devices.k2!, { clientId: 'kiosk-1' })).rejects.toMatchObject({ code: 2 })
    await k1.publishAsync(topics.rating(SITE, 'q1'), JSON.stringify({ v: 1, id: 'evt-still-on', ts: 1, scale: 4, level: 1 }), { qos: 1 })
    expect(k1.connected).toBe(true)
    expect(h.broker.stats.authFailures).toEqual({ client_id: 1 })
  })

  it('lets the queue system publish tickets for any counter and answers its mistakes under that counter', async () => {
    const { config, devices } = testSite()
    h = await startTestBroker(config)
    const q = await h.connect(devices.queue!)
    await q.subscribeAsync(topics.downAll(SITE, '+', 'queue-1'), { qos: 1 })
    await q.publishAsync(topics.ticket(SITE, 'q2'), JSON.stringify({ v: 1, id: 'tkt-0000001', ts: 1, ticket: 'B017', event: 'issued' }), { qos: 1 })
    expect(h.outbox.ofKind('ticket')).toEqual([expect.objectContaining({ counter: 'q2', department: 'health', ticket: 'B017', event: 'issued' })])
    const reply = nextMessage(q, topics.down(SITE, 'q3', 'queue-1', 'error'))
    await q.publishAsync(topics.ticket(SITE, 'q3'), JSON.stringify({ v: 1, id: 'tkt-0000002', ts: 1, ticket: 'B 18', event: 'issued' }), { qos: 1 })
    expect((await reply).payload).toMatchObject({ code: 'EDGE_PAYLOAD_INVALID', id: 'tkt-0000002' })
  })

  it('with allowAnonymous, a local dashboard may read the site topics but not publish', async () => {
    const { config, devices } = testSite()
    h = await startTestBroker(edgeConfigSchema.parse({ ...config, broker: { ...config.broker, allowAnonymous: true } }))
    const dash = await h.connect(null)
    await dash.subscribeAsync(`motcua/v1/${SITE}/#`, { qos: 1 })
    const seen = nextMessage(dash, topics.rating(SITE, 'q1'))
    const k1 = await h.connect(devices.k1!)
    await k1.publishAsync(topics.rating(SITE, 'q1'), JSON.stringify({ v: 1, id: 'evt-watched1', ts: 1, scale: 4, level: 1 }), { qos: 1 })
    expect((await seen).payload).toMatchObject({ id: 'evt-watched1' })
    await dash.publishAsync(topics.rating(SITE, 'q1'), JSON.stringify({ v: 1, id: 'evt-anon0001', ts: 1, scale: 4, level: 1 }), { qos: 1 })
    expect(h.outbox.ofKind('rating').map((r) => r.eventId)).toEqual(['evt-watched1'])
    expect(h.broker.stats.rejected).toEqual({ EDGE_TOPIC_FORBIDDEN: 1 })
  })

  it('signs an officer in with the right PIN (new config published, ratings carry them), refuses a wrong PIN, signs out with the PIN', async () => {
    const { config, devices } = testSite()
    const officers = await Promise.all(config.officers.map(async (o) => (o.id === 'le-van-c' ? { ...o, department: 'justice', pinHash: await hashPin('4321') } : o)))
    h = await startTestBroker(edgeConfigSchema.parse({ ...config, officers }), { onOfficer: 'default' })
    const k1 = await h.connect(devices.k1!)
    const down = (kind: 'config' | 'error') => topics.down(SITE, 'q1', 'kiosk-1', kind)
    const initial = nextMessage(k1, down('config'))
    await k1.subscribeAsync(topics.downAll(SITE, 'q1', 'kiosk-1'), { qos: 1 })
    expect((await initial).payload).toMatchObject({ officer: { id: 'nguyen-van-a' }, officers: [{ id: 'le-van-c', name: 'Lê Văn C' }] })

    const refused = nextMessage(k1, down('error'))
    await k1.publishAsync(topics.officer(SITE, 'q1'), JSON.stringify({ v: 1, id: 'pin-0000001', ts: 1, action: 'sign-in', officer: 'le-van-c', pin: '0000' }), { qos: 1 })
    expect((await refused).payload).toMatchObject({ code: 'EDGE_PIN_WRONG', id: 'pin-0000001' })
    expect(h.duty.officerAt('q1')).toBe('nguyen-van-a')

    const changed = nextMessage(k1, down('config'))
    await k1.publishAsync(topics.officer(SITE, 'q1'), JSON.stringify({ v: 1, id: 'pin-0000002', ts: 1, action: 'sign-in', officer: 'le-van-c', pin: '4321' }), { qos: 1 })
    expect((await changed).payload).toMatchObject({ officer: { id: 'le-van-c', name: 'Lê Văn C' } })
    await k1.publishAsync(topics.rating(SITE, 'q1'), JSON.stringify({ v: 1, id: 'evt-signed01', ts: 1, scale: 4, level: 1 }), { qos: 1 })
    expect(h.outbox.ofKind('rating')[0]?.officer).toBe('le-van-c')

    const cleared = nextMessage(k1, down('config'))
    await k1.publishAsync(topics.officer(SITE, 'q1'), JSON.stringify({ v: 1, id: 'pin-0000003', ts: 1, action: 'sign-out', pin: '4321' }), { qos: 1 })
    expect((await cleared).payload).toMatchObject({ officer: null })
    expect(h.outbox.records.filter((r) => r.record.kind !== 'rating')).toEqual([])
  })
})

describe('edge status', () => {
  it('is retained online while the edge runs and turns offline on a clean stop', async () => {
    const { config } = testSite()
    const harness = await startTestBroker(edgeConfigSchema.parse({ ...config, broker: { ...config.broker, allowAnonymous: true } }))
    const dash = await harness.connect(null)
    const online = nextMessage(dash, topics.edgeStatus(SITE))
    await dash.subscribeAsync(topics.edgeStatus(SITE), { qos: 1 })
    expect(await online).toEqual({ payload: { v: 1, online: true }, retain: true })
    const offline = nextMessage(dash, topics.edgeStatus(SITE))
    await harness.broker.stop()
    expect((await offline).payload).toEqual({ v: 1, online: false })
    await harness.close()
  })
})

describe('officer sign-in lockout', () => {
  it('locks a kiosk out after 5 wrong PINs in a row, until the lockout ends', async () => {
    const { config } = testSite()
    const officers = await Promise.all(config.officers.map(async (o) => (o.id === 'le-van-c' ? { ...o, pinHash: await hashPin('4321') } : o)))
    const site = buildSiteIndex(edgeConfigSchema.parse({ ...config, officers }))
    const duty = new DutyRoster(site)
    let now = 1_000_000
    const handle = officerSignIn(site, duty, { now: () => now })
    const signIn = (pin: string) => handle({ counter: 'q2', device: 'kiosk-2', message: { v: 1, id: `pin-${pin}-${now}`, ts: 1, action: 'sign-in', officer: 'le-van-c', pin } })
    for (let i = 0; i < 5; i++) expect((await signIn('0000'))?.message).toBe('officer id or PIN is wrong')
    expect((await signIn('4321'))?.message).toMatch(/too many wrong PINs from this kiosk; try again in 5 min/)
    expect(duty.officerAt('q2')).toBe('tran-thi-b')
    now += 5 * 60_000
    expect(await signIn('4321')).toBeNull()
    expect(duty.officerAt('q2')).toBe('le-van-c')
  })
})
