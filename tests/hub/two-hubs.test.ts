/** Statelessness: two hub instances on one influxd, interleaved and duplicated batches, exactly the expected points. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startHub, type RunningHub } from '../../hub/main.js'
import { startInfluxd, type Influxd } from '../../testkit/influxd.js'
import { batchOf, hubConfig, influxCount, influxQuery, ratings, request, TOKENS } from './helpers.js'

process.env.LOG_LEVEL ??= 'silent'

const DB = 'motcua_two_hubs'
let influx: Influxd
let hubs: RunningHub[] = []

beforeAll(async () => {
  influx = await startInfluxd()
  const config = hubConfig({ version: 1, url: influx.url, database: DB })
  hubs = [await startHub(config), await startHub(config)]
})

afterAll(async () => {
  await Promise.all(hubs.map((h) => h.stop()))
  await influx?.stop()
})

describe('two hub instances, one database', () => {
  it('interleaved batches from two sites, some sent to both hubs at once, give each point exactly once', async () => {
    const [a, b] = hubs as [RunningHub, RunningHub]
    const send = (hub: RunningHub, site: keyof typeof TOKENS, from: number, n: number) =>
      request(`${hub.url}/v1/batches`, { token: TOKENS[site], body: batchOf(site, ratings(from, n)) })
    const answers = await Promise.all([
      send(a, 'ttpv-can-tho', 0, 100),
      send(b, 'ttpv-can-tho', 100, 100),
      send(a, 'chi-nhanh-tay-ho', 0, 100), // same seqs, other site: different series
      // The same batch to both at once, as after a load balancer retry.
      send(a, 'ttpv-can-tho', 200, 100),
      send(b, 'ttpv-can-tho', 200, 100),
      send(b, 'chi-nhanh-tay-ho', 100, 50),
      // A replay of the first batch through the other hub.
      send(b, 'ttpv-can-tho', 0, 100),
    ])
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200, 200])
    expect(await influxCount(influx.url, DB, 'rating')).toBe(300 + 150)
    const perSite = await influxQuery(influx.url, DB, 'SELECT count(seq) FROM rating GROUP BY site')
    expect(Object.fromEntries(perSite.map((s) => [s.tags?.site, s.values[0]?.[1]]))).toEqual({ 'ttpv-can-tho': 300, 'chi-nhanh-tay-ho': 150 })
  })
})
