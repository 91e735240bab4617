/**
 * The kiosk's MQTT connection over WebSocket to the edge broker: retained
 * online status with an offline last-will, heartbeats, its own downlink, and
 * QoS 1 publishes whose callback is the PUBACK.
 */
import mqtt, { type MqttClient } from 'mqtt'
import { topics, type DownlinkKind } from '../../../protocol/topics.js'
import { heartbeatPayload, statusPayload } from './messages.js'

export interface LinkOptions {
  url: string
  device: string
  secret: string
  site: string
  counter: string
  fw: string
  heartbeatMs: number
  now: () => number
  onUp: (up: boolean) => void
  onDownlink: (kind: DownlinkKind, text: string) => void
  onProblem: (message: string) => void
}

export interface Link {
  /** QoS 1; `done` runs on PUBACK (mqtt.js keeps and resends it across reconnects until then). */
  publish(topic: string, payload: string, done: (err?: Error) => void): void
  isUp(): boolean
  close(): void
}

export function openLink(o: LinkOptions): Link {
  const bootedAt = o.now()
  const statusTopic = topics.status(o.site, o.counter, o.device)
  const client: MqttClient = mqtt.connect(o.url, {
    clientId: o.device,
    username: o.device,
    password: o.secret,
    clean: true,
    keepalive: 30,
    // A fixed short period: one kiosk against its own site's edge, where a quick return matters more than backoff.
    reconnectPeriod: 2000,
    connectTimeout: 5000,
    resubscribe: false,
    will: { topic: statusTopic, payload: JSON.stringify(statusPayload(false, o.fw)), qos: 1, retain: true },
  })
  const downPrefix = topics.down(o.site, o.counter, o.device, 'config').replace(/config$/, '')

  client.on('connect', () => {
    client.subscribe(topics.downAll(o.site, o.counter, o.device), { qos: 1 }, (err) => {
      if (err) o.onProblem(`subscribe: ${err.message}`)
    })
    client.publish(statusTopic, JSON.stringify(statusPayload(true, o.fw)), { qos: 1, retain: true })
    o.onUp(true)
  })
  client.on('close', () => o.onUp(false))
  client.on('error', (err) => o.onProblem(err.message))
  client.on('message', (topic, payload) => {
    if (!topic.startsWith(downPrefix)) return
    o.onDownlink(topic.slice(downPrefix.length) as DownlinkKind, new TextDecoder().decode(payload))
  })

  const beat = setInterval(() => {
    if (client.connected) {
      client.publish(
        topics.heartbeat(o.site, o.counter, o.device),
        JSON.stringify(heartbeatPayload(o.now(), (o.now() - bootedAt) / 1000)),
        { qos: 0 },
      )
    }
  }, o.heartbeatMs)

  return {
    publish: (topic, payload, done) => client.publish(topic, payload, { qos: 1 }, (err) => done(err ?? undefined)),
    isUp: () => client.connected,
    close: () => {
      clearInterval(beat)
      client.end(true)
    },
  }
}
