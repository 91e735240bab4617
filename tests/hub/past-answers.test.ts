/**
 * Past answers kept for the drill-down (hub/queries/past-answers.ts) against
 * a real influxd holding the demo data, written through the hub's marking
 * writer and rolled up by its worker. Every view read with the kept answers
 * must equal the same view read without them, at every level, before and
 * after a late rating, the rollup's recount of it, and a rating of today;
 * the epoch moves with past days only; small bounds keep nothing, or evict.
 */
process.env.LOG_LEVEL ??= 'silent'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../common/log.js'
import { DAY_MS } from '../../common/time.js'
import { levelView, type LevelView, type Scope } from '../../hub/console/data.js'
import { hubConfigSchema } from '../../hub/config/schema.js'
import { toPoint } from '../../hub/influx/points.js'
import { bucketOf, type PeriodBucket } from '../../hub/kpi/time.js'
import { createInfluxQuery, type InfluxQuery } from '../../hub/queries/client.js'
import { createDirectory, type Directory } from '../../hub/queries/directory.js'
import { createPastAnswers, PAST_MARGIN_MS, runsOf, type PastAnswers } from '../../hub/queries/past-answers.js'
import { splitAt } from '../../hub/queries/ratings.js'
import { epochOf, epochStatement, touchesPast } from '../../hub/rollup/epoch.js'
import { localDayStart } from '../../hub/rollup/marks.js'
import { createRollup, type Rollup } from '../../hub/rollup/worker.js'
import { createWriter, type MarkingWriter } from '../../hub/rollup/writer.js'
import type { Principal } from '../../hub/users/roles.js'
import type { EdgeRecord } from '../../protocol/records.js'
import { DEMO_SITES, generateDemoData, writeDemoData, type DemoSiteData } from '../../scripts/lib/demo-data.js'
import { DEMO_PROVINCE } from './helpers.js'
import { startInfluxd, type Influxd } from '../../testkit/influxd.js'

// The kept answers' clock stands still at the start: a test crossing the midnight after cannot move their past.
const T0 = Date.now()
const clock = () => T0
// Demo data ending three days ago: its last days are past, and today's rating below is today's.
const END = localDayStart(T0) - 2 * DAY_MS - 3_600_000
const log = createLogger('test', 'silent')
const inspector: Principal = { username: 'thanhtra', name: 'T', role: 'inspector' }

let influxd: Influxd
let data: DemoSiteData[]
let writer: MarkingWriter
let rollup: Rollup
let db: InfluxQuery
let dir: Directory

beforeAll(async () => {
  influxd = await startInfluxd()
  const cfg = hubConfigSchema.parse({
    influx: { version: 1, url: influxd.url, database: 'motcua' },
    edges: DEMO_SITES.map((s) => ({ site: s.id, tokenHash: `sha256:${'0'.repeat(64)}` })),
    ...DEMO_PROVINCE,
  })
  data = generateDemoData({ end: END, days: 60 })
  writer = createWriter(cfg.influx, { log })
  await writeDemoData(writer, data)
  db = createInfluxQuery(cfg.influx)
  dir = createDirectory(cfg)
  rollup = createRollup({ db, writer: writer.rollup, dir, log })
  await rollup.catchUp()
}, 180_000)

afterAll(async () => {
  await writer?.close()
  await influxd?.stop()
})

const epoch = async () => epochOf((await db.run([epochStatement(db)]))[0] ?? [])

/** Every scope of the drill-down under the province, found by opening each row, in the order a person would. */
async function everyView(period: PeriodBucket, past?: PastAnswers): Promise<LevelView[]> {
  const views: LevelView[] = []
  const open = async (scope: Scope) => {
    const v = (await levelView(db, dir, inspector, scope, period, past))!
    views.push(v)
    for (const row of v.rows) if (row.level !== 'officer') await open({ level: row.level, id: row.id })
  }
  await open({ level: 'province', id: '' })
  await open({ level: 'province', id: '', by: 'department' })
  return views
}

/** An edge's late rating, for a counter of the Center at `t`. */
async function writeRating(t: number, id: string): Promise<void> {
  const center = data.find((d) => d.site === 'ct-center')!
  const like = center.records.find((r): r is Extract<EdgeRecord, { kind: 'rating' }> => r.kind === 'rating')!
  const seq = Math.max(...center.records.map((r) => r.seq)) + 1
  const record = { ...like, seq, t, eventId: id.padEnd(8, '0') }
  center.records.push(record)
  await writer.write([toPoint(center.site, record)])
}

describe('past answers for the drill-down', () => {
  const month = bucketOf(END, 'month')
  const quarter = bucketOf(END, 'quarter')

  it('answers every level as a read without them does, and the second walk reads only today and the epoch', async () => {
    const past = createPastAnswers({ rollupDays: 1827, now: clock })
    for (const period of [month, quarter]) {
      const plain = await everyView(period)
      expect(plain.length).toBeGreaterThan(10)
      expect(plain[0]!.total!.presses).toBeGreaterThan(100)
      expect(await everyView(period, past)).toEqual(plain)
      const { misses } = past.stats()
      expect(misses).toBeGreaterThan(0)
      expect(await everyView(period, past)).toEqual(plain)
      // The periods end before today: the second walk reads no cube.
      expect(past.stats().misses).toBe(misses)
      expect(past.stats().hits).toBeGreaterThanOrEqual(misses)
    }
  })

  it('a late rating moves the epoch; the next answer has it, its recount moves the epoch again', async () => {
    const past = createPastAnswers({ rollupDays: 1827, now: clock })
    const before = await everyView(month, past)
    const e0 = await epoch()
    // A past day of the month, whatever day of the month today is.
    await writeRating(Math.max(month.start + 3_600_000, END - DAY_MS), 'late-one')
    const e1 = await epoch()
    expect(e1).not.toBe(e0)
    const after = await everyView(month, past)
    expect(after[0]!.total!.presses).toBe(before[0]!.total!.presses + 1)
    expect(past.stats().epoch).toBe(e1)
    expect(after).toEqual(await everyView(month))
    await rollup.catchUp()
    expect(await epoch()).not.toBe(e1)
    expect(await everyView(month, past)).toEqual(after)
    expect(await everyView(month, past)).toEqual(await everyView(month))
  })

  it("a rating of today leaves the epoch, and this month's view has it from today's raw points", async () => {
    const past = createPastAnswers({ rollupDays: 1827, now: clock })
    const now = bucketOf(T0, 'month')
    const before = await everyView(now, past)
    const e0 = await epoch()
    const at = Date.now()
    await writeRating(at, 'today-one')
    // The writer judges a past day on the wall clock: a write that crossed midnight did move the epoch.
    if (localDayStart(Date.now()) === localDayStart(at)) expect(await epoch()).toBe(e0)
    else expect(await epoch()).not.toBe(e0)
    const after = await everyView(now, past)
    expect(after[0]!.total!.presses).toBe((before[0]!.total?.presses ?? 0) + 1)
    expect(after).toEqual(await everyView(now))
  })

  it('keeps no answer larger than its bound, and evicts the oldest past the total', async () => {
    const none = createPastAnswers({ rollupDays: 1827, maxAnswerValues: 1, now: clock })
    const plain = await everyView(quarter)
    expect(await everyView(quarter, none)).toEqual(plain)
    // Only empty answers are kept: they hold no row.
    expect(none.stats().values).toBe(0)
    const few = createPastAnswers({ rollupDays: 1827, maxValues: 3000, now: clock })
    expect(await everyView(quarter, few)).toEqual(plain)
    expect(few.stats().values).toBeLessThanOrEqual(3000)
    expect(few.stats().answers).toBeGreaterThan(0)
    expect(await everyView(quarter, few)).toEqual(plain)
  })

  it('an older turn that read another epoch neither keeps nor uses answers', async () => {
    const past = createPastAnswers({ rollupDays: 1827, now: clock })
    const old = await past.turn(db)
    await writeRating(END - 9 * DAY_MS, 'late-two')
    await everyView(month, past)
    const { answers, values } = past.stats()
    let read = 0
    // About a past day, so only the epoch keeps it from being kept.
    await old.answer('SELECT 1', localDayStart(END) - DAY_MS, localDayStart(END), async (on) => void on({ name: 'x', columns: ['time', 'n'], values: [[0, 1]] }), () => read++)
    expect(read).toBe(1)
    expect(past.stats()).toMatchObject({ answers, values })
    expect(old.maybeStale(month.start)).toBeNull()
    await rollup.catchUp()
  })
})

describe('past and present (pure)', () => {
  it('the past ends at the local midnight before now minus the margin', () => {
    const midnight = localDayStart(Date.UTC(2026, 11, 6, 12))
    const past = createPastAnswers({ rollupDays: 30 })
    const fake = { rollup: '', run: async () => [[]] }
    return Promise.all([
      past.turn(fake, midnight + PAST_MARGIN_MS - 1).then((t) => expect(t.horizon).toBe(midnight - DAY_MS)),
      past.turn(fake, midnight + PAST_MARGIN_MS).then((t) => {
        expect(t.horizon).toBe(midnight)
        expect(t.keptFrom).toBe(midnight - 28 * DAY_MS)
      }),
    ])
  })

  it('a write moves the epoch when it reaches before today', () => {
    const now = Date.UTC(2026, 11, 6, 3)
    expect(touchesPast(new Map([[localDayStart(now), new Set(['a'])]]), now)).toBe(false)
    expect(touchesPast(new Map([[localDayStart(now), new Set(['a'])], [localDayStart(now) - DAY_MS, new Set(['a'])]]), now)).toBe(true)
  })

  it('a part is cut at the horizon only when it spans it', () => {
    const w = { fromMs: 0, toMs: 10 * DAY_MS }
    expect(splitAt({ window: w, fromMs: 0, toMs: 10 * DAY_MS }, 4 * DAY_MS).map((p) => [p.fromMs, p.toMs])).toEqual([[0, 4 * DAY_MS], [4 * DAY_MS, 10 * DAY_MS]])
    expect(splitAt({ window: w, fromMs: 0, toMs: 4 * DAY_MS }, 4 * DAY_MS)).toHaveLength(1)
  })

  it('days kept as stale are read again as stretches of consecutive days, or as one when they are many', () => {
    const d = (n: number) => n * DAY_MS
    expect(runsOf([])).toEqual([])
    expect(runsOf([d(9), d(1), d(2), d(3)])).toEqual([[d(1), d(4)], [d(9), d(10)]])
    expect(runsOf([d(1), d(3), d(5), d(7), d(9)])).toEqual([[d(1), d(10)]])
  })

  it('epochOf reads count and largest stamp', () => {
    expect(epochOf([])).toBe('0:')
    expect(epochOf([{ name: 'kpi_epoch', columns: ['time', 'count', 'max'], values: [[0, 3, 17]] }])).toBe('3:17')
  })
})
