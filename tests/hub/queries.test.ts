/**
 * The query layer against a real influxd holding the seeded demo data
 * (written through the hub's own mapping and writer): KPIs counted in the
 * database must equal hub/kpi's pure functions over the same records, for
 * every grouping and period unit, whether the daily rollup has not run yet
 * (everything read from raw points), has caught up, or is behind on a few
 * site-days that received late data; and the hand-checked edge cases hold.
 */
process.env.LOG_LEVEL ??= 'silent'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../common/log.js'
import { hubConfigSchema } from '../../hub/config/schema.js'
import { createWriter, type MarkingWriter } from '../../hub/rollup/writer.js'
import { toPoint } from '../../hub/influx/points.js'
import type { EdgeRecord } from '../../protocol/records.js'
import { createRollup, type Rollup } from '../../hub/rollup/worker.js'
import { staleSiteDays, staleStatement } from '../../hub/queries/ratings.js'
import { aggregateQueue } from '../../hub/kpi/queue.js'
import { aggregateRatings } from '../../hub/kpi/ratings.js'
import type { Dimension } from '../../hub/kpi/grouping.js'
import { createInfluxQuery } from '../../hub/queries/client.js'
import { createDirectory } from '../../hub/queries/directory.js'
import { querySiteHealth } from '../../hub/queries/health.js'
import { queryQueueKpis } from '../../hub/queries/queue.js'
import { CAMERA_DOWN_STATES } from '../../hub/kpi/alerts/camera.js'
import { uptime, type StateChange } from '../../hub/kpi/uptime.js'
import { queryRatingKpis } from '../../hub/queries/ratings.js'
import type { PeriodChoice } from '../../hub/queries/periods.js'
import { DEMO_SITES, generateDemoData, writeDemoData, type DemoSiteData } from '../../scripts/lib/demo-data.js'
import { startInfluxd, type Influxd } from '../../testkit/influxd.js'
import { demoFacts, rating, rounded, DEMO_PROVINCE } from './helpers.js'

const DAY = 86_400_000
// A fixed instant keeps the seeded data, and so the expected figures, reproducible.
const END = Date.UTC(2026, 10, 22, 0, 22)
const DAYS = 40
const log = createLogger('test', 'silent')

let influxd: Influxd
let data: DemoSiteData[]
let writer: MarkingWriter
let rollup: Rollup
const config = (url: string) =>
  hubConfigSchema.parse({
    influx: { version: 1, url, database: 'motcua' },
    edges: DEMO_SITES.map((s) => ({ site: s.id, tokenHash: `sha256:${'0'.repeat(64)}` })),
    ...DEMO_PROVINCE,
  })

beforeAll(async () => {
  influxd = await startInfluxd()
  data = generateDemoData({ end: END, days: DAYS })
  const cfg = config(influxd.url)
  writer = createWriter(cfg.influx, { log })
  await writeDemoData(writer, data)
  rollup = createRollup({ db: createInfluxQuery(cfg.influx), writer: writer.rollup, dir: createDirectory(cfg), log })
}, 120_000)

afterAll(async () => {
  await writer?.close()
  await influxd?.stop()
})

async function staleCount(): Promise<number> {
  const db = createInfluxQuery(config(influxd.url).influx)
  const [series] = await db.run([staleStatement(db, 0, END + DAY, undefined)])
  return [...staleSiteDays(series ?? []).values()].reduce((n, s) => n + s.size, 0)
}

/**
 * Late data after the rollup ran, as an edge back from days offline would
 * send it: a rating four days ago, and a visit of the Center called again at
 * another counter before it was finished, which moves its "served" there.
 */
async function writeLateData(): Promise<void> {
  const center = data.find((d) => d.site === 'ct-center')!
  const day4 = END - 4 * DAY
  const calls = center.records.filter((r): r is Extract<EdgeRecord, { kind: 'ticket' }> => r.kind === 'ticket' && r.t < day4)
  const finish = calls.find((r) => r.event === 'finished')!
  const called = calls.filter((r) => r.event === 'called' && r.ticket === finish.ticket && r.t < finish.t && r.t > finish.t - DAY).at(-1)!
  const other = calls.find((r) => r.counter !== called.counter && r.department !== called.department)!
  let seq = Math.max(...center.records.map((r) => r.seq))
  const rating = center.records.find((r) => r.kind === 'rating' && r.t > day4)!
  const late: EdgeRecord[] = [
    { ...rating, seq: ++seq, t: rating.t + 1, eventId: `late-${seq}`.padEnd(8, '0') } as EdgeRecord,
    { ...called, seq: ++seq, t: Math.floor((called.t + finish.t) / 2), counter: other.counter, department: other.department, eventId: `late-${seq}`.padEnd(8, '0') },
  ]
  center.records.push(...late)
  center.records.sort((a, b) => a.t - b.t)
  await writer.write(late.map((r) => toPoint(center.site, r)))
}

const facts = () => demoFacts(data)

const inRange = (from: number, to: number) => (f: { t: number }) => f.t >= from && f.t < to

const ROLLUP_STATES = [
  { state: 'before the rollup ran (raw points only)', enter: async () => expect(await staleCount()).toBeGreaterThan(100) },
  {
    state: 'with the rollup caught up',
    enter: async () => {
      await rollup.catchUp()
      expect(await staleCount()).toBe(0)
    },
  },
  {
    state: 'with late data on rolled-up days (rollup behind)',
    enter: async () => {
      await writeLateData()
      expect(await staleCount()).toBe(2)
    },
  },
  {
    state: 'with the late data rolled up',
    enter: async () => {
      await rollup.catchUp()
      expect(await staleCount()).toBe(0)
    },
  },
]

describe.each(ROLLUP_STATES)('rating KPIs counted in InfluxDB equal the pure KPI functions $state', ({ enter }) => {
  beforeAll(enter, 120_000)

  const cases: { groupBy: Dimension[]; unit: 'day' | 'week' | 'month' | 'quarter' | 'year'; days: number; sites?: string[] }[] = [
    // One or a few sites: months, quarters and years are counted per day and rolled up.
    { groupBy: ['counter'], unit: 'month', days: DAYS, sites: ['ct-center'] },
    { groupBy: ['site', 'officer'], unit: 'quarter', days: DAYS, sites: ['ct-center', 'ct-cai-rang'] },
    { groupBy: ['department'], unit: 'year', days: DAYS, sites: ['ct-ninh-kieu'] },
    { groupBy: ['province'], unit: 'month', days: DAYS },
    { groupBy: ['branch'], unit: 'week', days: 20 },
    { groupBy: ['site'], unit: 'day', days: 5 },
    { groupBy: ['counter'], unit: 'month', days: DAYS },
    // Two months of the province cube: one statement for both (pairWindow).
    { groupBy: ['department'], unit: 'month', days: DAYS },
    { groupBy: ['department'], unit: 'year', days: DAYS },
    { groupBy: ['officer'], unit: 'quarter', days: DAYS },
    { groupBy: ['site', 'department'], unit: 'week', days: 14 },
  ]
  for (const c of cases) {
    it(`by ${c.groupBy.join('+')} per ${c.unit}${c.sites ? ` at ${c.sites.join(', ')}` : ''}`, async () => {
      const cfg = config(influxd.url)
      const db = createInfluxQuery(cfg.influx)
      const dir = createDirectory(cfg)
      const period: PeriodChoice = { unit: c.unit, fromMs: END - c.days * DAY, toMs: END }
      const got = await queryRatingKpis(db, dir, { groupBy: c.groupBy, period, filter: c.sites ? { site: c.sites } : {} })
      // The query widens the range to whole periods; the reference gets the records of the same span.
      const first = got[0]!.period.start
      const last = got.at(-1)!.period.end
      const f = facts()
      const mine = (x: { site: string }) => !c.sites || c.sites.includes(x.site)
      const want = aggregateRatings(f.ratings.filter(inRange(first, last)).filter(mine), {
        groupBy: c.groupBy,
        period: c.unit,
        tickets: c.groupBy.includes('officer') ? undefined : f.tickets.filter(inRange(first, last)).filter(mine),
      })
      expect(got.length).toBeGreaterThan(0)
      expect(rounded(got)).toEqual(rounded(want))
    })
  }

  it('a live window and a site/department filter', async () => {
    const cfg = config(influxd.url)
    const db = createInfluxQuery(cfg.influx)
    const period: PeriodChoice = { unit: 'live', nowMs: END - 2 * DAY, windowMs: 6 * 3_600_000 }
    const got = await queryRatingKpis(db, createDirectory(cfg), {
      groupBy: ['counter'],
      period,
      filter: { site: ['ct-center', 'ct-cai-rang'], department: ['tu-phap'] },
      includeMisuse: true,
    })
    const f = facts()
    const keep = (x: { site: string; department: string; t: number }) =>
      ['ct-center', 'ct-cai-rang'].includes(x.site) && x.department === 'tu-phap' && x.t > END - 2 * DAY - 6 * 3_600_000 && x.t <= END - 2 * DAY
    const want = aggregateRatings(f.ratings.filter(keep), {
      groupBy: ['counter'],
      period: { unit: 'live', now: END - 2 * DAY, windowMs: 6 * 3_600_000 },
      includeMisuse: true,
      tickets: f.tickets.filter(keep),
    })
    expect(rounded(got)).toEqual(rounded(want))
    expect(got.every((g) => g.key.site !== 'ct-ninh-kieu')).toBe(true)
  })

  it('queue KPIs equal aggregateQueue over the same ticket events', async () => {
    const cfg = config(influxd.url)
    const db = createInfluxQuery(cfg.influx)
    const got = await queryQueueKpis(db, createDirectory(cfg), {
      groupBy: ['counter'],
      period: { unit: 'week', fromMs: END - 10 * DAY, toMs: END },
      filter: { site: ['ct-ninh-kieu'] },
    })
    const first = got[0]!.period.start
    const last = got.at(-1)!.period.end
    const f = facts()
    const keep = (x: { site: string; t: number }) => x.site === 'ct-ninh-kieu' && x.t >= first && x.t < last
    const want = aggregateQueue(f.tickets.filter(keep), f.ratings.filter(keep), { groupBy: ['counter'], period: 'week' })
    expect(got.length).toBeGreaterThan(0)
    expect(rounded(got)).toEqual(rounded(want))
  })
})

describe('site health', () => {
  it('device and camera uptime equal hub/kpi uptime over the same state changes, with the state before the range', async () => {
    const cfg = config(influxd.url)
    const from = END - 6 * 3_600_000
    const to = END + 1
    const { sites } = await querySiteHealth(createInfluxQuery(cfg.influx), createDirectory(cfg), undefined, from, to)
    for (const d of data) {
      const devices = new Map<string, StateChange[]>()
      const cameras = new Map<string, StateChange[]>()
      for (const r of d.records) {
        if (r.kind === 'device_status') devices.set(r.device, [...(devices.get(r.device) ?? []), { t: r.t, up: r.online }])
        if (r.kind === 'camera_status') cameras.set(r.camera, [...(cameras.get(r.camera) ?? []), { t: r.t, up: !CAMERA_DOWN_STATES.has(r.state) }])
      }
      const mean = (m: Map<string, StateChange[]>) => {
        const shares = [...m.values()].map((c) => uptime(c, from, to).share!)
        return shares.reduce((a, b) => a + b, 0) / shares.length
      }
      const got = sites.find((s) => s.id === d.site)!
      expect(got.devices.total).toBe(devices.size)
      expect(got.devices.uptimeShare).toBeCloseTo(mean(devices), 9)
      expect(got.cameras.total).toBe(cameras.size)
      expect(got.cameras.uptimeShare).toBeCloseTo(mean(cameras), 9)
      const lastHealth = d.records.filter((r) => r.kind === 'edge_health').at(-1)!
      expect(got.lastSeenAt).toBe(lastHealth.t)
    }
    // The scripted faults: a kiosk of the Center offline for the last 3 h, the branch's hall camera refusing credentials.
    expect(sites.find((s) => s.id === 'ct-center')!.devices.uptimeShare!).toBeLessThan(1)
    expect(sites.find((s) => s.id === 'ct-ninh-kieu')!.cameras.up).toBe(1)
  })
})

describe('hand-checked cases', () => {
  const SITE = 'hand-checked'
  const T0 = Date.UTC(2026, 5, 10, 3) // 10:00 local, 10 June 2026
  beforeAll(async () => {
    const cfg = config(influxd.url)
    const writer = createWriter(cfg.influx, { log })
    const r = (seq: number, counter: string, level: number, misuse: 'rapid' | 'stuck' | null) =>
      toPoint(SITE, { ...rating(seq, { counter, level, score: [100, 66.7, 33.3, 0][level - 1]!, dissatisfied: level === 4, misuse, officer: null, ticket: null }), t: T0 + seq * 1000 } as never)
    await writer.write([
      r(1, 'one', 2, null),
      r(2, 'misuse', 1, 'rapid'),
      r(3, 'misuse', 1, 'stuck'),
      r(4, 'misuse', 4, 'rapid'),
    ])
    await writer.close()
  })

  it.each(['from raw points', 'from the rollup'])('one rating, all misuse, and no ratings at all, %s', async (source) => {
    if (source === 'from the rollup') await rollup.catchUp()
    const cfg = config(influxd.url)
    const db = createInfluxQuery(cfg.influx)
    const [stale] = await db.run([staleStatement(db, T0 - DAY, T0 + DAY, [SITE])])
    expect(stale!.length).toBe(source === 'from raw points' ? 1 : 0)
    const got = await queryRatingKpis(db, createDirectory(cfg), {
      groupBy: ['counter'],
      period: { unit: 'day', fromMs: T0, toMs: T0 + 1 },
      filter: { site: [SITE] },
    })
    expect(got.map((g) => g.key)).toEqual([{ site: SITE, counter: 'misuse' }, { site: SITE, counter: 'one' }])
    const [misuse, one] = got.map((g) => g.kpis)
    expect(one).toMatchObject({ presses: 1, counted: 1, satisfactionIndex: 66.7, dissatisfiedShare: 0, ticketsServed: 0, ratingsPerTicket: null })
    expect(one!.decision766).toEqual({ rated: 1, notDissatisfied: 1, rate: 1, points: 6 })
    expect(misuse).toMatchObject({ presses: 3, counted: 0, misuse: 3, misuseByKind: { rapid: 2, stuck: 1, excess: 0 }, satisfactionIndex: null, dissatisfiedShare: null, levels: [] })
    expect(misuse!.decision766).toEqual({ rated: 0, notDissatisfied: 0, rate: null, points: null })
    const none = await queryRatingKpis(db, createDirectory(cfg), {
      groupBy: ['counter'],
      period: { unit: 'day', fromMs: T0 - 30 * DAY, toMs: T0 - 29 * DAY },
      filter: { site: [SITE] },
    })
    expect(none).toEqual([])
  })
})
