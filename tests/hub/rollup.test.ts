/**
 * The daily KPI rollup: its pure parts on hand-made facts, and the worker
 * against a real influxd — recounting is idempotent, and a write that lands
 * while a day is being counted leaves that day stale instead of lost.
 */
process.env.LOG_LEVEL ??= 'silent'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../common/log.js'
import type { RatingRecord } from '../../protocol/records.js'
import { hubConfigSchema } from '../../hub/config/schema.js'
import { toLineProtocol, toPoint } from '../../hub/influx/points.js'
import type { Point } from '../../hub/influx/line-protocol.js'
import { createWriter } from '../../hub/rollup/writer.js'
import { createV1Writer } from '../../hub/influx/writer-v1.js'
import type { PointWriter } from '../../hub/influx/writer.js'
import type { RatingFact, TicketFact } from '../../hub/kpi/facts.js'
import { ratingKpisFromTallies } from '../../hub/kpi/ratings.js'
import { createInfluxQuery, type InfluxQuery } from '../../hub/queries/client.js'
import { createDirectory } from '../../hub/queries/directory.js'
import { queryRatingKpis, staleSiteDays, staleStatement } from '../../hub/queries/ratings.js'
import { coarsen, cubeFor, decodeCells, encodeCells, rollupPoints, siteDayCells, siteOffsetNs, talliesOfRow } from '../../hub/rollup/cells.js'
import { changedSiteDays, localDayStart, markPoints } from '../../hub/rollup/marks.js'
import { createRollup } from '../../hub/rollup/worker.js'
import { countSiteDays, ROW_LIMIT } from '../../hub/rollup/count.js'
import { COUNT_UP_TO_SITES } from '../../hub/queries/planning.js'
import { startInfluxd, type Influxd } from '../../testkit/influxd.js'
import { waitFor } from '../../testkit/wait.js'
import { rating } from './helpers.js'

const DAY = 86_400_000
const place = { province: 'p', branch: null }
const fact = (o: Partial<RatingFact>): RatingFact => ({
  t: 0, ...place, site: 's1', department: 'd1', counter: 'q1', officer: 'o1', scale: 4, level: 1, score: 100, dissatisfied: false, misuse: null, ticket: null, ...o,
})
const ticket = (t: number, counter: string, event: TicketFact['event'], no = 'A1'): TicketFact => ({ t, ...place, site: 's1', department: `dep-${counter}`, counter, ticket: no, event })

describe('rollup cells (pure)', () => {
  const T = Date.UTC(2026, 10, 20, 3)

  it('counts presses per cell, misuse by kind, and served visits at the counter that last called them', () => {
    const cells = siteDayCells(
      [fact({ level: 1 }), fact({ level: 1, misuse: 'rapid' }), fact({ level: 4, officer: null }), fact({ counter: 'q2', scale: 3, level: 2 })],
      [ticket(T, 'rec', 'issued'), ticket(T + 60_000, 'q1', 'called'), ticket(T + 90_000, 'q2', 'called'), ticket(T + 600_000, 'q2', 'finished'), ticket(T, 'rec', 'issued', 'A2')],
    )
    const byKey = Object.fromEntries(cells.map((c) => [`${c.tags.counter}/${c.tags.officer}`, c.fields]))
    expect(byKey).toEqual({
      'q1/o1': { n4_1: 2, m4_1_rapid: 1 },
      'q1/none': { n4_4: 1 },
      'q2/o1': { n3_2: 1 },
      'q2/none': { served: 1 },
    })
    const site = coarsen(cells, 'site')
    expect(site).toHaveLength(1)
    expect(site[0]!.fields).toEqual({ n4_1: 2, m4_1_rapid: 1, n4_4: 1, n3_2: 1, served: 1 })
  })

  it('gives back the same tallies, misuse apart, as the facts they came from', () => {
    const facts = [fact({ level: 2 }), fact({ level: 2, misuse: 'stuck' }), fact({ level: 2, misuse: 'rapid' }), fact({ level: 3 })]
    const [site] = coarsen(siteDayCells(facts, []), 'site')
    const { tallies, served } = talliesOfRow(Object.keys(site!.fields).map((f) => `sum_${f}`), Object.values(site!.fields))
    expect(served).toBe(0)
    const kpis = ratingKpisFromTallies(tallies)
    expect(kpis).toMatchObject({ presses: 4, counted: 2, misuse: 2, misuseByKind: { rapid: 1, stuck: 1, excess: 0 } })
    expect(kpis.satisfactionIndex).toBeCloseTo((66.7 + 33.3) / 2, 9)
  })

  it('writes 0 for every field a cell had before and has no more', () => {
    // Last time the visit was served at q1 by department dep-q1; now q1 only has a rating of department d1.
    const before = decodeCells(encodeCells(siteDayCells([], [ticket(T, 'q1', 'called'), ticket(T + 1000, 'q1', 'finished')])))
    const now = siteDayCells([fact({})], [])
    const points = rollupPoints('s1', localDayStart(T), now, before)
    const of = (m: string) => points.filter((p) => p.measurement === m)
    expect(of('kpi_counter')).toHaveLength(2)
    expect(of('kpi_counter').find((p) => p.tags.officer === 'none')!.fields).toEqual({ served: 0 })
    expect(of('kpi_counter').find((p) => p.tags.officer === 'o1')!.fields).toEqual({ n4_1: 1 })
    expect(of('kpi_department').map((p) => [p.tags.department, p.fields])).toEqual([['d1', { n4_1: 1 }], ['dep-q1', { served: 0 }]])
    expect(of('kpi_site').map((p) => p.fields)).toEqual([{ n4_1: 1, served: 0 }])
    // Day points sit on local midnight and serialise as integers; the province cube puts each site at its own nanosecond of the day.
    expect(toLineProtocol(points)).toContain(`kpi_site,site=s1 n4_1=1i,served=0i ${localDayStart(T)}000000`)
    expect((localDayStart(T) + 7 * 3_600_000) % DAY).toBe(0)
    const province = of('kpi_province').map((p) => BigInt(p.timestampNs) - BigInt(localDayStart(T)) * 1_000_000n)
    expect(new Set(province)).toEqual(new Set([siteOffsetNs('s1')]))
    expect(siteOffsetNs('s1')).toBeLessThan(86_400_000_000_000n)
    expect(siteOffsetNs('s2')).not.toBe(siteOffsetNs('s1'))
  })

  it('answers from the smallest cube that has the tags asked for', () => {
    expect(cubeFor([])).toBe('province')
    expect(cubeFor(['department'])).toBe('province')
    expect(cubeFor(['site'])).toBe('site')
    expect(cubeFor(['site', 'department'])).toBe('department')
    expect(cubeFor(['counter'])).toBe('counter')
    expect(cubeFor(['site', 'officer'])).toBe('counter')
  })

  it('marks each site and local day a write touches, ratings and tickets only', () => {
    const r = (t: number, site: string): Point => ({ measurement: 'rating', tags: { site }, fields: {}, timestampNs: `${t}000123` })
    const eveningUtc = Date.UTC(2026, 10, 20, 16, 59) // 23:59 local
    const changes = changedSiteDays([r(eveningUtc, 'a'), r(eveningUtc + 60_000, 'a'), r(eveningUtc, 'b'), { ...r(eveningUtc, 'c'), measurement: 'heartbeat' }])
    expect([...changes].map(([d, s]) => [d, [...s].sort()])).toEqual([
      [Date.UTC(2026, 10, 19, 17), ['a', 'b']],
      [Date.UTC(2026, 10, 20, 17), ['a']],
    ])
    expect(markPoints(changes, 42)[0]).toMatchObject({ measurement: 'kpi_state', fields: { changed: 42, rolled: 0 } })
  })
})

describe('rollup worker against influxd', () => {
  let influxd: Influxd
  const log = createLogger('test', 'silent')
  const SITE = 'ct-center'
  const T0 = Date.UTC(2026, 10, 18, 2) // 09:00 local
  const config = () =>
    hubConfigSchema.parse({
      influx: { version: 1, url: influxd.url, database: 'rollup_test' },
      edges: [{ site: SITE, tokenHash: `sha256:${'0'.repeat(64)}` }],
    })
  const ratingPoint = (seq: number, level: number): Point =>
    toPoint(SITE, { ...rating(seq, { level, score: [100, 66.7, 33.3, 0][level - 1]!, dissatisfied: level === 4, officer: null, ticket: null, misuse: null }), t: T0 + seq * 1000 } as RatingRecord)

  beforeAll(async () => {
    influxd = await startInfluxd()
  }, 60_000)
  afterAll(async () => {
    await influxd?.stop()
  })

  const presses = async () => {
    const cfg = config()
    const got = await queryRatingKpis(createInfluxQuery(cfg.influx), createDirectory(cfg), { groupBy: ['site'], period: { unit: 'day', fromMs: T0, toMs: T0 + 1 }, filter: {} })
    return got[0]?.kpis.presses ?? 0
  }
  const stale = async () => {
    const db = createInfluxQuery(config().influx)
    const [series] = await db.run([staleStatement(db, T0 - DAY, T0 + DAY, undefined)])
    return staleSiteDays(series ?? []).size
  }

  it('counts a stuck button pressing all day in the database, the same as row by row', async () => {
    const cfg = { ...config(), influx: { version: 1 as const, url: influxd.url, database: 'rollup_stuck' } }
    const writer = createWriter(cfg.influx, { log })
    const day = localDayStart(T0)
    // One series past the row limit (same counter, device, officer and level), flagged stuck after the first press.
    const stuck = Array.from({ length: ROW_LIMIT + 10 }, (_, i) =>
      toPoint(SITE, { ...rating(i + 1, { counter: 'q1', device: 'kiosk-1', officer: null, level: 4, score: 0, dissatisfied: true, misuse: i ? 'stuck' : null, ticket: null }), t: T0 + i * 100 } as RatingRecord),
    )
    const calm = [1, 2, 3].map((i) => toPoint(SITE, { ...rating(ROW_LIMIT + 100 + i, { counter: 'q2', device: 'kiosk-2', level: i, score: 50, dissatisfied: false, misuse: i === 3 ? 'rapid' : null, ticket: null }), t: T0 + i } as RatingRecord))
    // Another site's ordinary day, read row by row when the whole day is asked for.
    const other = calm.map((p) => ({ ...p, tags: { ...p.tags, site: 'ct-other' } }))
    await writer.write([...stuck, ...calm, ...other])
    // A few named sites are counted by InfluxDB; the whole day, or many named sites, are read as rows until a series reaches the limit.
    const many = [SITE, ...Array.from({ length: COUNT_UP_TO_SITES }, (_, i) => `idle-${i}`)]
    for (const filter of [{ site: [SITE] }, {}, { site: many }]) {
      const counted = (await countSiteDays(createInfluxQuery(cfg.influx), createDirectory(cfg), day, filter)).get(SITE)!
      const fields = (counter: string) => coarsen(counted.filter((c) => c.tags.counter === counter), 'site')[0]?.fields
      expect(fields('q1')).toEqual({ n4_4: ROW_LIMIT + 10, m4_4_stuck: ROW_LIMIT + 9 })
      expect(fields('q2')).toEqual({ n4_1: 1, n4_2: 1, n4_3: 1, m4_3_rapid: 1 })
    }
    // Many named sites: only those, though the day was read whole.
    expect([...(await countSiteDays(createInfluxQuery(cfg.influx), createDirectory(cfg), day, { site: many })).keys()]).toEqual([SITE])
    const whole = await countSiteDays(createInfluxQuery(cfg.influx), createDirectory(cfg), day, {})
    expect(coarsen(whole.get('ct-other')!, 'site')[0]!.fields).toEqual({ n4_1: 1, n4_2: 1, n4_3: 1, m4_3_rapid: 1 })
    expect(whole.get('ct-other')!.map((c) => c.tags.counter)).toEqual(expect.arrayContaining(['q2']))
    await writer.close()
  })

  it('backfills days written before the rollup existed, once, when it starts on an empty state', async () => {
    const cfg = { ...config(), influx: { version: 1 as const, url: influxd.url, database: 'rollup_backfill' } }
    // Written by a bare writer: raw points, no marks (what an upgraded hub finds).
    const bare = createV1Writer(cfg.influx, { log })
    await bare.write([ratingPoint(1, 1), ratingPoint(2, 2), { ...ratingPoint(3, 3), timestampNs: `${T0 - 3 * DAY}000003` }])
    await bare.close()
    const db = createInfluxQuery(cfg.influx)
    const writer = createWriter(cfg.influx, { log })
    const rollup = createRollup({ db, writer: writer.rollup, dir: createDirectory(cfg), log, intervalMs: 20 })
    rollup.start()
    // The rollup's retention policy appears with its first write (the backfill's marks).
    const siteRows = async () =>
      (await db.run([`SELECT sum(*) FROM ${db.rollup}"kpi_site" WHERE time >= 0 GROUP BY time(1d, 17h) fill(none)`]).catch(() => []))[0]?.[0]?.values.length ?? 0
    await waitFor('two site-days rolled up', async () => (await siteRows()) >= 2)
    await rollup.stop()
    expect(await siteRows()).toBe(2)
    const [stale] = await db.run([staleStatement(db, 0, T0 + DAY, undefined)])
    expect(stale).toEqual([])
    await writer.close()
  })

  it('backfills again after a failed attempt, and is ready only once the days are marked', async () => {
    const cfg = { ...config(), influx: { version: 1 as const, url: influxd.url, database: 'rollup_backfill_retry' } }
    const bare = createV1Writer(cfg.influx, { log })
    await bare.write([ratingPoint(1, 1), ratingPoint(2, 4)])
    await bare.close()
    const real = createInfluxQuery(cfg.influx)
    // The database refuses every query at first, as one still starting when the hub does.
    let down = true
    const refused = () => Promise.reject(new Error('connect ECONNREFUSED'))
    const db: InfluxQuery = {
      rollup: real.rollup,
      run: (statements, opts) => (down ? refused() : real.run(statements, opts)),
      each: (statement, onSeries) => (down ? refused() : real.each(statement, onSeries)),
    }
    const writer = createWriter(cfg.influx, { log })
    const rollup = createRollup({ db, writer: writer.rollup, dir: createDirectory(cfg), log, intervalMs: 20, scanEveryMs: 50 })
    rollup.start()
    await expect(rollup.ready()).rejects.toThrow(/ECONNREFUSED/)
    down = false
    // The next scan backfills, and the rollup counts the day.
    const rolled = async () => (await real.run([`SELECT sum("n4_1"), sum("n4_4") FROM ${real.rollup}"kpi_site" WHERE time >= 0`]).catch(() => []))[0]?.[0]?.values[0]
    expect(await waitFor('the backfilled day rolled up', rolled)).toEqual([0, 1, 1])
    await rollup.ready()
    await rollup.stop()
    await writer.close()
  })

  it('starts quietly on a database that does not exist yet, and rolls up its first write', async () => {
    const cfg = { ...config(), influx: { version: 1 as const, url: influxd.url, database: 'rollup_first_start' } }
    const lines: { level: number; msg: string }[] = []
    const heard = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as { level: number; msg: string }) })
    const db = createInfluxQuery(cfg.influx)
    // The hub's writer creates the database as it starts; here it comes later, so the rollup surely starts before the database exists.
    const made: { writer?: ReturnType<typeof createWriter> } = {}
    const later: PointWriter = { write: (points) => made.writer!.rollup.write(points), ping: async () => true, close: async () => undefined }
    const rollup = createRollup({ db, writer: later, dir: createDirectory(cfg), log: heard, intervalMs: 20, scanEveryMs: 50 })
    rollup.start()
    // Deliberately lets the backfill and a few scans run against the missing database: none may complain.
    await new Promise((r) => setTimeout(r, 300))
    expect(lines.filter((l) => l.level >= 40)).toEqual([])
    const writer = (made.writer = createWriter(cfg.influx, { log }))
    writer.onChanged((changes) => rollup.changed(changes))
    await writer.write([ratingPoint(1, 1)])
    const cells = async () =>
      (await db.run([`SELECT sum(*) FROM ${db.rollup}"kpi_site" WHERE time >= 0`]).catch(() => []))[0]?.[0]?.values.length ?? 0
    await waitFor('the first write rolled up', cells)
    await rollup.stop()
    expect(lines.filter((l) => l.level >= 40)).toEqual([])
    await writer.close()
  })

  it('keeps a day stale when a write lands while it is being counted, and counts it next round', async () => {
    const cfg = config()
    const writer = createWriter(cfg.influx, { log })
    await writer.write([1, 2, 3].map((s) => ratingPoint(s, 1)))
    // The rollup's own writes go through this wrapper: before its first cube write, an edge's batch lands.
    let interleaved = false
    const meddling: PointWriter = {
      async write(points) {
        if (!interleaved && points.some((p) => p.measurement === 'kpi_site')) {
          interleaved = true
          await writer.write([ratingPoint(4, 4)])
        }
        await writer.rollup.write(points)
      },
      ping: () => writer.rollup.ping(),
      close: async () => {},
    }
    const rollup = createRollup({ db: createInfluxQuery(cfg.influx), writer: meddling, dir: createDirectory(cfg), log })
    expect(await stale()).toBe(1)
    rollup.changed(new Map([[localDayStart(T0), new Set([SITE])]]))
    rollup.start()
    // One round counted 3 presses while the 4th was being written; the day must still be stale.
    await waitFor('a batch landing during a round', () => interleaved)
    await rollup.stop()
    expect(await stale()).toBe(1)
    expect(await presses()).toBe(4)
    // A fresh rollup (another hub, or this one restarted) finds the stale day by scanning and finishes it.
    const again = createRollup({ db: createInfluxQuery(cfg.influx), writer: writer.rollup, dir: createDirectory(cfg), log })
    await again.catchUp()
    expect(await stale()).toBe(0)
    expect(await presses()).toBe(4)
    // Recounting a day that did not change changes nothing (idempotent, no double count).
    await writer.write([ratingPoint(4, 4)])
    await again.catchUp()
    expect(await presses()).toBe(4)
    await writer.close()
  })
})
