/** edge/cameras/discovery.ts against hostile and malformed WS-Discovery answers: anyone on the LAN can send them. */
import { createSocket } from 'node:dgram'
import { describe, expect, it } from 'vitest'
import { MAX_ANSWER_BYTES, parseProbeMatches, probeCameras } from '../../edge/cameras/discovery.js'
import type { Logger } from '../../common/log.js'

const ID = 'urn:uuid:11111111-2222-3333-4444-555555555555'

const ANONYMOUS = 'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous'

type MatchParts = { address?: string; xaddrs?: string; scopes?: string; types?: string }
const probeMatch = (o: MatchParts = {}) =>
  '<d:ProbeMatch>' +
  (o.address === undefined ? '<a:EndpointReference><a:Address>urn:uuid:cam-1</a:Address></a:EndpointReference>' : o.address) +
  (o.types ?? '') +
  (o.scopes ?? '<d:Scopes>onvif://www.onvif.org/name/Cam</d:Scopes>') +
  (o.xaddrs === undefined ? '<d:XAddrs>http://10.0.0.21/onvif/device_service</d:XAddrs>' : o.xaddrs) +
  '</d:ProbeMatch>'

const answer = (o: MatchParts & { relatesTo?: string; prolog?: string; header?: string; matches?: string } = {}) =>
  (o.prolog ?? '') +
  '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery">' +
  `<s:Header><a:RelatesTo>${o.relatesTo ?? ID}</a:RelatesTo>${o.header ?? ''}</s:Header><s:Body><d:ProbeMatches>` +
  (o.matches ?? probeMatch(o)) +
  '</d:ProbeMatches></s:Body></s:Envelope>'

const cam1 = { endpoint: 'urn:uuid:cam-1', xaddrs: ['http://10.0.0.21/onvif/device_service'], scopes: ['onvif://www.onvif.org/name/Cam'], types: [], from: 'x' }

describe('parseProbeMatches', () => {
  it('decodes every XML escape, numeric references included, and reads fields only inside their parents', () => {
    const [cam] = parseProbeMatches(
      answer({ xaddrs: '<d:XAddrs>http://10.0.0.21/onvif?a=1&amp;b=&#50; http://10.0.0.22/&#x6F;nvif</d:XAddrs>', scopes: '<d:Scopes>onvif://www.onvif.org/name/C&apos;am&quot;&lt;&gt;</d:Scopes>' }),
      '10.0.0.21',
    )
    expect(cam).toEqual({ endpoint: 'urn:uuid:cam-1', xaddrs: ['http://10.0.0.21/onvif?a=1&b=2', 'http://10.0.0.22/onvif'], scopes: [`onvif://www.onvif.org/name/C'am"<>`], types: [], from: '10.0.0.21' })
    // An Address outside EndpointReference (or XAddrs outside ProbeMatch) is not the camera's.
    expect(parseProbeMatches(answer({ address: '<a:Address>urn:uuid:stray</a:Address>' }), 'x')).toEqual([])
  })

  it('takes the identity from ProbeMatch/EndpointReference/Address, never from a wsa:ReplyTo/Address header before it', () => {
    // As a camera's WS-Discovery daemon sends it: every camera of its kind carries the same anonymous ReplyTo first.
    const replyTo = `<a:ReplyTo s:mustUnderstand="true"><a:Address>${ANONYMOUS}</a:Address></a:ReplyTo><a:To>${ANONYMOUS}</a:To>`
    expect(parseProbeMatches(answer({ header: replyTo }), 'x')).toEqual([cam1])
    // Nor from an Address that is a sibling of EndpointReference, or from a second, stray EndpointReference outside the match.
    const stray = answer({ address: `<a:Address>${ANONYMOUS}</a:Address><a:EndpointReference><a:Address>urn:uuid:cam-1</a:Address></a:EndpointReference>` })
    expect(parseProbeMatches(stray, 'x')).toEqual([cam1])
  })

  it('gives one camera per ProbeMatch, with its Types, skipping an unusable match and not the others', () => {
    const two = answer({
      matches:
        probeMatch({ types: '<d:Types>dn:NetworkVideoTransmitter tds:Device</d:Types>' }) +
        probeMatch({ address: '' }) +
        probeMatch({
          address: '<a:EndpointReference><a:Address>urn:uuid:cam-2</a:Address></a:EndpointReference>',
          xaddrs: '<d:XAddrs>http://10.0.0.22/onvif/device_service</d:XAddrs>',
        }),
    })
    expect(parseProbeMatches(two, 'x')).toEqual([
      { ...cam1, types: ['dn:NetworkVideoTransmitter', 'tds:Device'] },
      { ...cam1, endpoint: 'urn:uuid:cam-2', xaddrs: ['http://10.0.0.22/onvif/device_service'] },
    ])
  })

  it('takes a match whatever its RelatesTo: some firmware sends a fixed one, and only answers reach the probe socket', () => {
    expect(parseProbeMatches(answer({ relatesTo: 'uuid:NetworkVideoTransmitter' }), 'x')).toEqual([cam1])
  })

  it('answers nothing for well-formed messages that are not a usable match', () => {
    expect(parseProbeMatches(answer({ address: '' }), 'x')).toEqual([])
    expect(parseProbeMatches(answer({ xaddrs: '' }), 'x')).toEqual([])
    expect(parseProbeMatches(answer({ xaddrs: '<d:XAddrs>  </d:XAddrs>' }), 'x')).toEqual([])
    expect(parseProbeMatches(answer({ address: '<a:EndpointReference><a:Address><a:x/></a:Address></a:EndpointReference>' }), 'x')).toEqual([])
    expect(parseProbeMatches('<Probe/>', 'x')).toEqual([])
    expect(parseProbeMatches('', 'x')).toEqual([])
  })

  it.each([
    ['not XML', 'garbage'],
    ['unbalanced tags', '<s:Envelope><s:Body></s:Envelope>'],
    ['an unknown entity', answer({ xaddrs: '<d:XAddrs>http://x/&bogus;</d:XAddrs>' })],
    ['a DTD entity (never expanded: billion laughs)', answer({ prolog: '<!DOCTYPE s:Envelope [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>', xaddrs: '<d:XAddrs>&b;</d:XAddrs>' })],
    ['an external entity', answer({ prolog: '<!DOCTYPE s:Envelope [<!ENTITY x SYSTEM "file:///etc/passwd">]>', xaddrs: '<d:XAddrs>&x;</d:XAddrs>' })],
    ['more than the size limit', answer({ scopes: `<d:Scopes>${'onvif://x '.repeat(MAX_ANSWER_BYTES / 10)}</d:Scopes>` })],
  ])('throws for %s (the socket handler drops it)', (_, xml) => {
    expect(() => parseProbeMatches(xml, 'x')).toThrow()
  })
})

describe('probeCameras', () => {
  it('keeps the good answer among hostile ones, logging each dropped one at debug, and never throws from the socket', async () => {
    const responder = createSocket({ type: 'udp4' })
    await new Promise<void>((resolve) => responder.bind(0, '127.0.0.1', resolve))
    responder.on('message', (probe, rinfo) => {
      const id = /<a:MessageID>([^<]+)</.exec(probe.toString())![1]!
      const replies = [
        'garbage',
        answer({ relatesTo: id, xaddrs: '<d:XAddrs>&bogus;</d:XAddrs>' }),
        // Past the limit but within one UDP datagram (64 KB).
        answer({ relatesTo: id, scopes: `<d:Scopes>${'s '.repeat(MAX_ANSWER_BYTES / 2)}</d:Scopes>` }),
        answer({ relatesTo: id, xaddrs: '' }),
        answer({ relatesTo: id }),
      ]
      for (const r of replies) responder.send(r, rinfo.port, rinfo.address)
    })
    const dropped: unknown[] = []
    const log = { debug: (o: unknown) => dropped.push(o) } as unknown as Logger
    try {
      const found = await probeCameras({ targets: [{ host: '127.0.0.1', port: (responder.address()).port }], timeoutMs: 500, log })
      expect(found).toEqual([{ ...cam1, from: '127.0.0.1' }])
      expect(dropped).toHaveLength(3)
    } finally {
      responder.close()
    }
  })
})
