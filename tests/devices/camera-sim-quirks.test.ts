/**
 * The simulator's quirk modes (devices/camera-sim/quirks.ts): what a field
 * camera sends that the spec's examples do not, checked on the wire with raw
 * SOAP and with the `onvif` package as an independent client. The edge
 * against them: tests/edge/cameras-quirks.test.ts.
 */
process.env.LOG_LEVEL ??= 'silent'
import { spawn } from 'node:child_process'
import dgram from 'node:dgram'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CGI_FIRMWARE, parseQuirks, startCameraSim, type CameraSim } from '../../devices/camera-sim/index.js'
import { parseProbeMatches } from '../../edge/cameras/discovery.js'
import { parseEnvelope, path, textOf } from '../../edge/cameras/xml.js'
import { asList, call, connectCam, postSoap, securityHeader, soapEnvelope, type OnvifCam, type PullResult } from './support/onvif-client.js'

/** The package's calls this file uses beyond the shared support's. */
type Cam = OnvifCam & {
  renew(opts: object, cb: (err: Error | null, v: unknown) => void): void
  unsubscribe(cb: (err: Error | null, v: unknown) => void, preserveListeners?: boolean): void
}
const connect = async (port: number, user: string, password: string) => (await connectCam(port, user, password)) as Cam

const ANONYMOUS = 'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous'
const EVENTS_NS = 'http://www.onvif.org/ver10/events/wsdl'
const WSN = 'http://docs.oasis-open.org/wsn/b-2'

describe('quirk list (CLI --quirks)', () => {
  it('reads each quirk and the preset, and refuses anything else', () => {
    expect(parseQuirks('reply-to, renew-message-id,tamper-state,slots=2,lifetime=5,boolean-digits')).toEqual({
      replyToHeader: true, renewNeedsMessageId: true, tamper: 'tamper-detector-state', maxPullPoints: 2, maxLifetimeMs: 5000, booleanDigits: true,
    })
    expect(parseQuirks('tamper-detector').tamper).toBe('tamper-detector')
    expect(parseQuirks('cgi-firmware')).toEqual(CGI_FIRMWARE)
    expect(CGI_FIRMWARE).toEqual({ replyToHeader: true, renewNeedsMessageId: true, tamper: 'tamper-detector-state', maxPullPoints: 8 })
    expect(parseQuirks('')).toEqual({})
    expect(() => parseQuirks('slots=0')).toThrow(/slots=0/)
    expect(() => parseQuirks('lifetime=x')).toThrow(/lifetime=x/)
    expect(() => parseQuirks('renew')).toThrow(/unknown quirk "renew"/)
  })
})

describe('a camera with the CGI firmware\'s quirks', () => {
  let sim: CameraSim
  let events: string
  const secured = (body: string, header = '') => soapEnvelope(body, header + securityHeader(sim.user, sim.password))
  const create = async (ttl = 'PT2M') => {
    const res = await postSoap(events, secured(`<CreatePullPointSubscription xmlns="${EVENTS_NS}"><InitialTerminationTime>${ttl}</InitialTerminationTime></CreatePullPointSubscription>`))
    const env = parseEnvelope(res.text)
    const ref = path(env, 'Body', 'CreatePullPointSubscriptionResponse')
    return {
      res,
      address: textOf(path(ref, 'SubscriptionReference', 'Address')),
      lifetimeMs: Date.parse(textOf(path(ref, 'TerminationTime'))) - Date.parse(textOf(path(ref, 'CurrentTime'))),
    }
  }
  const renew = (address: string, messageId?: string) =>
    postSoap(address, secured(`<Renew xmlns="${WSN}"><TerminationTime>PT1M</TerminationTime></Renew>`,
      messageId ? `<a:MessageID xmlns:a="http://www.w3.org/2005/08/addressing">${messageId}</a:MessageID>` : ''))
  const unsubscribe = (address: string) => postSoap(address, secured(`<Unsubscribe xmlns="${WSN}"/>`))

  beforeAll(async () => {
    sim = await startCameraSim({ discovery: { port: 0, multicast: false }, quirks: { ...CGI_FIRMWARE, maxPullPoints: 2, maxLifetimeMs: 30_000 } })
    events = sim.onvifUrl.replace('device_service', 'events_service')
  })
  afterAll(() => sim?.stop())

  it('answers a Probe with a wsa:ReplyTo/Address header before the endpoint, whose identity the edge still reads from the ProbeMatch', async () => {
    const sock = dgram.createSocket('udp4')
    await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', () => resolve()))
    const reply = new Promise<string>((resolve) => sock.once('message', (m) => resolve(m.toString())))
    sock.send('<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope" xmlns:w="http://schemas.xmlsoap.org/ws/2004/08/addressing" ' +
      'xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery"><e:Header><w:MessageID>uuid:probe-q</w:MessageID></e:Header>' +
      '<e:Body><d:Probe/></e:Body></e:Envelope>', sim.discoveryPort, '127.0.0.1')
    const xml = await reply
    sock.close()
    const replyTo = xml.indexOf(`<wsa:ReplyTo SOAP-ENV:mustUnderstand="true"><wsa:Address>${ANONYMOUS}</wsa:Address></wsa:ReplyTo>`)
    expect(replyTo).toBeGreaterThan(0)
    expect(replyTo).toBeLessThan(xml.indexOf(`<wsa:Address>${sim.identity.endpointUuid}</wsa:Address>`))
    expect(parseProbeMatches(xml, '127.0.0.1').map((c) => c.endpoint)).toEqual([sim.identity.endpointUuid])
  })

  it('refuses a Renew without wsa:MessageID with ter:ActionFailed (extending the subscription all the same), and answers one with it, RelatesTo naming it', async () => {
    const { address, lifetimeMs } = await create('PT2M')
    // Granted at most the camera's cap, whatever was asked.
    expect(lifetimeMs).toBe(30_000)
    const before = sim.subscriptions()
    const refused = await renew(address)
    expect(refused.status).toBe(500)
    expect(refused.text).toContain('<env:Value>ter:ActionFailed</env:Value>')
    const answered = await renew(address, 'urn:uuid:11111111-2222-4333-8444-555555555555')
    expect(answered.status).toBe(200)
    const env = parseEnvelope(answered.text)
    expect(textOf(path(env, 'Header', 'RelatesTo'))).toBe('urn:uuid:11111111-2222-4333-8444-555555555555')
    expect(path(env, 'Body', 'RenewResponse', 'TerminationTime')).toBeDefined()
    expect(sim.subscriptions()).toMatchObject({ renewRefused: before.renewRefused + 1, renewed: before.renewed + 1 })
    expect((await unsubscribe(address)).status).toBe(200)
  })

  it('refuses the `onvif` package\'s own Renew, which has no wsa:MessageID (what the edge met in the field)', async () => {
    const cam = await connect(sim.httpPort, sim.user, sim.password)
    await call((cb) => cam.createPullPointSubscription(cb))
    await expect(call((cb) => cam.renew({}, cb))).rejects.toThrow(/Action failed/)
    await call((cb) => cam.unsubscribe(cb, true))
    expect(sim.subscriptions().live).toBe(0)
  })

  it('keeps only as many subscriptions as it has slots, refusing the next until one is given back', async () => {
    const a = await create()
    const b = await create()
    const full = await create()
    expect(full.res.status).toBe(500)
    expect(full.res.text).toContain('ter:MaxPullPoints')
    expect(sim.subscriptions()).toMatchObject({ live: 2 })
    expect(sim.subscriptions().refusedFull).toBeGreaterThanOrEqual(1)
    expect((await unsubscribe(a.address)).status).toBe(200)
    const c = await create()
    expect(c.res.status).toBe(200)
    await Promise.all([unsubscribe(b.address), unsubscribe(c.address)])
    expect(sim.subscriptions().live).toBe(0)
  })

  it('raises tamper on RuleEngine/TamperDetector/Tamper with the data item State, and says so in GetEventProperties', async () => {
    const props = await postSoap(events, secured(`<GetEventProperties xmlns="${EVENTS_NS}"/>`))
    expect(props.text).toContain('<tns1:TamperDetector><tns1:Tamper wstop:topic="true">')
    expect(props.text).not.toContain('GlobalSceneChange')
    const cam = await connect(sim.httpPort, sim.user, sim.password)
    await call((cb) => cam.createPullPointSubscription(cb))
    try {
      await call<PullResult>((cb) => cam.pullMessages({ messageLimit: 10 }, cb)) // the Initialized states
      sim.trigger('tamper', true)
      const got = await call<PullResult>((cb) => cam.pullMessages({ messageLimit: 10 }, cb))
      const [m] = asList(got.notificationMessage)
      expect(m?.topic._).toBe('tns1:RuleEngine/TamperDetector/Tamper')
      expect(asList(m?.message.message.data.simpleItem).map((i) => i.$)).toEqual([{ Name: 'State', Value: true }]) // the package reads xs:boolean into a boolean
    } finally {
      sim.trigger('tamper', false)
      await call((cb) => cam.unsubscribe(cb, true))
    }
  })
})

describe('the simulator CLI with quirks', () => {
  it('starts cameras in a quirk mode, reports their subscriptions on "stats", and refuses an unknown quirk', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'devices/camera-sim/cli.ts', '--count', '1', '--quirks', 'slots=1,boolean-digits', '--discovery-port', '0', '--no-multicast'], {
      cwd: process.cwd(), env: { ...process.env, LOG_LEVEL: 'silent' }, stdio: ['pipe', 'pipe', 'pipe'],
    })
    try {
      const lines = createInterface({ input: child.stdout })
      const next = (pred: (l: string) => boolean) => new Promise<string>((resolve) => { const on = (l: string) => { if (pred(l)) { lines.off('line', on); resolve(l) } }; lines.on('line', on) })
      await next((l) => l === 'ready')
      child.stdin.write('1 stats\n')
      const stats = JSON.parse(await next((l) => l.includes('"subscriptions"'))) as { camera: number; subscriptions: Record<string, number> }
      expect(stats).toEqual({ camera: 1, subscriptions: { live: 0, created: 0, refusedFull: 0, renewed: 0, renewRefused: 0, unsubscribed: 0, expired: 0 } })
    } finally {
      child.kill('SIGTERM')
      await new Promise((r) => child.once('exit', r))
    }
    const bad = spawn(process.execPath, ['--import', 'tsx', 'devices/camera-sim/cli.ts', '--quirks', 'renew'], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    bad.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    expect(await new Promise((r) => bad.once('exit', r))).toBe(64)
    expect(stderr).toContain('unknown quirk "renew"')
  })
})
