import mqtt, { type MqttClient } from 'mqtt'
import { createLogger } from '../../common/log.js'
import { startBroker, type EdgeBroker } from '../../edge/broker/broker.js'
import { officerSignIn, type OfficerHandler } from '../../edge/broker/officer.js'
import type { EdgeConfig } from '../../edge/config/schema.js'
import { DutyRoster } from '../../edge/ingest/duty.js'
import { buildSiteIndex, type SiteIndex } from '../../edge/ingest/site.js'
import { ManualClock } from './manual-clock.js'
import { MemoryOutbox } from './memory-outbox.js'
import type { TestDevice } from './edge-site.js'

export interface BrokerHarness {
  broker: EdgeBroker
  outbox: MemoryOutbox
  clock: ManualClock
  duty: DutyRoster
  site: SiteIndex
  clients: MqttClient[]
  connect(device: TestDevice | null, opts?: { transport?: 'tcp' | 'ws'; password?: string; clientId?: string; will?: mqtt.IClientOptions['will'] }): Promise<MqttClient>
  close(): Promise<void>
}

/** A real aedes edge broker on loopback port 0 with an in-memory outbox. */
export async function startTestBroker(config: EdgeConfig, opts: { onOfficer?: OfficerHandler | 'default' } = {}): Promise<BrokerHarness> {
  const outbox = new MemoryOutbox()
  const clock = new ManualClock()
  const site = buildSiteIndex(config)
  const duty = new DutyRoster(site)
  const onOfficer = opts.onOfficer === 'default' ? officerSignIn(site, duty, { now: () => clock.now() }) : opts.onOfficer
  const broker = await startBroker({ site, duty, outbox, clock, log: createLogger('test', 'silent'), ...(onOfficer ? { onOfficer } : {}) })
  const clients: MqttClient[] = []
  return {
    broker,
    outbox,
    clock,
    duty,
    site,
    clients,
    async connect(device, opts = {}) {
      const url = opts.transport === 'ws' ? `ws://127.0.0.1:${broker.ports.ws}/mqtt` : `mqtt://127.0.0.1:${broker.ports.mqtt}`
      const client = mqtt.connect(url, {
        clientId: opts.clientId ?? (device ? `${device.id}-${Math.random().toString(36).slice(2, 8)}` : undefined),
        username: device?.id,
        password: opts.password ?? device?.secret,
        reconnectPeriod: 0,
        connectTimeout: 5000,
        ...(opts.will ? { will: opts.will } : {}),
      })
      clients.push(client)
      await new Promise<void>((resolve, reject) => {
        client.once('connect', () => resolve())
        client.once('error', reject)
      })
      return client
    },
    async close() {
      await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)))
      await broker.stop()
    },
  }
}

/** Resolves with the next message on a topic the client is subscribed to, or rejects after timeoutMs (an "it comes at all" bound). */
export function nextMessage(client: MqttClient, topic: string, timeoutMs = 20_000): Promise<{ payload: unknown; retain: boolean }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('message', onMessage)
      reject(new Error(`no message on ${topic} within ${timeoutMs} ms`))
    }, timeoutMs)
    const onMessage = (t: string, payload: Buffer, packet: { retain: boolean }) => {
      if (t !== topic) return
      clearTimeout(timer)
      client.off('message', onMessage)
      resolve({ payload: JSON.parse(payload.toString('utf8')) as unknown, retain: packet.retain })
    }
    client.on('message', onMessage)
  })
}
