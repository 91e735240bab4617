/**
 * WS-Discovery client (April 2005 version, ONVIF Core 7): sends a Probe for
 * NetworkVideoTransmitter and collects ProbeMatches for a bounded time. By
 * default to the multicast group; tests (and sites whose switches drop
 * multicast) can probe known addresses by unicast. Answers come from anyone
 * on the LAN, so each is read with a real XML parser (./xml.ts) by local name
 * inside the right parent, and a bad one is dropped. A camera is known by its
 * endpoint reference (urn:uuid:...), one per device.
 */
import { randomUUID } from 'node:crypto'
import { createSocket } from 'node:dgram'
import type { Logger } from '../../common/log.js'
import { child, children, parseEnvelope, path, textOf, words } from './xml.js'

export const WSD_MULTICAST = { host: '239.255.255.250', port: 3702 }

export interface DiscoveredCamera {
  /** Endpoint reference (urn:uuid:...), stable per device. */
  endpoint: string
  xaddrs: string[]
  scopes: string[]
  /** Types the device says it is, as QNames (dn:NetworkVideoTransmitter, tds:Device...). */
  types: string[]
  /** Source address of the answer. */
  from: string
}

export interface ProbeOptions {
  targets?: { host: string; port: number }[]
  timeoutMs?: number
  /** Answers that are not XML, or too large, are dropped with a debug line here. */
  log?: Logger
}

/** A ProbeMatch is 1–3 KB; anything far larger is not one, and is not parsed. */
export const MAX_ANSWER_BYTES = 32 * 1024

export function probeMessage(messageId: string): string {
  return '<?xml version="1.0" encoding="UTF-8"?>' +
    '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" ' +
    'xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:dn="http://www.onvif.org/ver10/network/wsdl">' +
    `<s:Header><a:MessageID>${messageId}</a:MessageID><a:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>` +
    '<a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action></s:Header>' +
    '<s:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></s:Body></s:Envelope>'
}

/**
 * Pure: the cameras a ProbeMatches answer describes, one per ProbeMatch (a
 * reply may hold several, an NVR's for instance); empty for any other
 * well-formed message. Its RelatesTo is not checked: only answers to our
 * probe reach its one-shot unicast socket, some firmware sends a fixed
 * RelatesTo (`uuid:NetworkVideoTransmitter`), and the probe's MessageID goes
 * out by multicast, so checking it would keep out real cameras, not a host
 * that wants to lie. Each is read inside its own ProbeMatch:
 * the identity is ProbeMatch/EndpointReference/Address, never another
 * Address in the message, such as the wsa:ReplyTo/Address header (the
 * anonymous role URI) that many cameras send before the body, which would
 * give every camera of that kind one identity. A ProbeMatch without an
 * endpoint or XAddrs is skipped, not the others. Throws for input that is
 * too large or not XML (the caller logs and drops it).
 */
export function parseProbeMatches(xml: string, from: string): DiscoveredCamera[] {
  if (Buffer.byteLength(xml) > MAX_ANSWER_BYTES) throw new Error(`answer of ${Buffer.byteLength(xml)} bytes, more than ${MAX_ANSWER_BYTES}`)
  const envelope = parseEnvelope(xml)
  const found: DiscoveredCamera[] = []
  for (const matches of children(child(envelope, 'Body'), 'ProbeMatches')) {
    for (const match of children(matches, 'ProbeMatch')) {
      const endpoint = textOf(path(match, 'EndpointReference', 'Address'))
      const xaddrs = words(child(match, 'XAddrs'))
      if (!endpoint || xaddrs.length === 0) continue
      found.push({ endpoint, xaddrs, scopes: words(child(match, 'Scopes')), types: words(child(match, 'Types')), from })
    }
  }
  return found
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
      try {
        for (const cam of parseProbeMatches(data.toString('utf8'), rinfo.address)) if (!found.has(cam.endpoint)) found.set(cam.endpoint, cam)
      } catch (err) {
        opts.log?.debug({ from: rinfo.address, bytes: data.length, error: (err as Error).message }, 'discovery answer dropped')
      }
    })
    // A network without multicast route is not an error here: nothing is found.
    socket.on('error', () => undefined)
    socket.bind(0, () => {
      for (const t of targets) socket.send(msg, t.port, t.host, () => undefined)
      timer = setTimeout(done, opts.timeoutMs ?? 2000)
    })
  })
}
