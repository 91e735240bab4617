/** InfluxDB with authentication on: the 1.x writer signs in, and the password never reaches a log line. */
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startHub, type RunningHub } from '../../hub/main.js'
import { startInfluxd, type Influxd } from '../../testkit/influxd.js'
import { batchOf, hubConfig, ratings, request, TOKENS } from './helpers.js'

const SITE = 'ttpv-can-tho'
const ADMIN = { username: 'motcua', password: 'pw-4f9c2e7a1b' }
let influx: Influxd
const hubs: RunningHub[] = []
let logText = ''
const log = pino({ level: 'debug' }, new Writable({ write: (chunk, _enc, done) => ((logText += String(chunk)), done()) }))

beforeAll(async () => {
  influx = await startInfluxd({ admin: ADMIN })
})

afterAll(async () => {
  await Promise.all(hubs.map((h) => h.stop()))
  await influx?.stop()
})

async function count(): Promise<number> {
  const q = new URLSearchParams({ db: 'motcua_auth', q: 'SELECT count(seq) FROM rating', u: ADMIN.username, p: ADMIN.password })
  const json = (await (await fetch(`${influx.url}/query?${q}`)).json()) as { results: { series?: { values: [string, number][] }[] }[] }
  return json.results[0]?.series?.[0]?.values[0]?.[1] ?? 0
}

describe('1.x writer with InfluxDB authentication', () => {
  it('creates the database and writes with the configured user', async () => {
    const hub = await startHub(hubConfig({ version: 1, url: influx.url, database: 'motcua_auth', ...ADMIN }), { log })
    hubs.push(hub)
    const res = await request(`${hub.url}/v1/batches`, { token: TOKENS[SITE], body: batchOf(SITE, ratings(1, 10)) })
    expect(res.status).toBe(200)
    expect(await count()).toBe(10)
  })

  it('a wrong password is a 503 (the edge keeps its data), and the password is not logged', async () => {
    const hub = await startHub(hubConfig({ version: 1, url: influx.url, database: 'motcua_auth', username: ADMIN.username, password: 'wrong-pw-77' }), { log })
    hubs.push(hub)
    const res = await request(`${hub.url}/v1/batches`, { token: TOKENS[SITE], body: batchOf(SITE, ratings(11, 10)) })
    expect(res.status).toBe(503)
    expect(await count()).toBe(10)
    expect(logText).toMatch(/database write failed/)
    expect(logText).not.toContain(ADMIN.password)
    expect(logText).not.toContain('wrong-pw-77')
    expect(logText).not.toContain(Buffer.from(`${ADMIN.username}:wrong-pw-77`).toString('base64'))
    expect(logText).not.toMatch(/authorization: basic/i)
    expect(logText).not.toContain(TOKENS[SITE])
  })
})
