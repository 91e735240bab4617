process.env.LOG_LEVEL ??= 'silent'
import dgram from 'node:dgram'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCameraSim, type CameraSim } from '../../devices/camera-sim/index.js'
import {
  asList, call, connectCam, fetchWithDigest, onvif, postSoap, securityHeader, soapEnvelope, type OnvifCam, type PullResult,
} from './support/onvif-client.js'

// Checked with the `onvif` npm package as an independent client: the simulator must answer what it expects of real cameras.
let sim: CameraSim
let cam: OnvifCam

beforeAll(async () => {
  sim = await startCameraSim({ discovery: { port: 0, multicast: false }, identity: { name: 'Cam Quay 1', location: 'Tang 1' } })
  cam = await connectCam(sim.httpPort, sim.user, sim.password)
})

afterAll(async () => {
  cam?.removeAllListeners('event')
  await sim?.stop()
})

const DEVICE_NS = 'http://www.onvif.org/ver10/device/wsdl'

describe('device and media services through the onvif package', () => {
  it('connects and reads device information, profiles, stream and snapshot URIs', async () => {
    expect(Object.keys(cam.uri).sort()).toEqual(['device', 'events', 'media'])
    const info = await call<Record<string, string>>((cb) => cam.getDeviceInformation(cb))
    expect(info).toMatchObject({ manufacturer: 'Motcua', model: 'SimCam S1', serialNumber: sim.identity.serialNumber })
    expect(cam.profiles.map((p) => p.$.token)).toEqual(['Profile_1'])
    const stream = await call<{ uri: string }>((cb) => cam.getStreamUri({ protocol: 'RTSP' }, cb))
    expect(stream.uri).toBe(sim.rtspUrl)
    const snap = await call<{ uri: string }>((cb) => cam.getSnapshotUri({}, cb))
    expect(snap.uri).toBe(sim.snapshotUrl)
  })

  it('answers GetSystemDateAndTime without credentials and with the right time', async () => {
    const res = await postSoap(sim.onvifUrl, soapEnvelope(`<GetSystemDateAndTime xmlns="${DEVICE_NS}"/>`))
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/soap\+xml/)
    const stranger = new onvif.Cam({ hostname: '127.0.0.1', port: sim.httpPort, autoconnect: false })
    const sent = Date.now()
    const date = await call<Date>((cb) => stranger.getSystemDateAndTime(cb))
    // Whole seconds, so from the second the request went in to the moment the answer came.
    expect(date.getTime()).toBeGreaterThanOrEqual(Math.floor(sent / 1000) * 1000)
    expect(date.getTime()).toBeLessThanOrEqual(Date.now())
  })

  it('authenticates the package with HTTP digest when WS-Security is off', async () => {
    const digestCam = await connectCam(sim.httpPort, sim.user, sim.password, { useWSSecurity: false })
    const info = await call<Record<string, string>>((cb) => digestCam.getDeviceInformation(cb))
    expect(info.serialNumber).toBe(sim.identity.serialNumber)
  })
})

describe('events service', () => {
  const pull = async (messageLimit: number) => asList((await call<PullResult>((cb) => cam.pullMessages({ messageLimit }, cb))).notificationMessage)
  it('delivers Initialized states, then motion and tamper changes, through PullMessages', async () => {
    await call((cb) => cam.createPullPointSubscription(cb))
    const first = await pull(10)
    expect(first.map((m) => [m.topic._, m.message.message.$.PropertyOperation])).toEqual([
      ['tns1:VideoSource/MotionAlarm', 'Initialized'],
      ['tns1:RuleEngine/CellMotionDetector/Motion', 'Initialized'],
      ['tns1:VideoSource/GlobalSceneChange/ImagingService', 'Initialized'],
    ])
    const started = Date.now()
    setTimeout(() => sim.trigger('motion', true), 300)
    const motion = await pull(10)
    // The pull was waiting (long poll) and returned on the event, not at the end of its 60 s wait (PT1M):
    // half of that tells the two apart on any machine.
    expect(Date.now() - started).toBeGreaterThanOrEqual(250)
    expect(Date.now() - started).toBeLessThan(30_000)
    expect(motion.map((m) => [m.topic._, m.message.message.data.simpleItem.$.Name, m.message.message.data.simpleItem.$.Value])).toEqual([
      ['tns1:VideoSource/MotionAlarm', 'State', true],
      ['tns1:RuleEngine/CellMotionDetector/Motion', 'IsMotion', true],
    ])
    sim.trigger('tamper', true)
    sim.trigger('motion', false)
    const limited = await pull(1)
    expect(limited.map((m) => [m.topic._, m.message.message.data.simpleItem.$.Value])).toEqual([['tns1:VideoSource/GlobalSceneChange/ImagingService', true]])
    const rest = await pull(10)
    expect(rest.map((m) => m.message.message.data.simpleItem.$.Value)).toEqual([false, false])
    await call((cb) => cam.unsubscribe(cb))
    sim.trigger('tamper', false)
  })

  it('feeds the package\'s own event loop (pull, renew, pull) with triggered events', async () => {
    const seen: string[] = []
    const errors: Error[] = []
    const loopCam = await connectCam(sim.httpPort, sim.user, sim.password)
    loopCam.on('eventsError', (e) => errors.push(e))
    const got = new Promise<void>((resolve) => loopCam.on('event', (m) => {
      seen.push(`${m.topic._}=${String(m.message.message.data.simpleItem.$.Value)}/${m.message.message.$.PropertyOperation}`)
      if (seen.some((s) => s.includes('GlobalSceneChange/ImagingService=true'))) resolve()
    }))
    setTimeout(() => { sim.trigger('motion', true); sim.trigger('tamper', true) }, 500)
    await got
    loopCam.removeAllListeners('event')
    expect(errors).toEqual([])
    expect(seen).toContain('tns1:VideoSource/MotionAlarm=true/Changed')
    expect(seen).toContain('tns1:RuleEngine/CellMotionDetector/Motion=true/Changed')
    sim.trigger('motion', false)
    sim.trigger('tamper', false)
  })

  it('ends a subscription at its termination time, and Renew extends it', async () => {
    const create = (ttl: string) => postSoap(sim.onvifUrl.replace('device_service', 'events_service'), soapEnvelope(
      `<CreatePullPointSubscription xmlns="http://www.onvif.org/ver10/events/wsdl"><InitialTerminationTime>${ttl}</InitialTerminationTime></CreatePullPointSubscription>`,
      securityHeader(sim.user, sim.password)))
    const addr = (xml: string) => /<wsa5:Address>([^<]+)<\/wsa5:Address>/.exec(xml)?.[1] ?? ''
    const pull = (url: string) => postSoap(url, soapEnvelope(
      '<PullMessages xmlns="http://www.onvif.org/ver10/events/wsdl"><Timeout>PT0S</Timeout><MessageLimit>5</MessageLimit></PullMessages>',
      securityHeader(sim.user, sim.password)))
    const renew = (url: string) => postSoap(url, soapEnvelope(
      '<Renew xmlns="http://docs.oasis-open.org/wsn/b-2"><TerminationTime>PT10M</TerminationTime></Renew>', securityHeader(sim.user, sim.password)))

    // Both live a minute; the camera's clock (not the test's waiting) then moves past it, so a slow machine cannot end one early.
    const short = addr((await create('PT1M')).text)
    const renewed = addr((await create('PT1M')).text)
    expect(short).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/onvif\/pullpoint\//)
    expect((await pull(short)).status).toBe(200)
    const r = await renew(renewed)
    expect(r.status).toBe(200)
    expect(r.text).toContain('<wsnt:RenewResponse>')
    // Two minutes on: past the minute, inside the renewed ten, and inside WS-Security's 5 min window for Created.
    await sim.setFault('clock-skew', { skewMs: 2 * 60_000 })
    try {
      const gone = await pull(short)
      expect(gone.status).toBe(400)
      expect(gone.text).toContain('ter:InvalidArgVal')
      expect((await pull(renewed)).status).toBe(200)
    } finally {
      await sim.setFault('none')
    }
  })
})

describe('WS-Discovery', () => {
  it('is found by the onvif package\'s Discovery.probe', async () => {
    // The package only sends to the multicast group; the test keeps that datagram on loopback by
    // redirecting it to the simulator's unicast port (tests must not send to the LAN).
    const send = dgram.Socket.prototype.send
    const port = sim.discoveryPort
    dgram.Socket.prototype.send = function (this: dgram.Socket, ...args: unknown[]) {
      if (args[4] === '239.255.255.250') { args[3] = port; args[4] = '127.0.0.1' }
      return (send as (...a: unknown[]) => void).apply(this, args)
    } as typeof send
    try {
      const cams = await new Promise<Array<{ hostname: string; port: number | string; path: string }>>((resolve, reject) =>
        onvif.Discovery.probe({ timeout: 1500 }, (err, found) => (err ? reject(err) : resolve(found))))
      expect(cams).toHaveLength(1)
      expect(cams[0]).toMatchObject({ hostname: '127.0.0.1', path: '/onvif/device_service' })
      expect(Number(cams[0]!.port)).toBe(sim.httpPort)
    } finally {
      dgram.Socket.prototype.send = send
    }
  })

  it('answers a unicast Probe with scopes naming the camera and its location', async () => {
    const sock = dgram.createSocket('udp4')
    await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', () => resolve()))
    const reply = new Promise<string>((resolve) => sock.once('message', (m) => resolve(m.toString())))
    const probe = '<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope" xmlns:w="http://schemas.xmlsoap.org/ws/2004/08/addressing" ' +
      'xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:dn="http://www.onvif.org/ver10/network/wsdl"><e:Header>' +
      '<w:MessageID>uuid:probe-1</w:MessageID><w:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</w:To>' +
      '<w:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</w:Action></e:Header><e:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types>' +
      '<d:Scopes>onvif://www.onvif.org/Profile/Streaming</d:Scopes></d:Probe></e:Body></e:Envelope>'
    sock.send(probe, sim.discoveryPort, '127.0.0.1')
    const xml = await reply
    sock.close()
    expect(xml).toContain('<wsa:RelatesTo>uuid:probe-1</wsa:RelatesTo>')
    expect(xml).toContain(`<d:XAddrs>${sim.onvifUrl}</d:XAddrs>`)
    expect(xml).toContain('onvif://www.onvif.org/name/Cam%20Quay%201')
    expect(xml).toContain('onvif://www.onvif.org/location/Tang%201')
    expect(xml).toContain('onvif://www.onvif.org/hardware/SimCam%20S1')
  })
})

describe('authentication refusals', () => {
  const getInfo = (header: string) => postSoap(sim.onvifUrl, soapEnvelope(`<GetDeviceInformation xmlns="${DEVICE_NS}"/>`, header))

  it('refuses a wrong password, a stale Created and a replayed token with ter:NotAuthorized', async () => {
    const wrong = await getInfo(securityHeader(sim.user, 'not-the-password'))
    expect(wrong.status).toBe(400)
    expect(wrong.text).toMatch(/<env:Value>env:Sender<\/env:Value><env:Subcode><env:Value>ter:NotAuthorized<\/env:Value>/)
    const stale = await getInfo(securityHeader(sim.user, sim.password, new Date(Date.now() - 6 * 60_000).toISOString()))
    expect(stale.status).toBe(400)
    const token = securityHeader(sim.user, sim.password)
    expect((await getInfo(token)).status).toBe(200)
    const replay = await getInfo(token)
    expect(replay.status).toBe(400)
    expect(replay.text).toContain('ter:NotAuthorized')
  })

  it('asks for HTTP digest when no credentials come, and the package reports the refusal', async () => {
    const none = await getInfo('')
    expect(none.status).toBe(401)
    expect(none.headers.get('www-authenticate')).toMatch(/^Digest realm="[^"]+", qop="auth", nonce="[^"]+"/)
    const bad = await connectCam(sim.httpPort, sim.user, 'wrong')
    await expect(call((cb) => bad.getDeviceInformation(cb))).rejects.toThrow(/Sender not Authorized/)
    const badDigest = await fetchWithDigest(sim.onvifUrl, sim.user, 'wrong', {
      method: 'POST', body: soapEnvelope(`<GetDeviceInformation xmlns="${DEVICE_NS}"/>`), headers: { 'Content-Type': 'application/soap+xml' },
    })
    expect(badDigest.status).toBe(401)
  })
})
