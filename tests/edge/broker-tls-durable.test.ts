process.env.LOG_LEVEL ??= 'silent'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { afterAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../common/log.js'
import { edgeConfigSchema } from '../../edge/config/schema.js'
import { startEdge } from '../../edge/main.js'
import { openOutbox } from '../../edge/outbox/leveldb-outbox.js'
import { topics } from '../../protocol/topics.js'
import { makeTestPki } from '../../testkit/certs.js'
import { testSite } from '../support/edge-site.js'
import { startTestBroker } from '../support/edge-broker.js'

const SITE = 'ct-center'
const tmp = mkdtempSync(join(tmpdir(), 'motcua-edge-broker-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))
const rating = (id: string, level = 1) => JSON.stringify({ v: 1, id, ts: 1_763_711_000_000, scale: 4, level })
const silent = createLogger('test', 'silent')

describe('edge broker with TLS', () => {
  it('accepts devices over mqtts and wss, and refuses plain MQTT on the TLS port', async () => {
    const pki = makeTestPki(join(tmp, 'pki'))
    const { config, devices } = testSite()
    const tlsConfig = edgeConfigSchema.parse({ ...config, broker: { ...config.broker, tls: { cert: pki.serverCert, key: pki.serverKey } } })
    const h = await startTestBroker(tlsConfig)
    try {
      const k1 = devices.k1!
      for (const url of [`mqtts://localhost:${h.broker.ports.mqtt}`, `wss://localhost:${h.broker.ports.ws}/mqtt`]) {
        const client = await mqtt.connectAsync(url, { username: k1.id, password: k1.secret, ca: pki.caPem, reconnectPeriod: 0 })
        await client.publishAsync(topics.rating(SITE, 'q1'), rating(`evt-tls-${url.slice(0, 3)}1`), { qos: 1 })
        await client.endAsync()
      }
      expect(h.outbox.ofKind('rating').map((r) => r.eventId)).toEqual(['evt-tls-mqt1', 'evt-tls-wss1'])
      const plain = mqtt.connect(`mqtt://127.0.0.1:${h.broker.ports.mqtt}`, { username: k1.id, password: k1.secret, reconnectPeriod: 0 })
      plain.on('error', () => undefined)
      const outcome = await new Promise<string>((resolve) => {
        plain.once('connect', () => resolve('connected'))
        plain.once('close', () => resolve('closed'))
      })
      plain.end(true)
      expect(outcome).toBe('closed')
    } finally {
      await h.close()
    }
  })
})

describe('edge broker with the LevelDB outbox', () => {
  it('a PUBACKed rating is on disk: still there after the edge stops and the outbox is reopened', async () => {
    const { config, devices } = testSite()
    const dir = join(tmp, 'outbox')
    const edge = await startEdge(edgeConfigSchema.parse({ ...config, outbox: { dir } }), { log: silent, forward: false })
    const k1 = devices.k1!
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${edge.ports.mqtt}`, { username: k1.id, password: k1.secret, reconnectPeriod: 0 })
    await client.publishAsync(topics.rating(SITE, 'q1'), rating('evt-durable1', 3), { qos: 1 })
    await client.publishAsync(topics.rating(SITE, 'q1'), rating('evt-durable1', 3), { qos: 1 })
    await client.endAsync()
    await edge.stop()

    const outbox = await openOutbox({ ...edgeConfigSchema.parse({ ...config, outbox: { dir } }).outbox, log: silent, now: () => Date.now() })
    try {
      const ratings = (await outbox.peek(100)).map((e) => e.record).filter((r) => r.kind === 'rating')
      expect(ratings).toEqual([
        expect.objectContaining({ eventId: 'evt-durable1', counter: 'q1', department: 'justice', officer: 'nguyen-van-a', level: 3, score: 33.3, dissatisfied: false }),
      ])
    } finally {
      await outbox.close()
    }
  })
})
