/** InfluxDB down, hung and back: the hub answers 503 with Retry-After, never 200 for data it did not store. */
import http from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startHub, type RunningHub } from '../../hub/main.js'
import { startInfluxd, type Influxd } from '../../testkit/influxd.js'
import { metricSample } from '../../testkit/metrics.js'
import { waitFor } from '../../testkit/wait.js'
import { batchOf, hubConfig, influxCount, ratings, request, TOKENS } from './helpers.js'

process.env.LOG_LEVEL ??= 'silent'

const SITE = 'ttpv-can-tho'
const DB = 'motcua_outage'
let influx: Influxd
let hub: RunningHub

const post = (body: unknown) => request(`${hub.url}/v1/batches`, { token: TOKENS[SITE], body })

async function gauge(name: string): Promise<number> {
  const text = (await request(`${hub.url}/metrics`)).text
  return metricSample(text, name) ?? NaN
}

beforeAll(async () => {
  influx = await startInfluxd()
  // Down before the hub ever reached it: the database does not exist yet either.
  await influx.kill()
  hub = await startHub(hubConfig({ version: 1, url: influx.url, database: DB }, { maxConcurrentWrites: 1 }))
})

afterAll(async () => {
  influx?.resume()
  await hub?.stop()
  await influx?.stop()
})

describe('InfluxDB outage', () => {
  it('answers 503 HUB_DB_UNAVAILABLE with Retry-After while influxd is down, and healthz says so', async () => {
    const res = await post(batchOf(SITE, ratings(1, 10)))
    expect(res.status).toBe(503)
    expect(res.headers['retry-after']).toBe('7')
    expect(res.body).toEqual({ error: { code: 'HUB_DB_UNAVAILABLE', message: 'the database did not accept the write; retry later' } })
    expect((await request(`${hub.url}/healthz`)).status).toBe(503)
  })

  it('accepts the same batch once influxd is back, creating the database, and the data is there', async () => {
    await influx.start()
    const res = await post(batchOf(SITE, ratings(1, 10)))
    expect(res.status).toBe(200)
    expect(await influxCount(influx.url, DB, 'rating')).toBe(10)
    expect((await request(`${hub.url}/healthz`)).status).toBe(200)
  })

  it('survives a restart of influxd between batches, keeping what was written', async () => {
    await influx.kill()
    expect((await post(batchOf(SITE, ratings(11, 10)))).status).toBe(503)
    await influx.start()
    expect((await post(batchOf(SITE, ratings(11, 10)))).status).toBe(200)
    expect(await influxCount(influx.url, DB, 'rating')).toBe(20)
  })

  it('past maxConcurrentWrites it sheds with 503 HUB_OVERLOADED instead of queueing', async () => {
    await influx.pause()
    const hung = post(batchOf(SITE, ratings(21, 10)))
    await waitFor('the first request holding the only write slot', async () => (await gauge('motcua_hub_writes_in_flight')) >= 1)
    expect(await gauge('motcua_hub_writes_in_flight')).toBe(1)
    const shed = await post(batchOf(SITE, ratings(31, 10)))
    expect(shed.status).toBe(503)
    expect(shed.headers['retry-after']).toBe('7')
    expect((shed.body as { error: { code: string } }).error.code).toBe('HUB_OVERLOADED')
    influx.resume()
    expect((await hung).status).toBe(200)
    expect(await influxCount(influx.url, DB, 'rating')).toBe(30)
    const metrics = (await request(`${hub.url}/metrics`)).text
    expect(metrics).toMatch(/motcua_hub_unavailable_total\{reason="overloaded"\} 1\b/)
    expect(metrics).toMatch(/motcua_hub_unavailable_total\{reason="db"\} 2\b/)
  })

  it('an edge still uploading on a slow uplink does not hold the only write slot', async () => {
    const body = Buffer.from(JSON.stringify(batchOf(SITE, ratings(51, 10))))
    const slow = http.request(`${hub.url}/v1/batches`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKENS[SITE]}`, 'content-type': 'application/json', 'content-length': body.length },
    })
    const slowAnswer = new Promise<number>((resolve, reject) => {
      slow.on('response', (res) => (res.resume(), resolve(res.statusCode ?? 0)))
      slow.on('error', reject)
    })
    await new Promise((r) => slow.write(body.subarray(0, 100), r))
    // Lets the hub (in this process, with nothing to observe it by) read the head of the slow upload before the next batch.
    await new Promise((r) => setTimeout(r, 200))
    expect((await post(batchOf(SITE, ratings(61, 10)))).status).toBe(200)
    slow.end(body.subarray(100))
    expect(await slowAnswer).toBe(200)
    expect(await influxCount(influx.url, DB, 'rating')).toBe(50)
  })

  it('a hung influxd (SIGSTOP) becomes a 503 after the write timeout, not a stuck edge', async () => {
    const quick = await startHub(hubConfig({ version: 1, url: influx.url, database: DB }), { writeTimeoutMs: 500 })
    try {
      await influx.pause()
      const started = Date.now()
      const res = await request(`${quick.url}/v1/batches`, { token: TOKENS[SITE], body: batchOf(SITE, ratings(41, 10)) })
      expect(res.status, res.text).toBe(503)
      expect((res.body as { error: { code: string } }).error.code).toBe('HUB_DB_UNAVAILABLE')
      // The configured 500 ms write timeout answered, not the default 30 s one: half of that tells them apart.
      expect(Date.now() - started).toBeLessThan(15_000)
    } finally {
      influx.resume()
      await quick.stop()
    }
    // The edge sends the batch again; whether or not influxd applied the first try, the points exist once.
    expect((await post(batchOf(SITE, ratings(41, 10)))).status).toBe(200)
    expect(await influxCount(influx.url, DB, 'rating')).toBe(60)
  })
})
