/**
 * A stand-in for the edge broker, for the kiosk tests: a real aedes broker
 * over a real WebSocket listener, with the device's username/password
 * checked, the retained config published like the edge does, and officer
 * sign-in answered (config republished, or EDGE_PIN_WRONG on the error
 * topic). It records every publish it receives, resends included, so tests
 * can count what arrived. It can be stopped and started on the same port.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Aedes, type Client, type PublishPacket } from 'aedes'
import { WebSocketServer, createWebSocketStream } from 'ws'
import type { DeviceConfigMessage } from '../../../protocol/messages.js'
import { officerMessage, ratingMessage, type OfficerMessage, type RatingMessage } from '../../../protocol/messages.js'
import { parseTopic, topics } from '../../../protocol/topics.js'

export interface Received {
  topic: string
  text: string
  retain: boolean
  qos: number
}

export interface TestEdgeOptions {
  site: string
  counter: string
  device: string
  secret: string
  config: DeviceConfigMessage
  /** officer id → PIN. */
  pins?: Record<string, string>
}

export class TestEdge {
  port = 0
  readonly received: Received[] = []
  /** Everything the broker routed, its own publishes and last-wills included. */
  readonly routed: Received[] = []
  config: DeviceConfigMessage
  private broker: Aedes | null = null
  private http: Server | null = null
  private wss: WebSocketServer | null = null

  constructor(private readonly o: TestEdgeOptions) {
    this.config = o.config
  }

  /** Every rating payload that reached the broker, resends included. */
  ratings(): RatingMessage[] {
    return this.received.filter((r) => parseTopic(r.topic)?.kind === 'rating').map((r) => ratingMessage.parse(JSON.parse(r.text)))
  }

  officerMessages(): OfficerMessage[] {
    return this.received.filter((r) => parseTopic(r.topic)?.kind === 'officer').map((r) => officerMessage.parse(JSON.parse(r.text)))
  }

  ofKind(kind: 'status' | 'heartbeat'): Received[] {
    return this.received.filter((r) => parseTopic(r.topic)?.kind === kind)
  }

  async start(): Promise<void> {
    const broker = await Aedes.createBroker()
    broker.authenticate = (_client: Client, username: string | undefined, password: Buffer | undefined, done) => {
      done(null, username === this.o.device && password?.toString() === this.o.secret)
    }
    broker.authorizePublish = (client: Client | null, packet: PublishPacket, done) => {
      if (client) this.onDevicePublish(packet)
      done(null)
    }
    broker.on('publish', (packet) => {
      if (packet.topic.startsWith('$SYS')) return
      this.routed.push({ topic: packet.topic, text: Buffer.from(packet.payload).toString('utf8'), retain: packet.retain, qos: packet.qos })
    })
    const http = createServer()
    const wss = new WebSocketServer({ server: http })
    wss.on('connection', (ws) => broker.handle(createWebSocketStream(ws) as never))
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject)
      http.listen(this.port, '127.0.0.1', () => resolve())
    })
    this.port = (http.address() as AddressInfo).port
    this.broker = broker
    this.http = http
    this.wss = wss
    await this.publishConfig(this.config)
  }

  /** Closes the broker and its listener: connected kiosks lose the link. */
  async stop(): Promise<void> {
    const { broker, http, wss } = this
    this.broker = this.http = this.wss = null
    for (const c of wss?.clients ?? []) c.terminate()
    await new Promise<void>((resolve) => (broker ? broker.close(() => resolve()) : resolve()))
    await new Promise<void>((resolve) => (wss ? wss.close(() => resolve()) : resolve()))
    http?.closeAllConnections()
    await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()))
  }

  private down(kind: 'config' | 'error' | 'prompt'): string {
    return topics.down(this.o.site, this.o.counter, this.o.device, kind)
  }

  private publish(topic: string, payload: unknown, retain: boolean): Promise<void> {
    const broker = this.broker
    if (!broker) return Promise.resolve()
    return new Promise((resolve, reject) =>
      broker.publish(
        { cmd: 'publish', topic, payload: Buffer.from(JSON.stringify(payload)), qos: 1, retain, dup: false },
        (err) => (err ? reject(err) : resolve()),
      ),
    )
  }

  publishConfig(config: DeviceConfigMessage): Promise<void> {
    this.config = config
    return this.publish(this.down('config'), config, true)
  }

  publishPrompt(ticket: string): Promise<void> {
    return this.publish(this.down('prompt'), { v: 1, ticket, ts: Date.now() }, false)
  }

  private onDevicePublish(packet: PublishPacket): void {
    const text = Buffer.from(packet.payload).toString('utf8')
    this.received.push({ topic: packet.topic, text, retain: packet.retain, qos: packet.qos })
    if (parseTopic(packet.topic)?.kind !== 'officer') return
    const msg = officerMessage.safeParse(JSON.parse(text))
    if (!msg.success) return
    const m = msg.data
    if (m.action === 'sign-out') {
      void this.publishConfig({ ...this.config, officer: null })
    } else if (this.o.pins?.[m.officer] === m.pin) {
      const who = this.config.officers?.find((x) => x.id === m.officer)
      void this.publishConfig({ ...this.config, officer: { id: m.officer, name: who?.name ?? m.officer } })
    } else {
      void this.publish(
        this.down('error'),
        { v: 1, code: 'EDGE_PIN_WRONG', message: 'officer id or PIN is wrong', topic: packet.topic, id: m.id },
        false,
      )
    }
  }
}
