/**
 * A simulated hall queue system on one MQTT connection, as a device of
 * `kind: queue` (docs/protocol.md): for each counter citizens take tickets,
 * the counter calls them in order when free and finishes each after a
 * service, and every step is published as a `ticket` message at QoS 1 with
 * an event id that a resend keeps. The demo (`npm start`) runs it beside the
 * rating boxes, so queue KPIs, kiosk prompts and the misuse filter's ticket
 * check have tickets to work on.
 */
import mqtt, { type MqttClient } from 'mqtt'
import { createLogger, stripCredentials, type Logger } from '../../common/log.js'
import type { Random } from '../../common/random.js'
import { statusMessage, ticketMessage, type TicketMessage } from '../../protocol/messages.js'
import { topics } from '../../protocol/topics.js'
import { eventIdFactory } from '../simulator/behaviour.js'
import { arrivalGapMs, CounterQueue, firstNumber, QUEUE, serviceMs } from './behaviour.js'

export interface QueueSimOptions {
  /** mqtt://, mqtts://, ws:// or wss:// */
  url: string
  site: string
  /** The queue system's device id and secret. */
  device: { id: string; secret: string }
  counters: readonly string[]
  /** Citizens per minute per counter who rate, as the rating boxes are set (devices/simulator `hall`). */
  ratePerMinute: number
  /** PEM of the CA that signed the broker's certificate. */
  ca?: string | Buffer
  log?: Logger
  random?: Random
  now?: () => number
  /** Citizens waiting at each counter at the start; default QUEUE.openingQueue. */
  openingQueue?: number
}

export interface QueueSimStats {
  connected: boolean
  /** Ticket events published, by event. */
  issued: number
  called: number
  finished: number
  /** Events the edge acknowledged (PUBACK). */
  acked: number
  /** Citizens waiting now, over all counters. */
  waiting: number
  /** Mean time from ticket to call of the tickets called so far, ms; null before the first call. */
  meanWaitMs: number | null
}

export interface QueueSim {
  stats(): QueueSimStats
  /** Stops issuing and calling, waits up to drainMs for outstanding PUBACKs, then disconnects. */
  stop(opts?: { drainMs?: number }): Promise<QueueSimStats>
}

export function startQueueSim(o: QueueSimOptions): QueueSim {
  if (o.counters.length === 0) throw new RangeError('no counters to queue for')
  const log = (o.log ?? createLogger('queue-sim')).child({ module: 'queue-sim', device: o.device.id })
  const now = o.now ?? Date.now
  const random = o.random ?? Math.random
  const nextId = eventIdFactory(o.device.id)
  const startedAt = now()
  const timers = new Set<NodeJS.Timeout>()
  const counts = { issued: 0, called: 0, finished: 0, acked: 0 }
  let pending = 0
  let waitedMs = 0
  let running = true
  // The queue system's own status goes under its first counter: it has none of its own (edge/ingest/acl.ts).
  const statusTopic = topics.status(o.site, o.counters[0]!, o.device.id)

  const client: MqttClient = mqtt.connect(o.url, {
    clientId: o.device.id,
    username: o.device.id,
    password: o.device.secret,
    // A persistent session: events in flight when the link dropped are resent with their ids.
    clean: false,
    protocolVersion: 4,
    keepalive: 30,
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
    will: { topic: statusTopic, payload: Buffer.from(JSON.stringify(statusMessage.parse({ v: 1, online: false }))), qos: 1, retain: true },
    ...(o.ca ? { ca: o.ca, rejectUnauthorized: true } : {}),
  })
  client.on('connect', () => {
    client.publish(statusTopic, JSON.stringify(statusMessage.parse({ v: 1, online: true, kind: 'queue', fw: 'motcua-queue-sim/1' })), { qos: 1, retain: true })
  })
  client.on('error', (err) => log.warn({ err: err.message }, 'mqtt error'))

  const after = (ms: number, fn: () => void) => {
    if (!running) return
    const timer = setTimeout(() => {
      timers.delete(timer)
      if (running) fn()
    }, ms)
    timers.add(timer)
  }

  const send = (counter: string, ticket: string, event: TicketMessage['event']) => {
    const message = ticketMessage.parse({ v: 1, id: nextId(), ts: now(), ticket, event })
    counts[event]++
    pending++
    client.publish(topics.ticket(o.site, counter), JSON.stringify(message), { qos: 1 }, (err) => {
      pending--
      if (err) log.debug({ id: message.id, err: err.message }, 'ticket not published')
      else counts.acked++
    })
  }

  const queues = o.counters.map((counter) => new CounterQueue(counter, firstNumber(startedAt)))
  const tryCall = (q: CounterQueue) => {
    const call = q.callNext(now())
    if (!call) return
    waitedMs += call.waitedMs
    send(q.counter, call.ticket, 'called')
    after(serviceMs(random), () => {
      const done = q.finish()
      if (done) send(q.counter, done, 'finished')
      tryCall(q)
    })
  }
  const arrive = (q: CounterQueue) => {
    send(q.counter, q.issue(now()), 'issued')
    tryCall(q)
    after(arrivalGapMs(o.ratePerMinute, now() - startedAt, random), () => arrive(q))
  }
  for (const q of queues) {
    for (let i = 0; i < (o.openingQueue ?? QUEUE.openingQueue); i++) send(q.counter, q.issue(now()), 'issued')
    tryCall(q)
    after(arrivalGapMs(o.ratePerMinute, 0, random), () => arrive(q))
  }
  log.info({ url: stripCredentials(o.url), site: o.site, counters: o.counters.length }, 'queue simulator started')

  const stats = (): QueueSimStats => ({
    connected: client.connected,
    ...counts,
    waiting: queues.reduce((n, q) => n + q.length, 0),
    meanWaitMs: counts.called === 0 ? null : waitedMs / counts.called,
  })

  let stopping: Promise<QueueSimStats> | undefined
  return {
    stats,
    stop(opts = {}) {
      stopping ??= (async () => {
        running = false
        for (const t of timers) clearTimeout(t)
        timers.clear()
        const deadline = Date.now() + (opts.drainMs ?? 0)
        while (pending > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
        if (client.connected) {
          const offline = JSON.stringify(statusMessage.parse({ v: 1, online: false, kind: 'queue' }))
          await Promise.race([client.publishAsync(statusTopic, offline, { qos: 1, retain: true }).catch(() => undefined), new Promise((r) => setTimeout(r, 2000))])
        }
        await Promise.race([client.endAsync(pending > 0).catch(() => undefined), new Promise((r) => setTimeout(r, 2000))])
        if (!client.disconnected) client.end(true)
        const final = stats()
        log.info({ ...final }, 'queue simulator stopped')
        return final
      })()
      return stopping
    },
  }
}
