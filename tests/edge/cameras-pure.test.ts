import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { stripCredentials } from '../../common/log.js'
import { parseProbeMatches, probeMessage } from '../../edge/cameras/discovery.js'
import { interpretNotification, xsBoolean } from '../../edge/cameras/event-topics.js'
import { DEFAULT_HEALTH_POLICY, judge, nextState, type CheckResult } from '../../edge/cameras/health.js'
import { digestAuthorization } from '../../edge/cameras/http-digest.js'
import { classifyOnvifError } from '../../edge/cameras/onvif-errors.js'
import { mediaUri } from '../../edge/cameras/onvif-client.js'
import { parseSnapshotName, snapshotName, SnapshotStore } from '../../edge/cameras/snapshot-store.js'
import { grantedLifetimeMs, renewEveryMs, renewResponseLifetimeMs, subscriptionRequest } from '../../edge/cameras/subscription-soap.js'
import { parseEnvelope, path, textOf } from '../../edge/cameras/xml.js'

const ok: CheckResult = { onvifFailure: null, onvifDetail: '', stream: true, streamDetail: '', offsetMs: 200 }

describe('camera health verdict', () => {
  it('is online only when ONVIF answers and the stream delivers frames', () => {
    expect(judge(ok, false).state).toBe('online')
    expect(judge({ ...ok, stream: false, streamDetail: 'RTSP: timeout' }, true)).toMatchObject({ state: 'no_stream', onvif: true, stream: false, detail: 'RTSP: timeout' })
    // Not probed this round: the last known stream answer stands.
    expect(judge({ ...ok, stream: null }, true).state).toBe('online')
    expect(judge({ ...ok, stream: null }, false).state).toBe('no_stream')
  })

  it('tells a wrong password and a skewed clock apart from offline', () => {
    expect(judge({ ...ok, onvifFailure: 'auth', onvifDetail: 'Sender not Authorized' }, true).state).toBe('auth_failed')
    expect(judge({ ...ok, offsetMs: 600_000 }, true)).toMatchObject({ state: 'clock_skew', detail: 'camera clock ahead by 600 s' })
    expect(judge({ ...ok, offsetMs: -45_000 }, true).detail).toBe('camera clock behind by 45 s')
    // A camera refusing our Created timestamp looks like a wrong password: the measured clock decides.
    expect(judge({ ...ok, onvifFailure: 'auth', offsetMs: 600_000 }, true).state).toBe('clock_skew')
    for (const f of ['timeout', 'unreachable', 'malformed', 'fault'] as const)
      expect(judge({ ...ok, onvifFailure: f, stream: null, offsetMs: null }, true)).toMatchObject({ state: 'offline', onvif: false, stream: false })
  })

  it('needs consecutive unanswered rounds before an online camera is offline', () => {
    const offline = judge({ ...ok, onvifFailure: 'timeout' }, true)
    expect(DEFAULT_HEALTH_POLICY.failuresToOffline).toBe(2)
    expect(nextState('online', offline, 1)).toBe('online')
    expect(nextState('online', offline, 2)).toBe('offline')
    expect(nextState(null, offline, 1)).toBe('offline')
    expect(nextState('offline', judge(ok, true), 0)).toBe('online')
    expect(nextState('online', judge({ ...ok, onvifFailure: 'auth' }, true), 0)).toBe('auth_failed')
  })
})

describe('ONVIF event topics', () => {
  it('maps motion and tamper topics whatever the namespace prefix', () => {
    expect(interpretNotification({ topic: 'tns1:VideoSource/MotionAlarm', data: { State: 'true' }, operation: 'Changed' })).toEqual({ event: 'motion', state: true })
    expect(interpretNotification({ topic: 'ns2:RuleEngine/ns2:CellMotionDetector/ns2:Motion', data: { IsMotion: 'false' }, operation: null })).toEqual({ event: 'motion', state: false })
    expect(interpretNotification({ topic: 'tns1:VideoSource/GlobalSceneChange/ImagingService', data: { State: 'true' }, operation: 'Changed' })).toEqual({ event: 'tamper', state: true })
    expect(interpretNotification({ topic: 'tns1:Device/Trigger/DigitalInput', data: { LogicalState: 'true' }, operation: null })).toBeNull()
    expect(interpretNotification({ topic: 'tns1:VideoSource/MotionAlarm', data: { State: 'maybe' }, operation: null })).toBeNull()
  })

  const tamper = (data: Record<string, string>) => interpretNotification({ topic: 'tns1:RuleEngine/TamperDetector/Tamper', data, operation: 'Changed' })
  it.each([
    ['IsTamper true', { IsTamper: 'true' }, true],
    ['IsTamper false', { IsTamper: 'false' }, false],
    ['IsTamper 1', { IsTamper: '1' }, true],
    ['IsTamper 0', { IsTamper: '0' }, false],
    ['State true (field firmware)', { State: 'true' }, true],
    ['State false', { State: 'false' }, false],
    ['State 1', { State: '1' }, true],
    ['State 0', { State: '0' }, false],
    ['IsTamper before State when both come', { IsTamper: 'false', State: 'true' }, false],
  ])('TamperDetector/Tamper with %s', (_, data, state) => {
    expect(tamper(data)).toEqual({ event: 'tamper', state })
  })

  it('reads every xs:boolean form on every topic, and nothing else', () => {
    expect(interpretNotification({ topic: 'tns1:VideoSource/MotionAlarm', data: { State: '1' }, operation: null })).toEqual({ event: 'motion', state: true })
    expect(interpretNotification({ topic: 'tns1:RuleEngine/CellMotionDetector/Motion', data: { IsMotion: '0' }, operation: null })).toEqual({ event: 'motion', state: false })
    expect(interpretNotification({ topic: 'tns1:VideoSource/GlobalSceneChange/ImagingService', data: { State: ' 1 ' }, operation: null })).toEqual({ event: 'tamper', state: true })
    expect([' true', 'TRUE', '1', 'false', '0'].map(xsBoolean)).toEqual([true, true, true, false, false])
    expect(['', 'yes', '2', 'on', undefined].map(xsBoolean)).toEqual([null, null, null, null, null])
    expect(tamper({ Level: '1' })).toBeNull()
    expect(tamper({ State: 'yes' })).toBeNull()
  })
})

describe('PullPoint subscription manager SOAP (Renew, Unsubscribe)', () => {
  const ref = { address: 'http://10.0.0.21/onvif/events_service?sub=3&x=<y>', subscriptionId: null }
  // The onvif package's envelope around our header entries and body, as OnvifClient sends it.
  const wrap = (r: { headers: string; body: string }) =>
    '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing"><s:Header>' +
    `${r.headers}</s:Header>${r.body}</s:Envelope>`

  it('carries wsa:MessageID, To and Action, as the spec examples do, in a well-formed envelope', () => {
    const r = subscriptionRequest('Renew', ref, 'urn:uuid:0f4e1c2a-0000-4000-8000-000000000001')
    expect(r.action).toBe('http://docs.oasis-open.org/wsn/bw-2/SubscriptionManager/RenewRequest')
    const env = parseEnvelope(wrap(r))
    expect(textOf(path(env, 'Header', 'MessageID'))).toBe('urn:uuid:0f4e1c2a-0000-4000-8000-000000000001')
    expect(textOf(path(env, 'Header', 'To'))).toBe(ref.address)
    expect(textOf(path(env, 'Header', 'Action'))).toBe(r.action)
    expect(textOf(path(env, 'Body', 'Renew', 'TerminationTime'))).toBe('PT2M')
    expect(r.headers).not.toContain('SubscriptionId')
    const u = subscriptionRequest('Unsubscribe', { ...ref, subscriptionId: '42' }, 'urn:uuid:x')
    expect(u.action).toBe('http://docs.oasis-open.org/wsn/bw-2/SubscriptionManager/UnsubscribeRequest')
    const uenv = parseEnvelope(wrap(u))
    expect(path(uenv, 'Body', 'Unsubscribe')).toBeDefined()
    // Axis cameras name the subscription by a reference parameter as well as by its address.
    expect(textOf(path(uenv, 'Header', 'SubscriptionId'))).toBe('42')
  })

  it('reads the lifetime a camera grants and renews at half of it, every 30 s at most', () => {
    expect(grantedLifetimeMs(new Date('2026-11-21T08:00:00Z'), new Date('2026-11-21T08:02:00Z'))).toBe(120_000)
    expect(grantedLifetimeMs('2026-11-21T08:00:00Z', '2026-11-21T08:00:10+00:00')).toBe(10_000)
    expect(grantedLifetimeMs(undefined, '2026-11-21T08:00:10Z')).toBeNull()
    const renewed = '<e:Envelope xmlns:e="x" xmlns:w="y"><e:Body><w:RenewResponse><w:TerminationTime>2026-11-21T08:01:00Z</w:TerminationTime>' +
      '<w:CurrentTime>2026-11-21T08:00:00Z</w:CurrentTime></w:RenewResponse></e:Body></e:Envelope>'
    expect(renewResponseLifetimeMs(renewed)).toBe(60_000)
    expect(renewResponseLifetimeMs('<e:Envelope xmlns:e="x"><e:Body><RenewResponse/></e:Body></e:Envelope>')).toBeNull()
    // Not a fault, so renewed: the edge renews again on its default period.
    expect(renewResponseLifetimeMs('<e:Envelope xmlns:e="x"><e:Body><Other/></e:Body></e:Envelope>')).toBeNull()
    expect(renewResponseLifetimeMs('<e:Envelope><e:Body>')).toBeNull()
    expect([renewEveryMs(120_000), renewEveryMs(10_000), renewEveryMs(500), renewEveryMs(null)]).toEqual([30_000, 5000, 1000, 30_000])
  })
})

describe('ONVIF error classification', () => {
  it.each([
    [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), undefined, 'unreachable'],
    [new Error('Network timeout'), undefined, 'timeout'],
    [new Error('ONVIF SOAP Fault: Sender not Authorized'), '<env:Fault>ter:NotAuthorized</env:Fault>', 'auth'],
    [new Error('Digest authentication failed 401'), undefined, 'auth'],
    [new Error('Wrong ONVIF SOAP response'), '<html>', 'malformed'],
    [new Error('ONVIF SOAP Fault: Optional Action Not Implemented'), undefined, 'fault'],
  ])('%s → %s', (err, xml, kind) => {
    expect(classifyOnvifError('Call', err, xml).failure).toBe(kind)
  })
})

describe('WS-Discovery messages', () => {
  it('reads a ProbeMatch and ignores other messages', () => {
    const id = 'urn:uuid:11111111-2222-3333-4444-555555555555'
    expect(probeMessage(id)).toContain(`<a:MessageID>${id}</a:MessageID>`)
    const answer = `<e:Envelope xmlns:e="x" xmlns:w="y" xmlns:d="z"><e:Header><w:RelatesTo>${id}</w:RelatesTo></e:Header><e:Body><d:ProbeMatches><d:ProbeMatch>` +
      '<w:EndpointReference><w:Address>urn:uuid:cam-1</w:Address></w:EndpointReference><d:Scopes>onvif://www.onvif.org/name/Cam onvif://www.onvif.org/type/video_encoder</d:Scopes>' +
      '<d:XAddrs>http://10.0.0.21/onvif/device_service http://[fe80::1]/onvif/device_service</d:XAddrs></d:ProbeMatch></d:ProbeMatches></e:Body></e:Envelope>'
    expect(parseProbeMatches(answer, '10.0.0.21')).toEqual([{
      endpoint: 'urn:uuid:cam-1',
      xaddrs: ['http://10.0.0.21/onvif/device_service', 'http://[fe80::1]/onvif/device_service'],
      scopes: ['onvif://www.onvif.org/name/Cam', 'onvif://www.onvif.org/type/video_encoder'],
      types: [],
      from: '10.0.0.21',
    }])
    expect(parseProbeMatches('<Probe/>', '10.0.0.21')).toEqual([])
  })
})

describe('HTTP digest', () => {
  it('computes the RFC 2617 §3.5 example response', () => {
    const challenge = 'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"'
    const h = digestAuthorization(challenge, 'GET', '/dir/index.html', 'Mufasa', 'Circle Of Life', '0a4f113b')
    expect(h).toContain('response="6629fae49393a05397450978507c4ef1"')
    expect(h).toContain('opaque="5ccc069c403ebaf9f0171e9517f40e41"')
    expect(h).toContain('nc=00000001')
  })
})

describe('credentials in URLs', () => {
  it('are stripped from every URL-looking text before it is logged or returned', () => {
    expect(stripCredentials('rtsp://admin:S3cr%40t@10.0.0.21:554/stream1')).toBe('rtsp://10.0.0.21:554/stream1')
    expect(stripCredentials('ffmpeg failed on rtsp://u:p@h/s and http://x:y@h2/snap.jpg')).toBe('ffmpeg failed on rtsp://h/s and http://h2/snap.jpg')
    expect(stripCredentials('http://10.0.0.21/onvif/device_service')).toBe('http://10.0.0.21/onvif/device_service')
  })
})

describe('snapshot store', () => {
  const dirs: string[] = []
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
  })

  it('names files by camera, UTC time and reason, and refuses other names', () => {
    const name = snapshotName('cam-1', Date.UTC(2026, 10, 21, 8, 30, 0, 123), 'motion')
    expect(name).toBe('cam-1_20261121T083000123Z_motion.jpg')
    expect(parseSnapshotName(name)).toEqual({ camera: 'cam-1', ts: '20261121T083000123Z', reason: 'motion' })
    expect(parseSnapshotName('../etc/passwd')).toBeNull()
    expect(parseSnapshotName('cam-1_20261121T083000123Z_motion.jpg/../../x')).toBeNull()
  })

  it('keeps at most snapshotMaxFiles, deleting the oldest first', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'motcua-snaps-'))
    dirs.push(dir)
    const store = new SnapshotStore(dir, 3)
    await store.open()
    const t0 = Date.UTC(2026, 10, 21, 8, 0, 0)
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xd9])
    // Saved out of time order on purpose: retention follows the time in the name.
    for (const [cam, dt] of [['a', 5], ['b', 1], ['a', 3], ['b', 4], ['a', 2]] as const) await store.save(cam, 'manual', jpeg, t0 + dt * 1000)
    const left = (await readdir(dir)).sort()
    expect(left).toEqual([snapshotName('a', t0 + 5000, 'manual'), snapshotName('a', t0 + 3000, 'manual'), snapshotName('b', t0 + 4000, 'manual')].sort())
    const reopened = new SnapshotStore(dir, 3)
    await reopened.open()
    expect(reopened.latest('a')).toBe(snapshotName('a', t0 + 5000, 'manual'))
    expect(reopened.latest('b')).toBe(snapshotName('b', t0 + 4000, 'manual'))
    expect(reopened.pathOf('../x.jpg')).toBeNull()
  })
})

describe('media URIs a camera answers (issue 11)', () => {
  const onvif = 'http://192.168.1.64/onvif/device_service'
  it('keeps a URI on the camera\'s own host with the expected scheme', () => {
    expect(mediaUri('GetStreamUri', 'rtsp://192.168.1.64:554/Streaming/101', onvif, ['rtsp:'])).toBe('rtsp://192.168.1.64:554/Streaming/101')
    expect(mediaUri('GetSnapshotUri', 'http://192.168.1.64/snap.jpg', onvif, ['http:', 'https:'])).toBe('http://192.168.1.64/snap.jpg')
  })
  it('refuses another host, another scheme or no URL before any credential is attached', () => {
    expect(() => mediaUri('GetStreamUri', 'rtsp://203.0.113.9/live', onvif, ['rtsp:'])).toThrow(/host 203\.0\.113\.9 is not the camera's \(192\.168\.1\.64\)/)
    expect(() => mediaUri('GetStreamUri', 'rtsp://192.168.1.64.evil.example/live', onvif, ['rtsp:'])).toThrow(/is not the camera's/)
    expect(() => mediaUri('GetStreamUri', 'http://192.168.1.64/live', onvif, ['rtsp:'])).toThrow(/scheme http: is not rtsp:/)
    expect(() => mediaUri('GetSnapshotUri', 'file:///etc/passwd', onvif, ['http:', 'https:'])).toThrow(/scheme file:/)
    expect(() => mediaUri('GetStreamUri', 'not a url', onvif, ['rtsp:'])).toThrow(/not a URL/)
  })
})
