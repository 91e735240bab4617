import { childText, section } from './xml.js'
import { escapeXml as x } from './xml.js'

/** WS-Discovery (April 2005), the version ONVIF Core 7 mandates. */
const WSD = 'http://schemas.xmlsoap.org/ws/2005/04/discovery'
const WSA = 'http://schemas.xmlsoap.org/ws/2004/08/addressing'
const DN = 'http://www.onvif.org/ver10/network/wsdl'
const TDS = 'http://www.onvif.org/ver10/device/wsdl'

export interface Probe {
  messageId: string | undefined
  /** Requested types as {ns, local}; empty means "any". */
  types: Array<{ ns: string; local: string }>
  scopes: string[]
}

/** Reads a Probe message; undefined when the datagram is not a Probe. */
export function parseProbe(xml: string): Probe | undefined {
  const body = section(xml, 'Body')
  if (!body || !/<([\w.-]+:)?Probe[\s>/]/.test(body)) return undefined
  const decls = new Map<string, string>()
  for (const m of xml.matchAll(/xmlns(?::([\w.-]+))?\s*=\s*["']([^"']*)["']/g)) decls.set(m[1] ?? '', m[2] ?? '')
  const typesText = childText(body, 'Types') ?? ''
  const types = typesText.split(/\s+/).filter(Boolean).map((qn) => {
    const [p, l] = qn.includes(':') ? qn.split(':', 2) : ['', qn]
    return { ns: decls.get(p ?? '') ?? '', local: l ?? '' }
  })
  const scopes = (childText(body, 'Scopes') ?? '').split(/\s+/).filter(Boolean)
  return { messageId: childText(xml, 'MessageID'), types, scopes }
}

/** WS-Discovery 5.1 matching: every requested type must be ours; every scope a prefix (RFC 3986 rule) of one of ours. */
export function probeMatches(p: Probe, ourScopes: string[]): boolean {
  const ourTypes = [{ ns: DN, local: 'NetworkVideoTransmitter' }, { ns: TDS, local: 'Device' }]
  const typeOk = p.types.every((t) => ourTypes.some((o) => o.local === t.local && (t.ns === '' || o.ns === t.ns)))
  const norm = (s: string) => s.replace(/\/+$/, '')
  const scopeOk = p.scopes.every((s) => ourScopes.some((o) => norm(o) === norm(s) || norm(o).startsWith(norm(s) + '/')))
  return typeOk && scopeOk
}

export interface Announcement {
  messageId: string
  endpoint: string
  xaddrs: string[]
  scopes: string[]
  messageNumber: number
  instanceId: number
}

export interface ProbeMatchArgs extends Announcement {
  relatesTo: string | undefined
  /** The reply-to quirk: a wsa:ReplyTo/wsa:Address header (the anonymous role) before the body's endpoint reference. */
  replyTo?: boolean
}

function wsdEnvelope(action: string, to: string, a: Announcement, body: string, relatesTo?: string, replyTo = false): string {
  return '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="${WSA}" xmlns:d="${WSD}" xmlns:dn="${DN}" xmlns:tds="${TDS}">` +
    `<SOAP-ENV:Header><wsa:MessageID>${x(a.messageId)}</wsa:MessageID>` +
    (relatesTo ? `<wsa:RelatesTo>${x(relatesTo)}</wsa:RelatesTo>` : '') +
    (replyTo ? `<wsa:ReplyTo SOAP-ENV:mustUnderstand="true"><wsa:Address>${ANONYMOUS}</wsa:Address></wsa:ReplyTo>` : '') +
    `<wsa:To SOAP-ENV:mustUnderstand="1">${to}</wsa:To>` +
    `<wsa:Action SOAP-ENV:mustUnderstand="1">${WSD}/${action}</wsa:Action>` +
    `<d:AppSequence SOAP-ENV:mustUnderstand="1" MessageNumber="${a.messageNumber}" InstanceId="${a.instanceId}"/>` +
    `</SOAP-ENV:Header><SOAP-ENV:Body>${body}</SOAP-ENV:Body></SOAP-ENV:Envelope>`
}

export const ANONYMOUS = 'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous'
const DISCOVERY_URN = 'urn:schemas-xmlsoap-org:ws:2005:04:discovery'

const endpointRef = (a: Announcement) => `<wsa:EndpointReference><wsa:Address>${x(a.endpoint)}</wsa:Address></wsa:EndpointReference>`

function description(a: Announcement): string {
  return endpointRef(a) + '<d:Types>dn:NetworkVideoTransmitter tds:Device</d:Types>' +
    `<d:Scopes>${a.scopes.map(x).join(' ')}</d:Scopes>` +
    `<d:XAddrs>${a.xaddrs.map(x).join(' ')}</d:XAddrs><d:MetadataVersion>1</d:MetadataVersion>`
}

export function probeMatchXml(a: ProbeMatchArgs): string {
  return wsdEnvelope('ProbeMatches', ANONYMOUS, a, `<d:ProbeMatches><d:ProbeMatch>${description(a)}</d:ProbeMatch></d:ProbeMatches>`, a.relatesTo, a.replyTo)
}

/** WS-Discovery 4.1: multicast when the device joins the network (start, or power back on). */
export function helloXml(a: Announcement): string {
  return wsdEnvelope('Hello', DISCOVERY_URN, a, `<d:Hello>${description(a)}</d:Hello>`)
}

/** WS-Discovery 4.2: multicast when the device leaves gracefully. */
export function byeXml(a: Announcement): string {
  return wsdEnvelope('Bye', DISCOVERY_URN, a, `<d:Bye>${endpointRef(a)}</d:Bye>`)
}
