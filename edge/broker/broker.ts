/**
 * The edge's MQTT broker: aedes with our authentication, ACL and the
 * "durable before acknowledged" rule (docs/architecture.md, "Life of a
 * rating"). aedes 1.x writes a QoS 1 PUBACK right after authorizePublish
 * calls back (node_modules/aedes/lib/handlers/publish.js), so that hook
 * waits for the outbox's fsync before calling back.
 *
 * Sessions use aedes' in-memory persistence on purpose: nothing a device
 * sends is acknowledged before our outbox has it on disk, so a restart loses
 * at most unacknowledged messages, which devices resend.
 */
import { readFileSync } from 'node:fs'
import type { Duplex } from 'node:stream'
import { Aedes, type AuthenticateError, type Client, type PublishPacket } from 'aedes'
import mqttPacket from 'mqtt-packet'
import { isMotcuaError } from '../../common/errors.js'
import type { Logger } from '../../common/log.js'
import { topics } from '../../protocol/topics.js'
import type { DeviceAlertMessage, ErrorReplyMessage, StatusMessage } from '../../protocol/messages.js'
import type { Clock } from '../clock/types.js'
import type { DutyRoster } from '../ingest/duty.js'
import { ingest, peekEventId, type Rejection } from '../ingest/ingest.js'
import type { DeviceEntry, SiteIndex } from '../ingest/site.js'
import { checkSubscribe } from '../ingest/acl.js'
import type { NewRecord, Outbox } from '../outbox/types.js'
import { verifySecret } from '../../common/secrets.js'
import type { MisuseFilter, StuckAlert } from '../misuse/filter.js'
import { DEFAULT_RATE, DeviceRateLimiter } from '../misuse/rate.js'
import type { OfficerHandler } from './officer.js'
import { promptsFor } from './prompts.js'
import { deviceConfigFor } from './device-config.js'
import { MqttFrameGuard } from './frame-guard.js'
import { bump, emptyStats, type BrokerStats } from './stats.js'
import { listenTcp, listenWebSocket, type Listener, type TlsFiles } from './transports.js'
import { downlinkCounter } from './downlink.js'

/** Largest MQTT packet accepted: room for a 2 KB device payload, its topic and a CONNECT with will. */
export const MAX_PACKET_BYTES = 8 * 1024

export interface BrokerOptions {
  site: SiteIndex
  duty: DutyRoster
  outbox: Outbox
  clock: Clock
  log: Logger
  /** Kiosk officer sign-in/out; without it such messages are refused. */
  onOfficer?: OfficerHandler
  /** Flags misuse on ratings before they are stored; without it every rating has `misuse: null`. */
  misuse?: MisuseFilter
  /** Told of every record once stored (recording keeps a clip around a dissatisfied rating, edge/recording). */
  onStored?: (record: NewRecord) => void
}

export interface EdgeBroker {
  ports: { mqtt: number; ws: number }
  stats: BrokerStats
  connectedClients(): number
  /** Publishes an edge-owned retained JSON message (e.g. a camera's state) at QoS 1. */
  publishRetained(topic: string, body: object): Promise<void>
  /**
   * Stores a ticket that came in another way than MQTT (the queue systems' HTTP adapter,
   * edge/ingest/ticket-http.ts) as a published one is: once per device and event id, then
   * counted for the misuse filter and prompted to the counter's kiosks. Rejects when not stored.
   */
  storeTicket(record: Extract<NewRecord, { kind: 'ticket' }>, dedupKey: string): Promise<'stored' | 'duplicate'>
  stop(): Promise<void>
}

interface ClientState {
  device: DeviceEntry | null
  /** Last online state recorded for this connection, so a disconnect after a last-will is not recorded twice. */
  online: boolean | null
  /** Counter of the last status topic (a queue system has no configured counter). */
  statusCounter: string | null
  /** A newer connection with the same device credential took over: this one's will and disconnect say nothing. */
  replaced: boolean
  /** Set when a publish was refused for the rate: the reply being sent, after which the connection closes. */
  rateRefusal: Promise<void> | null
}

const DUMMY_HASH = `sha256:${'0'.repeat(64)}`

const authError = (returnCode: 2 | 4 | 5, message: string): AuthenticateError =>
  Object.assign(new Error(message), { returnCode }) as AuthenticateError

const OFFICER_DISABLED: Rejection = { code: 'EDGE_TOPIC_FORBIDDEN', message: 'officer sign-in is not enabled on this edge' }

export async function startBroker(opts: BrokerOptions): Promise<EdgeBroker> {
  const { site, duty, outbox, clock } = opts
  const log = opts.log.child({ module: 'broker' })
  const cfg = site.config.broker
  const stats = emptyStats()
  const states = new WeakMap<Client, ClientState>()
  /** Payloads acknowledged but not routed (refused or duplicate); aedes re-wraps packets but keeps the payload Buffer. */
  const unrouted = new WeakSet<Buffer>()
  /** One session per device: the newest connection with a device's credential, as MQTT does per client id [MQTT-3.1.4-2]. */
  const sessions = new Map<string, Client>()
  const rateSettings = cfg.deviceRate ?? DEFAULT_RATE
  const rate = new DeviceRateLimiter(rateSettings)
  /** Publishes held back by the rate limit, each with how to refuse it if the edge stops first. */
  const held = new Map<NodeJS.Timeout, () => void>()
  let stopping = false

  const publish = (topic: string, body: object, retain: boolean) =>
    new Promise<void>((resolve) => {
      aedes.publish({ cmd: 'publish', topic, payload: Buffer.from(JSON.stringify(body)), qos: 1, retain, dup: false }, (err) => {
        if (err) log.warn({ err, topic }, 'edge publish failed')
        resolve()
      })
    })

  // mqtt-packet fills a cache of 65,536 two-byte Buffers (one per packet id) at the first packet it writes:
  // ~7 MB of heap for the life of the process, a tenth of the Pi's 80 MB budget (bench/pi.ts). Writing the
  // id's two bytes on demand costs one pooled allocation per PUBACK instead.
  mqttPacket.writeToStream.cacheNumbers = false
  const aedes = await Aedes.createBroker({
    // A socket that never sends CONNECT only holds memory; on a site LAN 10 s is plenty.
    connectTimeout: 10_000,
    authenticate(client, username, password, done) {
      // A second session with a client id takes the first one over [MQTT-3.1.4-2], so a
      // client id may only be its own device id: nobody can knock another device off.
      const claimsDevice = site.devices.has(client.id) && client.id !== username
      if (claimsDevice) {
        bump(stats.authFailures, 'client_id')
        log.warn({ device: username, clientId: client.id }, "client id of another device refused")
        return done(authError(2, 'client id must be the device id'), false)
      }
      if (!username) {
        if (cfg.allowAnonymous) {
          states.set(client, { device: null, online: null, statusCounter: null, replaced: false, rateRefusal: null })
          return done(null, true)
        }
        bump(stats.authFailures, 'anonymous')
        log.warn({ clientId: client.id }, 'anonymous connection refused')
        return done(authError(5, 'anonymous clients are not allowed'), false)
      }
      const device = site.devices.get(username)
      // An unknown device is checked against a dummy hash so both failures take the same time.
      if (!verifySecret(password, device?.secretHash ?? DUMMY_HASH) || !device) {
        bump(stats.authFailures, device ? 'bad_password' : 'unknown_device')
        log.warn({ device: username, clientId: client.id, reason: device ? 'bad_password' : 'unknown_device' }, 'device authentication failed')
        return done(authError(4, 'EDGE_AUTH_FAILED'), false)
      }
      states.set(client, { device, online: null, statusCounter: null, replaced: false, rateRefusal: null })
      takeOver(device.id, client)
      done(null, true)
    },

    authorizeSubscribe(client, sub, done) {
      const state = states.get(client)
      if (state && checkSubscribe(sub.topic, state.device, site)) return done(null, sub)
      stats.subscribeRefused++
      log.warn({ device: state?.device?.id, topic: sub.topic }, 'subscription refused')
      done(null, null)
    },

    authorizeForward(_client, packet) {
      return unrouted.has(packet.payload as Buffer) ? null : packet
    },

    authorizePublish(client, packet, done) {
      // aedes' own guard, which a custom authorizePublish replaces (aedes #597).
      if (packet.topic.startsWith('$SYS/')) return done(new Error('$SYS topic is reserved'))
      const state = client ? states.get(client) : undefined
      if (!client || !state) return done(new Error('publish from an unknown session'))
      // While stopping, aedes closes every client and publishes their wills: the
      // devices are not offline, the edge is (its own status says so). Nothing is
      // acknowledged either, so devices resend to the next edge process.
      if (stopping) return done(new Error('edge is stopping'))
      // The will of a replaced session: the device is online through its new one.
      if (state.replaced) return done(new Error('session replaced'))
      admit(state, packet, done)
    },
  })

  /** A new connection with a device's credential closes the previous one: one credential, one session. */
  function takeOver(deviceId: string, client: Client): void {
    const previous = sessions.get(deviceId)
    sessions.set(deviceId, client)
    if (!previous || previous === client) return
    const prev = states.get(previous)
    if (prev) prev.replaced = true
    stats.sessionsReplaced++
    log.info({ device: deviceId, clientId: client.id, previousClientId: previous.id }, 'new session of a device replaces its previous one')
    previous.close()
  }

  /**
   * Every publish of a device costs it a token. Above its rate a publish is held
   * back (its PUBACK too), which also stops aedes reading the device's socket,
   * so the device is slowed; with `maxHeld` already waiting it is refused with
   * EDGE_RATE_LIMITED and not acknowledged: the connection closes and the
   * device resends it later. Nothing is acknowledged that is not stored.
   */
  function admit(state: ClientState, packet: PublishPacket, done: (err?: Error | null) => void): void {
    const key = state.device?.id ?? '(anonymous)'
    const a = rate.admit(key, clock.now())
    if (a.action === 'pass') return onPublish(state, packet, done)
    if (a.action === 'hold') {
      stats.rateHeld++
      const timer = setTimeout(() => {
        held.delete(timer)
        rate.release(key)
        onPublish(state, packet, done)
      }, a.waitMs)
      held.set(timer, () => {
        rate.release(key)
        done(new Error('edge is stopping'))
      })
      return
    }
    // One reply and one log line per connection: the rest of what the device already sent goes unacknowledged with it.
    if (!state.rateRefusal) {
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload)
      const message = `more than ${rateSettings.perSecond} messages/s from this device; not acknowledged: send it again later`
      state.rateRefusal = refuse(state, packet, payload, { code: 'EDGE_RATE_LIMITED', message, eventId: peekEventId(payload) })
    }
    void state.rateRefusal.then(() => done(new Error('device over its message rate')))
  }

  function onPublish(state: ClientState, packet: PublishPacket, done: (err?: Error | null) => void): void {
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload)
    packet.payload = payload
    const stamp = clock.stamp()
    const result = ingest({ topic: packet.topic, payload, device: state.device, edgeTs: stamp.wall }, site, duty)
    if (result.outcome === 'rejected') {
      void refuse(state, packet, payload, result.rejection)
      return done(null)
    }
    if (result.outcome === 'officer') {
      // Carries a PIN: never routed to subscribers nor retained.
      unrouted.add(payload)
      packet.retain = false
      const handled = opts.onOfficer ? opts.onOfficer(result.command) : Promise.resolve(OFFICER_DISABLED)
      handled.then(
        (rejection) => {
          if (rejection) void refuse(state, packet, payload, rejection)
          done(null)
        },
        (err: unknown) => {
          log.error({ err, device: state.device?.id }, 'officer sign-in failed; not acknowledged')
          done(err instanceof Error ? err : new Error(String(err)))
        },
      )
      return
    }
    const { dedupKey } = result
    let record = result.record
    if (record.kind === 'rating' && opts.misuse) {
      const judged = opts.misuse.judge(record, dedupKey)
      record = judged.record
      if (judged.alert) raiseAlert(judged.alert, stamp.wall)
    }
    bump(stats.received, record.kind)
    if (record.kind === 'complaint') {
      // A citizen's comment and phone number: stored for the hub, never routed to the site's subscribers.
      unrouted.add(payload)
      packet.retain = false
    }
    if (record.kind === 'device_status') {
      state.online = record.online
      state.statusCounter = record.counter
    }
    // The acknowledgement (done) waits for the commit, except at QoS 0 (heartbeats): there is
    // none to hold back, and dropping the device over a lost heartbeat would only make things worse.
    void outbox.append(record, stamp, dedupKey ?? undefined).then(
      (outcome) => {
        if (outcome === 'duplicate') {
          stats.duplicates++
          unrouted.add(payload)
          packet.retain = false
        } else {
          bump(stats.stored, record.kind)
          onStored(record)
        }
        if (packet.qos !== 0) done(null)
      },
      (err: unknown) => {
        const code = isMotcuaError(err) ? err.code : 'EDGE_STORE_FAILED'
        bump(stats.storeFailures, code)
        stats.lastStoreFailure = { code, message: (err as Error).message, at: clock.now() }
        log.error({ err, code, device: state.device?.id, kind: record.kind }, 'store failed; not acknowledged')
        if (packet.qos !== 0) done(err instanceof Error ? err : new Error(String(err)))
      },
    )
    if (packet.qos === 0) done(null)
  }

  /** Only a first store counts: a resent ticket must not be counted or prompted twice. */
  function onStored(record: NewRecord): void {
    opts.onStored?.(record)
    if (record.kind !== 'ticket') return
    opts.misuse?.noteTicket(record)
    for (const p of promptsFor(site, record)) void publish(p.topic, p.body, false)
  }

  function raiseAlert(a: StuckAlert, ts: number): void {
    log.warn({ device: a.device, counter: a.counter, level: a.level, active: a.active }, 'stuck button alert')
    const body: DeviceAlertMessage = { v: 1, alert: 'stuck', active: a.active, level: a.level, repeats: a.repeats, ts }
    void publish(topics.alert(site.id, a.counter, a.device), body, true)
  }

  /** Resolves once the reply is out, so a caller that closes the connection next does not cut it off. */
  function refuse(state: ClientState, packet: PublishPacket, payload: Buffer, rejection: Rejection): Promise<void> {
    unrouted.add(payload)
    packet.retain = false
    bump(stats.rejected, rejection.code)
    stats.rejectedTotal++
    const device = state.device
    log.warn({ device: device?.id, topic: packet.topic, code: rejection.code, detail: rejection.message }, 'device message refused')
    if (!device) return Promise.resolve()
    const counter = downlinkCounter(device, packet.topic, site)
    if (!counter) return Promise.resolve()
    const reply: ErrorReplyMessage = { v: 1, code: rejection.code, message: rejection.message, topic: packet.topic }
    if (rejection.eventId !== undefined) reply.id = rejection.eventId
    return publish(topics.down(site.id, counter, device.id, 'error'), reply, false)
  }

  aedes.on('clientDisconnect', (client) => {
    const state = states.get(client)
    const device = state?.device
    if (device && sessions.get(device.id) === client) sessions.delete(device.id)
    if (stopping || !state || !device || state.online === false || state.replaced) return
    const counter = device.counter ?? state.statusCounter
    if (!counter) return
    state.online = false
    const record: NewRecord = { kind: 'device_status', counter, device: device.id, deviceKind: device.kind, online: false }
    outbox.append(record, clock.stamp()).then(
      () => bump(stats.stored, record.kind),
      (err: unknown) => log.error({ err, device: device.id }, 'offline status not stored'),
    )
    const offline: StatusMessage = { v: 1, online: false }
    void publish(topics.status(site.id, counter, device.id), offline, true)
  })
  aedes.on('clientError', (client, err) => log.info({ clientId: client.id, err: err.message }, 'client connection closed on error'))

  const publishDeviceConfigs = async (counter?: string) => {
    const jobs: Promise<void>[] = []
    for (const device of site.devices.values()) {
      if (!device.counter || (counter !== undefined && device.counter !== counter)) continue
      const message = deviceConfigFor(site, device.counter, duty.officerAt(device.counter))
      if (message) jobs.push(publish(topics.down(site.id, device.counter, device.id, 'config'), message, true))
    }
    await Promise.all(jobs)
  }
  const stopDutyListener = duty.onChange((counter) => void publishDeviceConfigs(counter))

  const handle = (conn: Duplex, remote: string) => {
    aedes.handle(conn)
    // Added after aedes' 'readable' listener, so it only observes the chunks aedes reads.
    const guard = new MqttFrameGuard(MAX_PACKET_BYTES)
    conn.on('data', (chunk: Buffer) => {
      if (guard.feed(chunk)) return
      stats.oversizedPackets++
      log.warn({ remote, limit: MAX_PACKET_BYTES }, 'oversized MQTT packet; connection dropped')
      conn.destroy()
    })
  }
  const tls: TlsFiles | undefined = cfg.tls ? { cert: readFileSync(cfg.tls.cert), key: readFileSync(cfg.tls.key) } : undefined
  const listeners: Listener[] = []
  try {
    listeners.push(await listenTcp({ host: cfg.host, port: cfg.mqttPort, tls }, handle))
    // A WebSocket message may carry several MQTT packets; the frame guard still bounds each packet.
    listeners.push(await listenWebSocket({ host: cfg.host, port: cfg.wsPort, tls, maxFrameBytes: 8 * MAX_PACKET_BYTES }, handle))
  } catch (err) {
    await Promise.all(listeners.map((l) => l.close()))
    await new Promise<void>((resolve) => aedes.close(() => resolve()))
    throw err
  }
  const [tcp, ws] = listeners as [Listener, Listener]

  await publish(topics.edgeStatus(site.id), { v: 1, online: true } satisfies StatusMessage, true)
  await publishDeviceConfigs()
  log.info({ mqtt: tcp.port, ws: ws.port, tls: Boolean(tls) }, 'broker listening')

  return {
    ports: { mqtt: tcp.port, ws: ws.port },
    stats,
    connectedClients: () => aedes.connectedClients,
    publishRetained: (topic, body) => publish(topic, body, true),
    async storeTicket(record, dedupKey) {
      bump(stats.received, record.kind)
      const outcome = await outbox.append(record, clock.stamp(), dedupKey)
      if (outcome === 'duplicate') stats.duplicates++
      else {
        bump(stats.stored, record.kind)
        onStored(record)
      }
      return outcome
    },
    async stop() {
      if (stopping) return
      stopping = true
      stopDutyListener()
      for (const [timer, refuseHeld] of held) {
        clearTimeout(timer)
        refuseHeld()
      }
      held.clear()
      await publish(topics.edgeStatus(site.id), { v: 1, online: false } satisfies StatusMessage, true)
      await new Promise<void>((resolve) => aedes.close(() => resolve()))
      await Promise.all(listeners.map((l) => l.close()))
      log.info({}, 'broker stopped')
    },
  }
}
