/**
 * One simulated rating box on one MQTT connection: it behaves as the button
 * box contract (docs/button-box.md) asks — persistent session, retained
 * status with a last-will, QoS 1 presses, QoS 0 heartbeats — and records
 * which event ids were sent and which the broker acknowledged.
 */
import mqtt, { type MqttClient } from 'mqtt'
import type { Logger } from '../../common/log.js'
import { heartbeatMessage, statusMessage, type RatingMessage } from '../../protocol/messages.js'
import type { ScaleSize } from '../../protocol/scales.js'
import { topics } from '../../protocol/topics.js'
import type { Random } from '../../common/random.js'
import { buildRating, eventIdFactory, nextPressDelays, pickLevel, type SimMode } from './behaviour.js'
import { BoxLedger, type BoxStats } from './ledger.js'

export type { BoxStats }

export interface SimDevice {
  id: string
  counter: string
  secret: string
  kind: 'kiosk' | 'button'
}

export interface BoxOptions {
  url: string
  site: string
  device: SimDevice
  scale: ScaleSize
  reasons: readonly string[]
  ratePerMinute: number
  mode: SimMode
  ca?: string | Buffer
  log: Logger
  now: () => number
  random: Random
  heartbeatMs: number
  /** Added to the device clock in `clock-off` mode. */
  clockOffsetMs: number
  /** Share of acknowledged presses resent with the same id in `duplicate` mode. */
  duplicateRatio: number
  /** Mean time between forced connection drops in `reconnect-storm` mode. */
  stormIntervalMs: number
  /** A press without PUBACK for this long is published again, same id (docs/button-box.md: 5 s). */
  resendAfterMs: number
  /** Asks the simulator for one press of its budget; false when the budget is spent. */
  takePress: () => boolean
  /** After a simulated reboot: the ledger that survived it; its unacknowledged presses are resent. */
  ledger?: BoxLedger
}

const FW = 'motcua-sim/1'

export class CounterBox {
  private readonly client: MqttClient
  private readonly log: Logger
  private readonly nextId: () => string
  private readonly bootMs: number
  private readonly stuckLevel: number | undefined
  readonly ledger: BoxLedger
  private readonly timers = new Set<NodeJS.Timeout>()
  /** When each unacknowledged press was last handed to MQTT.js. */
  private readonly lastSent = new Map<string, number>()
  private pressing = true
  private closed = false

  constructor(private readonly o: BoxOptions) {
    const { device, site } = o
    this.log = o.log.child({ device: device.id })
    this.ledger = o.ledger ?? new BoxLedger()
    this.nextId = eventIdFactory(device.id)
    this.bootMs = o.now()
    this.stuckLevel = o.mode === 'stuck' ? pickLevel(o.scale, o.random) : undefined
    const offline = JSON.stringify(statusMessage.parse({ v: 1, online: false }))
    this.client = mqtt.connect(o.url, {
      // A stable client id with a persistent session lets the broker and
      // MQTT.js resend QoS 1 presses that were in flight when the link dropped.
      clientId: device.id,
      clean: false,
      username: device.id,
      password: device.secret,
      protocolVersion: 4,
      keepalive: 30,
      reconnectPeriod: o.mode === 'reconnect-storm' ? 100 : 1000,
      connectTimeout: 10_000,
      queueQoSZero: false,
      will: { topic: topics.status(site, device.counter, device.id), payload: Buffer.from(offline), qos: 1, retain: true },
      ...(o.ca ? { ca: o.ca, rejectUnauthorized: true } : {}),
    })
    this.client.on('connect', () => this.onConnect())
    this.client.on('close', () => this.log.debug({}, 'connection closed'))
    this.client.on('error', (err) => this.log.warn({ err: err.message }, 'mqtt error'))
    this.client.on('message', (topic, payload) => this.onDownlink(topic, payload))
    this.client.subscribe(topics.downAll(site, device.counter, device.id), { qos: 1 })
    // A rebooted box resends what its NVS buffer still holds, with the same ids.
    for (const message of this.ledger.unacked.values()) this.publishRating(message, false)
    this.scheduleNextGroup()
    this.every(o.heartbeatMs, () => this.heartbeat())
    this.every(Math.min(1000, o.resendAfterMs / 2), () => this.resendStale())
    if (o.mode === 'reconnect-storm') this.scheduleDrop()
  }

  stats(): BoxStats {
    return this.ledger.stats(this.o.device.id, this.client.connected)
  }

  pending(): number {
    return this.ledger.unacked.size
  }

  stopPressing(): void {
    this.pressing = false
  }

  /** Power cut: the socket goes away without DISCONNECT, so the broker publishes the last-will. */
  kill(): void {
    this.shutdownTimers()
    this.client.end(true)
  }

  /** Orderly switch-off: retained offline status, then DISCONNECT (no last-will). */
  async stop(): Promise<void> {
    if (this.closed) return
    this.shutdownTimers()
    const { site, device } = this.o
    if (this.client.connected) {
      const offline = JSON.stringify(statusMessage.parse({ v: 1, online: false, kind: device.kind }))
      await withTimeout(this.client.publishAsync(topics.status(site, device.counter, device.id), offline, { qos: 1, retain: true }), 2000)
    }
    const graceful = this.client.connected && this.pending() === 0
    await withTimeout(this.client.endAsync(!graceful), 2000)
    if (!this.client.disconnected) this.client.end(true)
  }

  private onConnect(): void {
    const connects = ++this.ledger.connects
    const { site, device } = this.o
    this.log.debug({ connects }, 'connected')
    const online = JSON.stringify(statusMessage.parse({ v: 1, online: true, kind: device.kind, fw: FW }))
    this.client.publish(topics.status(site, device.counter, device.id), online, { qos: 1, retain: true })
  }

  private onDownlink(topic: string, payload: Buffer): void {
    if (!topic.endsWith('/error')) return
    try {
      const reply = JSON.parse(payload.toString('utf8')) as { code?: unknown; id?: unknown }
      const code = typeof reply.code === 'string' ? reply.code : 'UNKNOWN'
      this.ledger.errorReply(code, typeof reply.id === 'string' ? reply.id : undefined)
      this.log.debug({ code, id: reply.id }, 'error reply')
    } catch {
      this.ledger.errorReply('UNPARSEABLE', undefined)
    }
  }

  private scheduleNextGroup(): void {
    const delays = nextPressDelays(this.o.mode, this.o.ratePerMinute, this.o.random, this.o.now() - this.bootMs)
    const step = (i: number) => {
      const delay = delays[i]
      if (delay === undefined) return this.scheduleNextGroup()
      this.after(delay, () => {
        if (!this.pressing || !this.o.takePress()) return
        this.press()
        step(i + 1)
      })
    }
    step(0)
  }

  private press(): void {
    const offset = this.o.mode === 'clock-off' ? this.o.clockOffsetMs : 0
    const message = buildRating({
      scale: this.o.scale,
      reasons: this.o.reasons,
      ts: this.o.now() + offset,
      nextId: this.nextId,
      random: this.o.random,
      ...(this.stuckLevel !== undefined ? { stuckLevel: this.stuckLevel } : {}),
      ...(this.o.mode === 'hall' ? { withTicket: false } : {}),
    })
    this.ledger.pressed(message)
    this.publishRating(message, false)
  }

  /**
   * MQTT.js resends its in-flight QoS 1 packets after a reconnect, but under
   * a reconnect storm on a loaded machine it was seen to lose one now and
   * then; the box contract keeps every press until PUBACK and resends it, so
   * the simulator does the same rather than trust the library's store.
   */
  private resendStale(): void {
    if (!this.client.connected) return
    const cutoff = this.o.now() - this.o.resendAfterMs
    for (const message of this.ledger.unacked.values()) {
      if ((this.lastSent.get(message.id) ?? 0) > cutoff) continue
      this.ledger.retries++
      this.publishRating(message, true)
    }
  }

  private publishRating(message: RatingMessage, resend: boolean): void {
    this.lastSent.set(message.id, this.o.now())
    const { site, device } = this.o
    this.client.publish(topics.rating(site, device.counter), JSON.stringify(message), { qos: 1 }, (err) => {
      if (err) {
        this.ledger.publishErrors++
        this.log.debug({ id: message.id, err: err.message }, 'publish failed')
        return
      }
      this.ledger.acknowledged(message.id)
      this.lastSent.delete(message.id)
      if (!resend && this.o.mode === 'duplicate' && this.o.random() < this.o.duplicateRatio) {
        this.after(20 + this.o.random() * 280, () => {
          this.ledger.resent.add(message.id)
          this.ledger.duplicatesSent++
          this.publishRating(message, true)
        })
      }
    })
  }

  private heartbeat(): void {
    if (!this.client.connected) return
    const { site, device } = this.o
    const now = this.o.now()
    const message = heartbeatMessage.parse({
      v: 1,
      ts: now,
      uptime: Math.floor((now - this.bootMs) / 1000),
      rssi: -45 - Math.floor(this.o.random() * 35),
    })
    this.ledger.heartbeats++
    this.client.publish(topics.heartbeat(site, device.counter, device.id), JSON.stringify(message), { qos: 0 })
  }

  private scheduleDrop(): void {
    this.after(this.o.stormIntervalMs * (0.5 + this.o.random()), () => {
      // The storm ends with the presses, so a drain can finish even on a slow machine.
      if (!this.pressing) return
      // Destroying the socket (not end()) is what a Wi-Fi drop looks like to both sides.
      if (this.client.connected) this.client.stream.destroy()
      this.scheduleDrop()
    })
  }

  private after(ms: number, fn: () => void): void {
    if (this.closed) return
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      fn()
    }, ms)
    this.timers.add(timer)
  }

  private every(ms: number, fn: () => void): void {
    this.after(ms, () => {
      fn()
      this.every(ms, fn)
    })
  }

  private shutdownTimers(): void {
    this.closed = true
    this.pressing = false
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
  }
}

async function withTimeout(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  await Promise.race([
    p.catch(() => undefined),
    new Promise((resolve) => {
      timer = setTimeout(resolve, ms)
    }),
  ])
  clearTimeout(timer)
}
