import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { DigestAuth, parseDigestHeader } from '../../devices/camera-sim/auth/digest.js'
import { NonceCache, passwordDigest, readUsernameToken, verifyUsernameToken } from '../../devices/camera-sim/auth/wsse.js'
import { decodeClockStrip } from '../../devices/camera-sim/clock-strip.js'
import { PullPoints } from '../../devices/camera-sim/events/pull-points.js'
import { capabilities, systemDateAndTime } from '../../devices/camera-sim/soap/device.js'
import { parseProbe, probeMatches } from '../../devices/camera-sim/soap/discovery.js'
import { faultXml, NOT_AUTHORIZED } from '../../devices/camera-sim/soap/envelope.js'
import { notificationsFor, notificationXml } from '../../devices/camera-sim/soap/events.js'
import { durationOrTimeMs, firstBodyElement, isSoapEnvelope } from '../../devices/camera-sim/soap/xml.js'

const md5 = (s: string) => createHash('md5').update(s).digest('hex')

describe('WS-Security UsernameToken', () => {
  it('computes the digest of the ONVIF Application Programmer\'s Guide example', () => {
    expect(passwordDigest('LKqI6G/AikKCQrN0zqZFlg==', '2010-09-16T07:50:45Z', 'userpassword')).toBe('tuOSpGlFlIXsozq4HFNeeGeFLEI=')
  })

  const created = '2026-01-01T00:00:00Z'
  const at = Date.parse(created)
  const token = (password: string, nonce = 'bm9uY2Ux', c = created) => ({
    username: 'admin', password: passwordDigest(nonce, c, password), passwordType: 'digest' as const, nonce, created: c,
  })

  it('accepts a fresh token and rejects its verbatim replay', () => {
    const cache = new NonceCache(600_000)
    expect(verifyUsernameToken(token('pw'), 'admin', 'pw', at + 1000, cache)).toBe('ok')
    expect(verifyUsernameToken(token('pw'), 'admin', 'pw', at + 2000, cache)).toBe('replayed-nonce')
  })

  it('rejects a wrong password, an unknown user, and Created outside ±5 min of the camera clock', () => {
    const cache = new NonceCache(600_000)
    expect(verifyUsernameToken(token('other'), 'admin', 'pw', at, cache)).toBe('bad-password')
    expect(verifyUsernameToken({ ...token('pw'), username: 'root' }, 'admin', 'pw', at, cache)).toBe('unknown-user')
    expect(verifyUsernameToken(token('pw', 'bjI='), 'admin', 'pw', at + 5 * 60_000 + 1, cache)).toBe('stale-created')
    expect(verifyUsernameToken(token('pw', 'bjM='), 'admin', 'pw', at - 5 * 60_000 - 1, cache)).toBe('stale-created')
    expect(verifyUsernameToken(token('pw', 'bjQ='), 'admin', 'pw', at + 4 * 60_000, cache)).toBe('ok')
  })

  it('reads the token whatever prefixes the client used', () => {
    const xml = '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header><Security xmlns="x"><UsernameToken>' +
      '<Username>admin</Username><Password Type="...#PasswordDigest">abc=</Password><Nonce>bg==</Nonce>' +
      '<Created xmlns="u">2026-01-01T00:00:00Z</Created></UsernameToken></Security></s:Header><s:Body><A/></s:Body></s:Envelope>'
    expect(readUsernameToken(xml)).toEqual({ username: 'admin', password: 'abc=', passwordType: 'digest', nonce: 'bg==', created: '2026-01-01T00:00:00Z' })
  })
})

describe('HTTP digest', () => {
  const auth = new DigestAuth('SimCam')
  function answer(challenge: string, password: string, nc = '00000001', uri = '/onvif/device_service') {
    const p = parseDigestHeader(challenge)!
    const ha1 = md5(`admin:${p.realm}:${password}`)
    const ha2 = md5(`POST:${uri}`)
    const response = md5(`${ha1}:${p.nonce}:${nc}:c0ffee:auth:${ha2}`)
    return `Digest username="admin", realm="${p.realm}", nonce="${p.nonce}", uri="${uri}", qop=auth, nc=${nc}, cnonce="c0ffee", response="${response}"`
  }

  it('accepts the RFC 7616 response for its own challenge and rejects a replayed nonce count', () => {
    const h = answer(auth.challenge(1_000_000), 'pw')
    expect(auth.verify(h, 'POST', 'admin', 'pw', 1_000_500)).toBe('ok')
    expect(auth.verify(h, 'POST', 'admin', 'pw', 1_000_600)).toBe('replayed-nc')
  })

  it('rejects a wrong password, a forged nonce, and flags an old nonce as stale', () => {
    const c = auth.challenge(2_000_000)
    expect(auth.verify(answer(c, 'nope'), 'POST', 'admin', 'pw', 2_000_100)).toBe('bad-password')
    expect(auth.verify(answer(c.replace(/nonce="[^"]+"/, 'nonce="Zm9yZ2Vk"'), 'pw'), 'POST', 'admin', 'pw', 2_000_100)).toBe('bad-nonce')
    expect(auth.verify(answer(c, 'pw'), 'POST', 'admin', 'pw', 2_000_000 + 6 * 60_000)).toBe('stale-nonce')
  })
})

describe('SOAP reading and templates', () => {
  it('finds the operation by namespace whatever the prefix', () => {
    const a = '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><GetProfiles xmlns="http://www.onvif.org/ver10/media/wsdl"/></s:Body></s:Envelope>'
    const b = '<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope" xmlns:trt="http://www.onvif.org/ver10/media/wsdl"><e:Body><trt:GetProfiles/></e:Body></e:Envelope>'
    expect(firstBodyElement(a)).toEqual({ ns: 'http://www.onvif.org/ver10/media/wsdl', local: 'GetProfiles' })
    expect(firstBodyElement(b)).toEqual({ ns: 'http://www.onvif.org/ver10/media/wsdl', local: 'GetProfiles' })
    expect(isSoapEnvelope(a)).toBe(true)
    expect(isSoapEnvelope(a.slice(0, 60))).toBe(false)
  })

  it('reads xs:duration and absolute termination times', () => {
    expect(durationOrTimeMs('PT1M', 0)).toBe(60_000)
    expect(durationOrTimeMs('PT0.5S', 0)).toBe(500)
    expect(durationOrTimeMs('P1DT2H', 0)).toBe(26 * 3600_000)
    expect(durationOrTimeMs('2026-01-01T00:01:00Z', Date.parse('2026-01-01T00:00:00Z'))).toBe(60_000)
    expect(durationOrTimeMs('soon', 0)).toBeUndefined()
  })

  it('reports the camera clock in UTC and Vietnam local time', () => {
    const xml = systemDateAndTime(Date.parse('2026-03-04T20:05:06Z'))
    expect(xml).toContain('<tt:UTCDateTime><tt:Time><tt:Hour>20</tt:Hour><tt:Minute>5</tt:Minute><tt:Second>6</tt:Second></tt:Time><tt:Date><tt:Year>2026</tt:Year><tt:Month>3</tt:Month><tt:Day>4</tt:Day>')
    expect(xml).toContain('<tt:LocalDateTime><tt:Time><tt:Hour>3</tt:Hour>')
    expect(xml).toContain('<tt:Day>5</tt:Day></tt:Date></tt:LocalDateTime>')
  })

  it('filters GetCapabilities by category', () => {
    const addrs = { device: 'http://d', media: 'http://m', events: 'http://e' }
    expect(capabilities(addrs, 'Media')).toContain('<tt:XAddr>http://m</tt:XAddr>')
    expect(capabilities(addrs, 'Media')).not.toContain('http://e')
    expect(capabilities(addrs, 'All')).toContain('<tt:WSPullPointSupport>true</tt:WSPullPointSupport>')
  })

  it('builds a SOAP 1.2 fault with the ONVIF subcode', () => {
    const xml = faultXml(NOT_AUTHORIZED)
    expect(xml).toMatch(/<env:Code><env:Value>env:Sender<\/env:Value><env:Subcode><env:Value>ter:NotAuthorized<\/env:Value><\/env:Subcode><\/env:Code>/)
    expect(xml).toContain('xmlns:ter="http://www.onvif.org/ver10/error"')
  })

  it('writes motion as MotionAlarm and CellMotionDetector, tamper as GlobalSceneChange', () => {
    const motion = notificationsFor('motion', true, 0, 'Changed')
    expect(motion.map((n) => n.topic)).toEqual(['tns1:VideoSource/MotionAlarm', 'tns1:RuleEngine/CellMotionDetector/Motion'])
    expect(notificationXml(motion[1]!)).toContain('<tt:SimpleItem Name="IsMotion" Value="true"/>')
    const tamper = notificationsFor('tamper', false, 0, 'Initialized')
    expect(notificationXml(tamper[0]!)).toMatch(/GlobalSceneChange\/ImagingService<\/wsnt:Topic>.*PropertyOperation="Initialized".*Name="State" Value="false"/)
  })
})

describe('WS-Discovery matching', () => {
  const scopes = ['onvif://www.onvif.org/Profile/Streaming', 'onvif://www.onvif.org/name/Cam1']
  const probe = (types: string, scopesText = '') =>
    `<Envelope xmlns="http://www.w3.org/2003/05/soap-envelope" xmlns:dn="http://www.onvif.org/ver10/network/wsdl" xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:x="urn:other">` +
    `<Header><MessageID>urn:uuid:1</MessageID></Header><Body><Probe xmlns="http://schemas.xmlsoap.org/ws/2005/04/discovery"><Types>${types}</Types><Scopes>${scopesText}</Scopes></Probe></Body></Envelope>`

  it('matches ONVIF device types and scope prefixes, and nothing else', () => {
    expect(probeMatches(parseProbe(probe('dn:NetworkVideoTransmitter'))!, scopes)).toBe(true)
    expect(probeMatches(parseProbe(probe('tds:Device'))!, scopes)).toBe(true)
    expect(probeMatches(parseProbe(probe(''))!, scopes)).toBe(true)
    expect(probeMatches(parseProbe(probe('x:Printer'))!, scopes)).toBe(false)
    expect(probeMatches(parseProbe(probe('', 'onvif://www.onvif.org/Profile'))!, scopes)).toBe(true)
    expect(probeMatches(parseProbe(probe('', 'onvif://www.onvif.org/name/Cam2'))!, scopes)).toBe(false)
    expect(parseProbe(probe(''))!.messageId).toBe('urn:uuid:1')
    expect(parseProbe('<Envelope><Body><Hello/></Body></Envelope>')).toBeUndefined()
  })
})

describe('pull points', () => {
  it('queues, long-polls, limits and expires', async () => {
    let now = 1_000_000
    const pp = new PullPoints({ now: () => now, maxPullPoints: 2 })
    const a = pp.create(now + 10_000, notificationsFor('tamper', false, now, 'Initialized'))!
    expect((await pp.pull(a.id, 0, 10))!.map((n) => n.operation)).toEqual(['Initialized'])
    const waiting = pp.pull(a.id, 5_000, 1)!
    pp.publish(notificationsFor('motion', true, now, 'Changed'))
    expect((await waiting).map((n) => n.topic)).toEqual(['tns1:VideoSource/MotionAlarm'])
    expect((await pp.pull(a.id, 0, 10))!.map((n) => n.topic)).toEqual(['tns1:RuleEngine/CellMotionDetector/Motion'])
    const started = Date.now()
    expect(await pp.pull(a.id, 150, 10)).toEqual([])
    expect(Date.now() - started).toBeGreaterThanOrEqual(140)
    expect(pp.create(now + 10_000, [])).toBeDefined()
    expect(pp.create(now + 10_000, [])).toBeUndefined()
    now += 10_001
    expect(pp.pull(a.id, 0, 1)).toBeUndefined()
    expect(pp.size).toBe(0)
  })
})

describe('clock strip', () => {
  it('round-trips a time through the documented cell layout, at another display size', () => {
    const ms = 1_795_300_195_682
    const scale = 2
    const luma = (x: number, y: number) => {
      const sx = x / scale
      const sy = y / scale
      if (sy < 336 || sy >= 352) return 128
      const i = Math.floor((sx - 8) / 12)
      if (i === 0) return 235
      if (i === 1) return 16
      const bit = Math.floor(ms / 2 ** (44 - 1 - (i - 2))) % 2
      return bit ? 235 : 16
    }
    expect(decodeClockStrip(luma, 1280, 720)).toBe(ms)
    expect(decodeClockStrip(() => 128, 640, 360)).toBeUndefined()
  })
})
