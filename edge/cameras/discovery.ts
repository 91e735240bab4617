/**
 * WS-Discovery client (April 2005 version, ONVIF Core 7): sends a Probe for
 * NetworkVideoTransmitter and collects ProbeMatches for a bounded time. By
 * default to the multicast group; tests (and sites whose switches drop
 * multicast) can probe known addresses by unicast.
 */
import { randomUUID } from 'node:crypto'
import { createSocket } from 'node:dgram'

export const WSD_MULTICAST = { host: '239.255.255.250', port: 3702 }

export interface DiscoveredCamera {
  /** Endpoint reference (urn:uuid:...), stable per device. */
  endpoint: string
  xaddrs: string[]
  scopes: string[]
  /** Source address of the answer. */
  from: string
}

export interface ProbeOptions {
  targets?: { host: string; port: number }[]
  timeoutMs?: number
}

export function probeMessage(messageId: string): string {
  return '<?xml version="1.0" encoding="UTF-8"?>' +
    '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" ' +
    'xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:dn="http://www.onvif.org/ver10/network/wsdl">' +
    `<s:Header><a:MessageID>${messageId}</a:MessageID><a:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>` +
    '<a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action></s:Header>' +
    '<s:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></s:Body></s:Envelope>'
}

const text = (xml: string, local: string): string | undefined =>
  new RegExp(`<(?:[\\w.-]+:)?${local}(?:\\s[^>]*)?>([^<]*)</(?:[\\w.-]+:)?${local}>`).exec(xml)?.[1]?.trim()

const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&')

/** Pure: a ProbeMatches answer to our message id, or null for anything else. */
export function parseProbeMatch(xml: string, messageId: string, from: string): DiscoveredCamera | null {
  if (!/ProbeMatches[\s>]/.test(xml)) return null
  const relatesTo = text(xml, 'RelatesTo')
  if (relatesTo !== undefined && relatesTo !== messageId) return null
  const endpoint = text(xml, 'Address')
  const xaddrs = (text(xml, 'XAddrs') ?? '').split(/\s+/).filter(Boolean).map(unescape)
  if (!endpoint || xaddrs.length === 0) return null
  return { endpoint: unescape(endpoint), xaddrs, scopes: (text(xml, 'Scopes') ?? '').split(/\s+/).filter(Boolean).map(unescape), from }
}

export function probeCameras(opts: ProbeOptions = {}): Promise<DiscoveredCamera[]> {
  const targets = opts.targets ?? [WSD_MULTICAST]
  const messageId = `urn:uuid:${randomUUID()}`
  const msg = Buffer.from(probeMessage(messageId))
  const found = new Map<string, DiscoveredCamera>()
  return new Promise((resolve) => {
    const socket = createSocket({ type: 'udp4' })
    let timer: NodeJS.Timeout | undefined
    const done = () => {
      clearTimeout(timer)
      socket.close()
      resolve([...found.values()])
    }
    socket.on('message', (data, rinfo) => {
      const cam = parseProbeMatch(data.toString('utf8'), messageId, rinfo.address)
      if (cam && !found.has(cam.endpoint)) found.set(cam.endpoint, cam)
    })
    // A network without multicast route is not an error here: nothing is found.
    socket.on('error', () => undefined)
    socket.bind(0, () => {
      for (const t of targets) socket.send(msg, t.port, t.host, () => undefined)
      timer = setTimeout(done, opts.timeoutMs ?? 2000)
    })
  })
}
