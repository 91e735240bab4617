/** Device → edge (real broker, LevelDB outbox, forwarder) → hub → influxd 1.6: the wiring in edge/main.ts end to end. */
process.env.LOG_LEVEL ??= 'silent'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashSecret } from '../../common/secrets.js'
import { edgeConfigSchema } from '../../edge/config/schema.js'
import { startEdge, type RunningEdge } from '../../edge/main.js'
import { hubConfigSchema } from '../../hub/config/schema.js'
import { startHub, type RunningHub } from '../../hub/main.js'
import { topics } from '../../protocol/topics.js'
import { influxRows } from '../hub/helpers.js'
import { testSite } from '../support/edge-site.js'
import { startInfluxd, type Influxd } from '../../testkit/influxd.js'
import { waitFor } from '../../testkit/wait.js'

const SITE = 'ct-center'
const DB = 'motcua_edge_e2e'
const TOKEN = 'edge-e2e-token-0123456789'
let influx: Influxd
let hub: RunningHub
let edge: RunningEdge
let dir: string
const site = testSite()

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'motcua-edge-e2e-'))
  influx = await startInfluxd()
  hub = await startHub(
    hubConfigSchema.parse({ http: { host: '127.0.0.1', port: 0 }, influx: { version: 1, url: influx.url, database: DB }, edges: [{ site: SITE, tokenHash: hashSecret(TOKEN) }] }),
  )
  edge = await startEdge(
    edgeConfigSchema.parse({ ...site.config, hub: { url: hub.url, token: TOKEN, backoffMinMs: 50, backoffMaxMs: 500 }, outbox: { dir: join(dir, 'outbox') } }),
  )
})

afterAll(async () => {
  await edge?.stop()
  await hub?.stop()
  await influx?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('edge end to end', () => {
  it('a rating PUBACKed by the edge reaches InfluxDB with its enrichment, and /healthz shows the delivery', async () => {
    const k1 = site.devices.k1!
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${edge.ports.mqtt}`, { clientId: k1.id, username: k1.id, password: k1.secret, reconnectPeriod: 0 })
    try {
      await client.publishAsync(topics.rating(SITE, 'q1'), JSON.stringify({ v: 1, id: 'e2e-rating-01', ts: Date.now(), scale: 4, level: 4, reasons: ['wait'] }), { qos: 1 })
      const rows = await waitFor('the rating in InfluxDB', async () => {
        const found = await influxRows(influx.url, DB, 'SELECT * FROM rating')
        return found.length > 0 ? found : null
      }, { everyMs: 200 })
      expect(rows).toHaveLength(1)
      expect(rows[0]).toMatchObject({ counter: 'q1', department: 'justice', officer: 'nguyen-van-a', score: 0, dissatisfied: true })
      // The hub writes the point before it answers 200, and the forwarder counts a record as delivered only once
      // it is removed from the outbox after that answer: seeing the row does not mean the count has moved yet.
      const health = await waitFor('the delivery counted in /healthz', async () => {
        const h = (await (await fetch(`http://127.0.0.1:${edge.ports.http}/healthz`)).json()) as { status: string; forwarder: { delivered: number; lastSuccessAt: number | null } }
        return h.forwarder.delivered >= 1 ? h : null
      })
      expect(health.status).toBe('ok')
      expect(health.forwarder.delivered).toBeGreaterThanOrEqual(1)
      expect(health.forwarder.lastSuccessAt).not.toBeNull()
    } finally {
      await client.endAsync()
    }
  })
})
