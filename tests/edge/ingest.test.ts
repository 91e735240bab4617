import { describe, expect, it } from 'vitest'
import { DutyRoster } from '../../edge/ingest/duty.js'
import { ingest, type IngestResult } from '../../edge/ingest/ingest.js'
import { checkSubscribe } from '../../edge/ingest/acl.js'
import { buildSiteIndex, type DeviceEntry } from '../../edge/ingest/site.js'
import { topics } from '../../protocol/topics.js'
import { testSite } from '../support/edge-site.js'

const SITE = 'ct-center'
const site = buildSiteIndex(testSite().config)
const dev = (id: string) => site.devices.get(id) as DeviceEntry
const kiosk1 = dev('kiosk-1')
const queue = dev('queue-1')
const EDGE_TS = 1_763_712_000_000

const run = (topic: string, body: unknown, device: DeviceEntry | null = kiosk1, duty = new DutyRoster(site)): IngestResult =>
  ingest({ topic, payload: Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), device, edgeTs: EDGE_TS }, site, duty)

const rejection = (r: IngestResult) => (r.outcome === 'rejected' ? r.rejection : null)
const rating = (over: Record<string, unknown> = {}) => ({ v: 1, id: 'evt-0000001', ts: 1_763_711_000_000, scale: 4, level: 1, ...over })

describe('ingest: ratings', () => {
  it.each([
    [1, 100, false],
    [2, 66.7, false],
    [3, 33.3, false],
    [4, 0, true],
  ])('level %i on the 4-level scale → score %d, dissatisfied %s', (level, score, dissatisfied) => {
    const r = run(topics.rating(SITE, 'q1'), rating({ level }))
    expect(r).toMatchObject({ outcome: 'record', dedupKey: 'kiosk-1:evt-0000001', record: { score, dissatisfied, level, scale: 4 } })
  })

  it('enriches with department and officer on duty, and follows duty changes', () => {
    const duty = new DutyRoster(site)
    expect(run(topics.rating(SITE, 'q1'), rating(), kiosk1, duty)).toMatchObject({ record: { department: 'justice', officer: 'nguyen-van-a', edgeTs: EDGE_TS, misuse: null, reasons: [], ticket: null } })
    duty.setOfficer('q1', null)
    expect(run(topics.rating(SITE, 'q1'), rating(), kiosk1, duty)).toMatchObject({ record: { officer: null } })
    expect(duty.setOfficer('q1', 'nobody')).toBe(false)
    expect(duty.setOfficer('q9', 'le-van-c')).toBe(false)
  })

  it('a counter without an officer gives officer null', () => {
    const kiosk3: DeviceEntry = { id: 'kiosk-3', kind: 'kiosk', counter: 'q3' }
    expect(run(topics.rating(SITE, 'q3'), rating(), kiosk3)).toMatchObject({ record: { counter: 'q3', department: 'health', officer: null } })
  })

  it('refuses the wrong scale and unknown reasons, echoing the event id', () => {
    expect(rejection(run(topics.rating(SITE, 'q1'), rating({ scale: 5 })))).toEqual({ code: 'EDGE_SCALE_MISMATCH', message: 'scale: expected 4, got 5', eventId: 'evt-0000001' })
    expect(rejection(run(topics.rating(SITE, 'q1'), rating({ reasons: ['wait', 'rude'] })))).toMatchObject({ code: 'EDGE_REASON_UNKNOWN', eventId: 'evt-0000001' })
  })

  it('names the field and the rule for schema errors', () => {
    expect(rejection(run(topics.rating(SITE, 'q1'), rating({ level: 5 })))?.message).toBe('level: level must be between 1 and scale')
    expect(rejection(run(topics.rating(SITE, 'q1'), rating({ id: 'x' })))?.message).toMatch(/^id: .*8–64 characters/)
    expect(rejection(run(topics.rating(SITE, 'q1'), rating({ note: 'hi' })))?.message).toMatch(/note/)
    // A scale that exists on no site is told with the scales there are.
    expect(rejection(run(topics.rating(SITE, 'q1'), rating({ scale: 6 })))?.message).toBe('scale: Invalid option: expected one of 3|4|5')
    const many = rejection(run(topics.rating(SITE, 'q1'), { v: 2, id: 1, ts: 'x', scale: 9, level: 'a' }))
    expect(many?.code).toBe('EDGE_PAYLOAD_INVALID')
    expect(many?.message).toMatch(/and 2 more/)
  })

  it('refuses payloads that are too large, not UTF-8 or not JSON', () => {
    expect(rejection(run(topics.rating(SITE, 'q1'), Buffer.alloc(2049, 0x20)))?.code).toBe('EDGE_PAYLOAD_TOO_LARGE')
    expect(rejection(run(topics.rating(SITE, 'q1'), Buffer.from([0x7b, 0xff, 0x7d])))?.code).toBe('EDGE_PAYLOAD_NOT_JSON')
    expect(rejection(run(topics.rating(SITE, 'q1'), '{"v":1'))?.code).toBe('EDGE_PAYLOAD_NOT_JSON')
    expect(rejection(run(topics.rating(SITE, 'q1'), '42'))?.message).toMatch(/^\(top level\)/)
  })
})

describe('ingest: topics and access', () => {
  it.each([
    ['another counter', topics.rating(SITE, 'q2'), kiosk1],
    ['another site', topics.rating('hn-tayho', 'q1'), kiosk1],
    ['an unconfigured counter', topics.rating(SITE, 'q9'), kiosk1],
    ["another device's status", topics.status(SITE, 'q1', 'button-1'), kiosk1],
    ['a downlink', topics.down(SITE, 'q1', 'kiosk-1', 'config'), kiosk1],
    ['the edge status', topics.edgeStatus(SITE), kiosk1],
    ['a camera state', topics.cameraState(SITE, 'cam-1'), kiosk1],
    ['tickets from a kiosk', topics.ticket(SITE, 'q1'), kiosk1],
    ['ratings from a queue system', topics.rating(SITE, 'q1'), queue],
    ['officer sign-in from a button box', topics.officer(SITE, 'q1'), dev('button-1')],
    ['anything from an anonymous client', topics.rating(SITE, 'q1'), null],
  ])('forbids %s', (_what, topic, device) => {
    expect(rejection(run(topic, rating(), device))).toMatchObject({ code: 'EDGE_TOPIC_FORBIDDEN', eventId: 'evt-0000001' })
  })

  it.each(['motcua/v1/ct-center/q1/rate', 'motcua/v2/ct-center/q1/rating', 'foo', 'motcua/v1/ct-center/q1/rating/extra'])('calls %s unknown', (topic) => {
    expect(rejection(run(topic, rating()))?.code).toBe('EDGE_TOPIC_UNKNOWN')
  })

  it('accepts tickets from the queue system for any counter, and its status under any counter', () => {
    expect(run(topics.ticket(SITE, 'q2'), { v: 1, id: 'tkt-0000001', ts: 1, ticket: 'B-017', event: 'called' }, queue)).toEqual({
      outcome: 'record',
      dedupKey: 'queue-1:tkt-0000001',
      record: { kind: 'ticket', department: 'health', counter: 'q2', device: 'queue-1', eventId: 'tkt-0000001', ticket: 'B-017', event: 'called', deviceTs: 1, edgeTs: EDGE_TS },
    })
    expect(run(topics.status(SITE, 'q3', 'queue-1'), { v: 1, online: true, kind: 'queue' }, queue)).toMatchObject({ record: { kind: 'device_status', counter: 'q3', deviceKind: 'queue' } })
  })

  it('maps status and heartbeat, and refuses a status claiming another kind', () => {
    expect(run(topics.heartbeat(SITE, 'q1', 'kiosk-1'), { v: 1, ts: 5, rssi: -60 })).toEqual({
      outcome: 'record',
      dedupKey: null,
      record: { kind: 'heartbeat', counter: 'q1', device: 'kiosk-1', uptimeS: null, rssi: -60, battery: null },
    })
    expect(rejection(run(topics.status(SITE, 'q1', 'kiosk-1'), { v: 1, online: true, kind: 'button' }))?.message).toMatch(/kind: expected "kiosk"/)
  })

  it('turns an officer message into a command, not a record', () => {
    const r = run(topics.officer(SITE, 'q1'), { v: 1, id: 'off-0000001', ts: 1, action: 'sign-in', officer: 'le-van-c', pin: '1234' })
    expect(r).toEqual({ outcome: 'officer', command: { counter: 'q1', device: 'kiosk-1', message: { v: 1, id: 'off-0000001', ts: 1, action: 'sign-in', officer: 'le-van-c', pin: '1234' } } })
  })

  it('lets a device subscribe to its own downlink only', () => {
    const own = topics.downAll(SITE, 'q1', 'kiosk-1')
    expect(checkSubscribe(own, kiosk1, site)).toBe(true)
    expect(checkSubscribe(topics.down(SITE, 'q1', 'kiosk-1', 'config'), kiosk1, site)).toBe(true)
    for (const f of [topics.downAll(SITE, 'q1', 'button-1'), `motcua/v1/${SITE}/q1/down/+/#`, '#', `motcua/v1/${SITE}/+/down/kiosk-1/#`, topics.downAll(SITE, 'q2', 'kiosk-1')])
      expect(checkSubscribe(f, kiosk1, site), f).toBe(false)
    expect(checkSubscribe(topics.downAll(SITE, '+', 'queue-1'), queue, site)).toBe(true)
    expect(checkSubscribe(topics.downAll(SITE, 'q9', 'queue-1'), queue, site)).toBe(false)
    expect(checkSubscribe(`motcua/v1/${SITE}/#`, null, site)).toBe(true)
    expect(checkSubscribe('#', null, site)).toBe(false)
  })
})
