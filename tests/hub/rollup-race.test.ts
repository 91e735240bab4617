/**
 * KPI answers while the rollup is rewriting: every answer must equal the pure
 * KPI functions over the same records, whichever of its writes the rollup has
 * made. The rollup backfills days written before it existed (every site-day
 * stale, nothing in the cubes), and the test decides when each of its writes
 * lands: one or two of them between two statements of a query (the rewrite of
 * a site-day racing the query's reads), or between two queries (a query
 * entirely between a recount's cube write and its state write).
 */
process.env.LOG_LEVEL ??= 'silent'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../common/log.js'
import { hubConfigSchema } from '../../hub/config/schema.js'
import type { Point } from '../../hub/influx/line-protocol.js'
import type { PointWriter } from '../../hub/influx/writer.js'
import { createWriter } from '../../hub/rollup/writer.js'
import { createV1Writer } from '../../hub/influx/writer-v1.js'
import type { Dimension } from '../../hub/kpi/grouping.js'
import { aggregateRatings } from '../../hub/kpi/ratings.js'
import { bucketOf } from '../../hub/kpi/time.js'
import { createInfluxQuery, type InfluxQuery } from '../../hub/queries/client.js'
import { createDirectory } from '../../hub/queries/directory.js'
import type { PeriodChoice } from '../../hub/queries/periods.js'
import { queryRatingKpis, staleSiteDays, staleStatement } from '../../hub/queries/ratings.js'
import { createRollup } from '../../hub/rollup/worker.js'
import { DEMO_SITES, generateDemoData, writeDemoData, type DemoSiteData } from '../../scripts/lib/demo-data.js'
import { startInfluxd, type Influxd } from '../../testkit/influxd.js'
import { waitFor } from '../../testkit/wait.js'
import { demoFacts, rounded } from './helpers.js'

const DAY = 86_400_000
// 02:07 in Vietnam on the 1st: the last whole month ended two hours ago (local), as in the failed report run.
const END = Date.UTC(2026, 10, 30, 19, 7)
// The whole of November and the night of 1 December.
const DAYS = 31
const log = createLogger('test', 'silent')

let influxd: Influxd
let data: DemoSiteData[]
const influx = () => ({ version: 1 as const, url: influxd.url, database: 'race' })
const config = () =>
  hubConfigSchema.parse({
    influx: influx(),
    edges: DEMO_SITES.map((s) => ({ site: s.id, tokenHash: `sha256:${'0'.repeat(64)}` })),
    province: 'can-tho',
    sites: DEMO_SITES.map((s) => ({ id: s.id, name: s.name, ...(s.placement.branch ? { branch: s.placement.branch } : {}) })),
  })

beforeAll(async () => {
  influxd = await startInfluxd()
  data = generateDemoData({ end: END, days: DAYS })
  // Raw points only, as a hub without the rollup (or a restore) left them.
  const bare = createV1Writer(influx(), { log })
  await writeDemoData(bare, data)
  await bare.close()
}, 120_000)

afterAll(async () => {
  await influxd?.stop()
})

/** The rollup's writes, each held until the test lets it go. */
function heldWriter(inner: PointWriter) {
  const held: { go: () => void; landed: Promise<void> }[] = []
  return {
    writer: {
      write(points: readonly Point[]) {
        let go = () => {}
        const allowed = new Promise<void>((resolve) => (go = resolve))
        const landed = allowed.then(() => inner.write(points))
        held.push({ go, landed })
        return landed
      },
      ping: () => inner.ping(),
      close: async () => {},
    } satisfies PointWriter,
    held: () => held.length,
    /** Lets the oldest held write go; resolves once the database has it. */
    release() {
      const next = held.shift()!
      next.go()
      return next.landed
    },
  }
}

/** A query client that runs statements one request at a time, in the order asked, calling `after(n)` once the n-th has answered. */
function stepped(db: InfluxQuery, after: (n: number) => Promise<void>): InfluxQuery {
  let chain: Promise<unknown> = Promise.resolve()
  let n = 0
  const inTurn = <T>(request: () => Promise<T>): Promise<T> => {
    const mine = chain.then(async () => {
      const answer = await request()
      await after(++n)
      return answer
    })
    chain = mine.catch(() => undefined)
    return mine
  }
  return {
    rollup: db.rollup,
    run: (statements, opts) => inTurn(() => db.run(statements, opts)),
    each: (statement, onSeries) => inTurn(() => db.each(statement, onSeries)),
  }
}

describe('KPI answers while the rollup backfills and rewrites site-days', () => {
  const month = bucketOf(bucketOf(END, 'month').start - 1, 'month')
  const monthOf = { unit: 'month', fromMs: month.start, toMs: month.end } as const
  const cases: { name: string; groupBy: Dimension[]; period: PeriodChoice; filter: { site?: string[]; department?: string[] } }[] = [
    // The monthly report's two questions, per department and per site.
    { name: 'department month', groupBy: ['department'], period: monthOf, filter: { department: ['tu-phap'] } },
    { name: 'site month by counter', groupBy: ['counter', 'department'], period: monthOf, filter: { site: ['ct-center'] } },
    { name: 'every site by week', groupBy: ['site'], period: { unit: 'week', fromMs: END - 14 * DAY, toMs: END }, filter: {} },
    { name: 'two sites by month, read by day', groupBy: ['site', 'officer'], period: { unit: 'month', fromMs: END - DAYS * DAY, toMs: END }, filter: { site: ['ct-center', 'ct-cai-rang'] } },
  ]

  const expected = async (c: (typeof cases)[number], got: Awaited<ReturnType<typeof queryRatingKpis>>) => {
    // The query widens the range to whole periods; the reference gets the records of the same span.
    const first = c.period.unit === 'live' ? 0 : bucketOf(c.period.fromMs, c.period.unit).start
    const last = got.at(-1)?.period.end ?? first
    const f = demoFacts(data)
    const keep = (x: { site: string; department: string; t: number }) =>
      x.t >= first && x.t < last && (!c.filter.site || c.filter.site.includes(x.site)) && (!c.filter.department || c.filter.department.includes(x.department))
    return aggregateRatings(f.ratings.filter(keep), {
      groupBy: c.groupBy,
      period: c.period.unit as 'month',
      tickets: c.groupBy.includes('officer') ? undefined : f.tickets.filter(keep),
    })
  }

  it('equal the pure KPI functions whichever of the rollup writes have landed, between queries or between their statements', async () => {
    const cfg = config()
    const db = createInfluxQuery(cfg.influx)
    const dir = createDirectory(cfg)
    const writer = createWriter(cfg.influx, { log })
    const hold = heldWriter(writer.rollup)
    const rollup = createRollup({ db, writer: hold.writer, dir, log, intervalMs: 1 })
    const stale = async () => {
      const [series] = await db.run([staleStatement(db, 0, END + DAY, undefined)])
      return [...staleSiteDays(series ?? []).values()].reduce((n, s) => n + s.size, 0)
    }
    const writes: string[] = []
    // Lets the rollup's next write land, once it has asked to make one; false when it has nothing left to write.
    const step = async () => {
      const more = await waitFor("the rollup's next write, or its end", async () => (hold.held() ? 'write' : (await stale()) === 0 ? 'done' : null))
      if (more === 'done') return false
      writes.push(`w${writes.length + 1}`)
      await hold.release()
      return true
    }

    rollup.start()
    // The backfill's marks: until they are written the raw days look rolled up and empty (the hub waits for ready()).
    const ready = rollup.ready()
    await waitFor("the backfill's marks", () => hold.held())
    await hold.release()
    await ready
    expect(await stale()).toBe(3 * DAYS)

    const wrong: string[] = []
    let finished = false
    // Bounded: each day is one recount of two writes; every round lets one or two of them land.
    for (let round = 0; round < 400 && !finished; round++) {
      const c = cases[round % cases.length]!
      // After which statement of the query the writes land (past its last statement: after the query), and how many:
      // one, one, two, so each question also starts with a recount halfway (cubes written, state not yet) now and then.
      const at = 1 + (Math.floor(round / cases.length) % 4)
      const count = round % 3 === 2 ? 2 : 1
      let landed = false
      const land = async () => {
        landed = true
        for (let i = 0; i < count && !finished; i++) finished = !(await step())
      }
      const got = await queryRatingKpis(
        stepped(db, (n) => (n === at ? land() : Promise.resolve())),
        dir,
        { groupBy: c.groupBy, period: c.period, filter: c.filter },
      )
      const want = await expected(c, got)
      if (JSON.stringify(rounded(got)) !== JSON.stringify(rounded(want))) {
        const presses = (groups: typeof got) => groups.reduce((n, g) => n + g.kpis.presses, 0)
        wrong.push(`${c.name}: ${presses(got)} presses, not ${presses(want)} (writes landed after statement ${at}, ${writes.length} so far)`)
      }
      if (!landed) await land()
    }
    expect(finished).toBe(true)
    expect(await stale()).toBe(0)
    expect(wrong).toEqual([])
    await rollup.stop()
    await writer.close()
  }, 120_000)
})
