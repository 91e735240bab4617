import { randomUUID } from 'node:crypto'
import { createSocket, type Socket } from 'node:dgram'
import type { Logger } from '../../../common/log.js'
import { byeXml, helloXml, parseProbe, probeMatchXml, probeMatches, type Announcement } from '../soap/discovery.js'

export const WSD_MULTICAST = '239.255.255.250'
export const WSD_PORT = 3702

export interface DiscoveryOptions {
  /** UDP port; 3702 as the spec says, or 0 for a free port (tests probe it by unicast). */
  port: number
  bindAddress: string
  /** Join 239.255.255.250 on this interface address; undefined for unicast only. */
  multicastInterface: string | undefined
  endpoint: string
  xaddrs: () => string[]
  scopes: string[]
  /** Checked per datagram: an offline camera stays silent. */
  answering: () => boolean
  /** ProbeMatches with a wsa:ReplyTo header before the endpoint (quirks.ts). */
  replyToHeader?: boolean
  log: Logger
}

/**
 * WS-Discovery target service (ONVIF Core 7.3): answers Probe with a unicast
 * ProbeMatch to the sender. Bound with SO_REUSEADDR so several simulated
 * cameras (and a client) can share port 3702 on one host.
 */
export class DiscoveryResponder {
  private socket: Socket | undefined
  private joined = false
  private messageNumber = 0
  private readonly instanceId = Math.floor(Date.now() / 1000)
  port = 0

  constructor(private readonly opts: DiscoveryOptions) {}

  async start(): Promise<number> {
    const socket = createSocket({ type: 'udp4', reuseAddr: true })
    this.socket = socket
    socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo.address, rinfo.port))
    socket.on('error', (err) => this.opts.log.warn({ err }, 'discovery socket error'))
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject)
      socket.bind(this.opts.port, this.opts.bindAddress, () => { socket.off('error', reject); resolve() })
    })
    if (this.opts.multicastInterface) {
      try {
        socket.addMembership(WSD_MULTICAST, this.opts.multicastInterface)
        socket.setMulticastInterface(this.opts.multicastInterface)
        this.joined = true
      } catch (err) {
        this.opts.log.warn({ err, iface: this.opts.multicastInterface }, 'cannot join WS-Discovery multicast group; unicast probes only')
      }
    }
    this.port = socket.address().port
    return this.port
  }

  /** Multicasts Hello (on start and when back from offline); a no-op without multicast. */
  hello(): Promise<void> {
    return this.announce(helloXml(this.announcement()))
  }

  /** Multicasts Bye, then closes the socket. */
  async stop(): Promise<void> {
    await this.announce(byeXml(this.announcement()))
    const s = this.socket
    this.socket = undefined
    await new Promise<void>((resolve) => (s ? s.close(() => resolve()) : resolve()))
  }

  private announcement(): Announcement {
    return {
      messageId: `uuid:${randomUUID()}`, endpoint: this.opts.endpoint, xaddrs: this.opts.xaddrs(), scopes: this.opts.scopes,
      messageNumber: ++this.messageNumber, instanceId: this.instanceId,
    }
  }

  private announce(xml: string): Promise<void> {
    const s = this.socket
    if (!s || !this.joined) return Promise.resolve()
    return new Promise((resolve) => s.send(xml, WSD_PORT, WSD_MULTICAST, (err) => {
      if (err) this.opts.log.warn({ err }, 'discovery announcement not sent')
      resolve()
    }))
  }

  private onMessage(msg: Buffer, address: string, port: number): void {
    if (!this.opts.answering()) return
    const probe = parseProbe(msg.toString('utf8'))
    if (!probe || !probeMatches(probe, this.opts.scopes)) return
    const reply = probeMatchXml({ ...this.announcement(), relatesTo: probe.messageId, replyTo: this.opts.replyToHeader })
    this.socket?.send(reply, port, address, (err) => {
      if (err) this.opts.log.warn({ err, address, port }, 'discovery reply not sent')
    })
  }
}
