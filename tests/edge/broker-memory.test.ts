process.env.LOG_LEVEL ??= 'silent'
import { createRequire } from 'node:module'
import { connect as netConnect, type Socket } from 'node:net'
import mqttPacket, { type Packet } from 'mqtt-packet'
import { afterEach, expect, it } from 'vitest'
import { topics } from '../../protocol/topics.js'
import { testSite } from '../support/edge-site.js'
import { startTestBroker, type BrokerHarness } from '../support/edge-broker.js'

// The module whose id cache the broker must leave empty: the same instance aedes writes with (it ships no types).
const numbers = createRequire(import.meta.url)('mqtt-packet/numbers.js') as { cache: Record<number, Buffer> }

let h: BrokerHarness | null = null
let socket: Socket | null = null
afterEach(async () => {
  socket?.destroy()
  await h?.close()
})

it('acknowledges QoS 1 packet ids on both bytes without building the 65,536-buffer id cache', async () => {
  const site = testSite()
  h = await startTestBroker(site.config)
  const k1 = site.devices.k1!
  const s = netConnect(h.broker.ports.mqtt, '127.0.0.1')
  socket = s
  const parser = mqttPacket.parser()
  const received: Packet[] = []
  const waiters: (() => void)[] = []
  parser.on('packet', (p) => {
    received.push(p)
    for (const w of waiters.splice(0)) w()
  })
  s.on('data', (d) => parser.parse(d))
  const next = async (cmd: Packet['cmd']): Promise<Packet> => {
    for (;;) {
      const i = received.findIndex((p) => p.cmd === cmd)
      if (i >= 0) return received.splice(i, 1)[0]!
      await new Promise<void>((ok) => waiters.push(ok))
    }
  }

  s.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 30, clientId: `${k1.id}-raw`, username: k1.id, password: Buffer.from(k1.secret) }))
  expect(await next('connack')).toMatchObject({ returnCode: 0 })

  // Ids whose high byte, low byte or both are set: each PUBACK must carry the id it answers.
  const ids = [1, 0x00ff, 0x1234, 0xff00, 0xffff]
  const acked: number[] = []
  for (const [n, messageId] of ids.entries()) {
    const payload = JSON.stringify({ v: 1, id: `evt-memory-${n}`, ts: Date.UTC(2026, 10, 21, 7, 59), scale: 4, level: 3 })
    s.write(mqttPacket.generate({ cmd: 'publish', topic: topics.rating('ct-center', 'q1'), payload, qos: 1, messageId, retain: false, dup: false }))
    acked.push((await next('puback')).messageId!)
  }
  expect(acked).toEqual(ids)
  expect(h.outbox.ofKind('rating').map((r) => r.eventId)).toEqual(ids.map((_, n) => `evt-memory-${n}`))
  expect(mqttPacket.writeToStream.cacheNumbers).toBe(false)
  expect(Object.keys(numbers.cache)).toHaveLength(0)
})
