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

export interface ProbeMatchArgs {
  messageId: string
  relatesTo: string | undefined
  endpoint: string
  xaddrs: string[]
  scopes: string[]
  messageNumber: number
  instanceId: number
}

export function probeMatchXml(a: ProbeMatchArgs): string {
  return '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="${WSA}" xmlns:d="${WSD}" xmlns:dn="${DN}" xmlns:tds="${TDS}">` +
    `<SOAP-ENV:Header><wsa:MessageID>${x(a.messageId)}</wsa:MessageID>` +
    (a.relatesTo ? `<wsa:RelatesTo>${x(a.relatesTo)}</wsa:RelatesTo>` : '') +
    '<wsa:To SOAP-ENV:mustUnderstand="1">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsa:To>' +
    `<wsa:Action SOAP-ENV:mustUnderstand="1">${WSD}/ProbeMatches</wsa:Action>` +
    `<d:AppSequence SOAP-ENV:mustUnderstand="1" MessageNumber="${a.messageNumber}" InstanceId="${a.instanceId}"/>` +
    '</SOAP-ENV:Header><SOAP-ENV:Body><d:ProbeMatches><d:ProbeMatch>' +
    `<wsa:EndpointReference><wsa:Address>${x(a.endpoint)}</wsa:Address></wsa:EndpointReference>` +
    '<d:Types>dn:NetworkVideoTransmitter tds:Device</d:Types>' +
    `<d:Scopes>${a.scopes.map(x).join(' ')}</d:Scopes>` +
    `<d:XAddrs>${a.xaddrs.map(x).join(' ')}</d:XAddrs><d:MetadataVersion>1</d:MetadataVersion>` +
    '</d:ProbeMatch></d:ProbeMatches></SOAP-ENV:Body></SOAP-ENV:Envelope>'
}
