/**
 * The 2.x writer path (@influxdata/influxdb-client, /api/v2/write) against
 * VictoriaMetrics, which speaks that protocol: numeric fields arrive as
 * series, and a replayed batch is not counted twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startHub, type RunningHub } from '../../hub/main.js'
import { startVictoriaMetrics, type VictoriaMetrics } from '../support/victoria.js'
import { BASE_MS, batchOf, hubConfig, rating, ratings, request, TOKENS } from './helpers.js'

process.env.LOG_LEVEL ??= 'silent'

const SITE = 'ttpv-can-tho'
let vm: VictoriaMetrics
let hub: RunningHub

beforeAll(async () => {
  vm = await startVictoriaMetrics()
  hub = await startHub(hubConfig({ version: 2, url: vm.url, org: 'motcua', bucket: 'motcua', token: 'unused' }))
})

afterAll(async () => {
  await hub?.stop()
  await vm?.stop()
})

const post = (records: unknown[]) => request(`${hub.url}/v1/batches`, { token: TOKENS[SITE], body: batchOf(SITE, records) })

const sampleCount = (series: { values: number[] }[]) => series.reduce((n, s) => n + s.values.length, 0)

describe('2.x writer against VictoriaMetrics', () => {
  it('numeric and boolean fields arrive as series with the point tags and millisecond times', async () => {
    const res = await post([rating(1, { level: 4, score: 0, dissatisfied: true, officer: 'cb-le-chi' })])
    expect(res.status).toBe(200)
    await vm.flush()
    const score = await vm.exportSeries('{__name__="rating_score"}')
    expect(score).toHaveLength(1)
    expect(score[0]?.metric).toMatchObject({ site: SITE, counter: 'q1', department: 'tu-phap', officer: 'cb-le-chi', level: '4', scale: '4' })
    expect(score[0]?.values).toEqual([0])
    expect(score[0]?.timestamps).toEqual([BASE_MS + 1000])
    expect((await vm.exportSeries('{__name__="rating_dissatisfied"}'))[0]?.values).toEqual([1])
    expect((await vm.exportSeries('{__name__="rating_device_ts"}'))[0]?.values).toEqual([BASE_MS + 850])
  })

  it('a batch replayed five times is stored once', async () => {
    const batch = ratings(100, 60)
    for (let i = 0; i < 5; i++) expect((await post(batch)).status).toBe(200)
    await vm.flush()
    const seq = await vm.exportSeries('{__name__="rating_seq", officer="none"}')
    const seqs = seq.flatMap((s) => s.values).filter((v) => v >= 100 && v < 160)
    expect(seqs).toHaveLength(30) // even seqs have no officer
    expect(new Set(seqs).size).toBe(30)
    expect(sampleCount(await vm.exportSeries('{__name__="rating_score"}'))).toBe(61)
  })

  it('answers 503 when VictoriaMetrics refuses the write, and healthz reflects its state', async () => {
    expect((await request(`${hub.url}/healthz`)).status).toBe(200)
    // A point past year 2262 never reaches the writer: the hub rejects the record itself.
    const res = await post([{ ...rating(200), t: 9.3e12 }])
    expect(res.status).toBe(200)
    expect((res.body as { accepted: number }).accepted).toBe(0)
    await vm.stop()
    const down = await post([rating(201)])
    expect(down.status).toBe(503)
    expect((down.body as { error: { code: string } }).error.code).toBe('HUB_DB_UNAVAILABLE')
    expect((await request(`${hub.url}/healthz`)).status).toBe(503)
  })
})
