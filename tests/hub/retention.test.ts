/**
 * Retention (docs/retention.md): the config's checks, the pure rules, and
 * the sweep against a real influxd holding 20 days of the demo province with
 * short retentions: what expired is gone, each state's last point and every
 * whole audit chain are kept, and every KPI over the kept days (and the
 * rollup's older days) is what it was before the sweep.
 */
process.env.LOG_LEVEL ??= 'silent'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../common/log.js'
import { verifyChains } from '../../common/audit-chain.js'
import { auditEntries, createAuditLog } from '../../hub/audit/audit.js'
import { RETENTION_DAYS_DEFAULTS, retentionConfigSchema, type RetentionConfig } from '../../hub/config/retention.js'
import { hubConfigSchema } from '../../hub/config/schema.js'
import { DELIVERY_MEASUREMENT } from '../../hub/delivery/log.js'
import { HUB_MEASUREMENTS, MEASUREMENTS, ROLLUP_MEASUREMENTS } from '../../hub/influx/schema.js'
import { toPoint } from '../../hub/influx/points.js'
import { bucketOf } from '../../hub/kpi/time.js'
import { createInfluxQuery } from '../../hub/queries/client.js'
import { createDirectory } from '../../hub/queries/directory.js'
import { querySiteHealth } from '../../hub/queries/health.js'
import { queryQueueKpis } from '../../hub/queries/queue.js'
import { queryRatingKpis, staleSiteDays, staleStatement } from '../../hub/queries/ratings.js'
import { retentionGuard, withinRetention } from '../../hub/retention/guard.js'
import { CLASS_OF, cutoffOf } from '../../hub/retention/policy.js'
import { nextSweepAt, sweep } from '../../hub/retention/sweeper.js'
import { createRollup } from '../../hub/rollup/worker.js'
import { createWriter, type MarkingWriter } from '../../hub/rollup/writer.js'
import type { EdgeRecord } from '../../protocol/records.js'
import { DEMO_SITES, generateDemoData, writeDemoData, type DemoSiteData } from '../../scripts/lib/demo-data.js'
import { startInfluxd, type Influxd } from '../../testkit/influxd.js'
import { influxQuery } from './helpers.js'

const DAY = 86_400_000
const END = Date.UTC(2026, 10, 22, 0, 22)
const DAYS = 20
const log = createLogger('test', 'silent')

describe('retention config', () => {
  const base = { influx: { version: 1, url: 'http://127.0.0.1:8086' }, edges: [{ site: 'a', tokenHash: `sha256:${'0'.repeat(64)}` }] }

  it('defaults every class and the sweep', () => {
    const c = hubConfigSchema.parse(base)
    expect(c.retention).toEqual({ sweep: true, sweepAt: { hour: 2, minute: 30 }, days: RETENTION_DAYS_DEFAULTS })
  })

  it('refuses a rollup kept shorter than ratings, an unknown class and a sign-out kept shorter than a session, naming the key', () => {
    const messages = (extra: object) => {
      const r = hubConfigSchema.safeParse({ ...base, ...extra })
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
    }
    expect(messages({ retention: { days: { ratings: 800, rollup: 400 } } })).toEqual([
      'retention.days.rollup: the rollup (400 days) must be kept at least as long as ratings (800 days): rating KPIs are read from it',
    ])
    expect(messages({ retention: { days: { ratingz: 10 } } })[0]).toMatch(/^retention\.days: .*ratingz/)
    expect(messages({ retention: { days: { devices: 0 } } })[0]).toMatch(/^retention\.days\.devices: /)
    expect(messages({ sessionTtlS: 3 * 86_400, retention: { days: { signouts: 2 } } })).toEqual([
      'retention.days.signouts: sign-outs (2 days) must be kept at least as long as a session lasts (sessionTtlS 259200 s)',
    ])
  })

  it('keeps raw ratings long enough for last year\'s annual report compared with the year before, on every day of a year', () => {
    for (let t = Date.UTC(2027, 0, 1, 0, 0) - 7 * 3_600_000; t < Date.UTC(2029, 0, 1); t += DAY) {
      const thisYear = bucketOf(t, 'year')
      const yearBeforeLast = bucketOf(bucketOf(thisYear.start - 1, 'year').start - 1, 'year')
      expect(cutoffOf(t, RETENTION_DAYS_DEFAULTS.ratings)).toBeLessThanOrEqual(yearBeforeLast.start)
    }
    // And not a day longer than that needs: on 31 December 2029 (local) the cutoff is 1 January 2027.
    expect(cutoffOf(Date.UTC(2029, 11, 31, 12), RETENTION_DAYS_DEFAULTS.ratings)).toBe(Date.UTC(2027, 0, 1) - 7 * 3_600_000)
  })
})

describe('retention rules (pure)', () => {
  it('every measurement the hub writes belongs to a class', () => {
    const all = [...Object.keys(MEASUREMENTS), ...Object.keys(HUB_MEASUREMENTS), ...Object.keys(ROLLUP_MEASUREMENTS), DELIVERY_MEASUREMENT]
    expect(all.filter((m) => !CLASS_OF.has(m))).toEqual([])
    expect([...CLASS_OF.keys()].filter((m) => !all.includes(m))).toEqual([])
  })

  it('cuts at a local midnight (UTC+7), whole days before today', () => {
    // 2026-11-22 06:00 local is 2026-11-21T23:00Z; today started at 2026-11-21T17:00Z.
    expect(cutoffOf(Date.UTC(2026, 10, 21, 23), 10)).toBe(Date.UTC(2026, 10, 11, 17))
    expect(cutoffOf(Date.UTC(2026, 10, 21, 16, 59), 10)).toBe(Date.UTC(2026, 10, 10, 17))
  })

  it('sweeps next at the configured local time', () => {
    expect(nextSweepAt(Date.UTC(2026, 10, 21, 19), { hour: 2, minute: 30 })).toBe(Date.UTC(2026, 10, 21, 19, 30))
    expect(nextSweepAt(Date.UTC(2026, 10, 21, 19, 30), { hour: 2, minute: 30 })).toBe(Date.UTC(2026, 10, 22, 19, 30))
  })

  it('leaves out points past their class and keeps measurements no class holds', () => {
    const config = retentionConfigSchema.parse({ days: { ratings: 10, devices: 2, rollup: 10 } })
    const at = (measurement: string, ms: number) => ({ measurement, tags: {}, fields: { x: 1 }, timestampNs: `${ms}000123` })
    const cut = cutoffOf(END, 10)
    const points = [at('rating', cut - 1), at('rating', cut), at('heartbeat', cut), at('mystery', 1), at('ticket', END)]
    expect(withinRetention(points, config, END)).toEqual([points[1], points[3], points[4]])
  })
})

describe('the sweep on a real influxd', () => {
  const retention: RetentionConfig = retentionConfigSchema.parse({ days: { ratings: 8, devices: 5, alerts: 5, audit: 8, signouts: 1, deliveries: 5, rollup: 14 } })
  const cut = { ratings: cutoffOf(END, 8), devices: cutoffOf(END, 5), audit: cutoffOf(END, 8), rollup: cutoffOf(END, 14) }
  let influxd: Influxd
  let data: DemoSiteData[]
  let writer: MarkingWriter
  const config = (url: string) =>
    hubConfigSchema.parse({
      influx: { version: 1, url, database: 'motcua' },
      edges: DEMO_SITES.map((s) => ({ site: s.id, tokenHash: `sha256:${'0'.repeat(64)}` })),
      province: 'can-tho',
      sites: DEMO_SITES.map((s) => ({ id: s.id, name: s.name, ...(s.placement.branch ? { branch: s.placement.branch } : {}) })),
      retention,
    })
  const db = () => createInfluxQuery(config(influxd.url).influx)
  const count = async (q: string) => Number((await influxQuery(influxd.url, 'motcua', q))[0]?.values[0]?.[1] ?? 0)
  const iso = (ms: number) => new Date(ms).toISOString()

  /** Every KPI the sweep must leave alone: rating KPIs of the kept days and of the older days the rollup keeps, queue KPIs and health of the kept days. */
  async function kpis() {
    const cfg = config(influxd.url)
    const dir = createDirectory(cfg)
    const q = db()
    return {
      keptRatings: await queryRatingKpis(q, dir, { groupBy: ['counter', 'officer'], period: { unit: 'day', fromMs: cut.ratings, toMs: END }, filter: {} }),
      rolledRatings: await queryRatingKpis(q, dir, { groupBy: ['site', 'department'], period: { unit: 'day', fromMs: cut.rollup, toMs: cut.ratings }, filter: {} }),
      rolledOfficers: await queryRatingKpis(q, dir, { groupBy: ['officer'], period: { unit: 'day', fromMs: cut.rollup, toMs: cut.ratings }, filter: {} }),
      queue: await queryQueueKpis(q, dir, { groupBy: ['counter'], period: { unit: 'day', fromMs: cut.ratings, toMs: END }, filter: { site: ['ct-center'] } }),
      health: await querySiteHealth(q, dir, undefined, cut.devices, END + 1),
    }
  }

  let before: Awaited<ReturnType<typeof kpis>>
  const stateBefore = new Map<string, unknown>()

  beforeAll(async () => {
    influxd = await startInfluxd()
    data = generateDemoData({ end: END, days: DAYS })
    const cfg = config(influxd.url)
    writer = createWriter(cfg.influx, { log })
    await writeDemoData(writer, data)
    // Directories: one site renamed its officers twice before the cutoff, another once after it.
    const directory = (site: string, ms: number, hash: string) => ({ measurement: 'directory', tags: { site }, fields: { hash, body: '{}', seq: 1 }, timestampNs: `${ms}000000` })
    await writer.write([directory('ct-center', cut.ratings - 5 * DAY, 'a'), directory('ct-center', cut.ratings - 2 * DAY, 'b'), directory('ct-cai-rang', END - DAY, 'c')])
    // Audit chains: one ended before the cutoff, one runs across it.
    let t = 0
    const clock = () => t
    const old = createAuditLog({ writer, query: db(), log, now: clock, chain: 'hub-old' })
    const across = createAuditLog({ writer, query: db(), log, now: clock, chain: 'hub-across' })
    const who = { username: 'inspector', role: 'inspector' as const }
    for (const [log, from, to] of [[old, cut.audit - 6 * DAY, cut.audit - DAY], [across, cut.audit - 3 * DAY, END - DAY]] as const) {
      for (t = from; t < to; t += 12 * 3_600_000) await log.record({ action: 'export', who, detail: '/api/v1/ratings', client: '10.0.0.1' })
    }
    // Alerts and sign-outs, old and new.
    await writer.write([
      { measurement: 'alert_ack', tags: { site: 'ct-center', kind: 'low_index' }, fields: { alert_id: 'x', by: 'ioc: A', comment: 'old' }, timestampNs: `${cut.devices - DAY}000000` },
      { measurement: 'alert_ack', tags: { site: 'ct-center', kind: 'low_index' }, fields: { alert_id: 'y', by: 'ioc: A', comment: 'new' }, timestampNs: `${END - DAY}000000` },
      { measurement: 'console_signout', tags: {}, fields: { username: 'old' }, timestampNs: `${END - 3 * DAY}000000` },
      { measurement: 'console_signout', tags: {}, fields: { username: 'new' }, timestampNs: `${END - 3_600_000}000000` },
    ])
    await createRollup({ db: db(), writer: writer.rollup, dir: createDirectory(cfg), log }).catchUp()
    before = await kpis()
    for (const [m, by] of [['device_status', '"site", "device"'], ['camera_status', '"site", "camera"'], ['directory', '"site"']] as const) {
      for (const s of await influxQuery(influxd.url, 'motcua', `SELECT last(*) FROM "${m}" WHERE time < '${iso(m === 'directory' ? cut.ratings : cut.devices)}' GROUP BY ${by}`)) {
        stateBefore.set(`${m} ${JSON.stringify(s.tags)}`, s.values)
      }
    }
    await sweep(db(), retention, END)
  }, 180_000)

  afterAll(async () => {
    await writer?.close()
    await influxd?.stop()
  })

  it('deletes raw ratings, tickets, metrics and rollup days past their classes', async () => {
    for (const [m, c] of [['rating', cut.ratings], ['ticket', cut.ratings], ['heartbeat', cut.devices], ['edge_health', cut.devices], ['kpi_counter', cut.rollup], ['kpi_state', cut.rollup]] as const) {
      const field = m.startsWith('kpi_') ? (m === 'kpi_state' ? 'changed' : 'served') : 'seq'
      const rp = m.startsWith('kpi_') ? '"motcua_rollup".' : ''
      expect({ m, older: await count(`SELECT count("${field}") FROM ${rp}"${m}" WHERE time < '${iso(c)}'`) }).toEqual({ m, older: 0 })
      expect({ m, kept: await count(`SELECT count("${field}") FROM ${rp}"${m}" WHERE time >= '${iso(c)}'`) > 0 }).toEqual({ m, kept: true })
    }
    // The rollup's days between its cutoff and the ratings' are kept though their raw points are gone.
    expect(await count(`SELECT count("served") FROM "motcua_rollup"."kpi_counter" WHERE time >= '${iso(cut.rollup)}' AND time < '${iso(cut.ratings)}'`)).toBeGreaterThan(0)
    expect(await count(`SELECT count("comment") FROM "alert_ack"`)).toBe(1)
    expect(await count(`SELECT count("username") FROM "console_signout"`)).toBe(1)
  })

  it('keeps each device, camera and directory state\'s last point before the cutoff, and only that', async () => {
    expect(stateBefore.size).toBeGreaterThan(3)
    for (const [key, values] of stateBefore) {
      const [m, tags] = [key.slice(0, key.indexOf(' ')), JSON.parse(key.slice(key.indexOf(' ') + 1)) as Record<string, string>]
      const c = m === 'directory' ? cut.ratings : cut.devices
      const where = Object.entries(tags).map(([k, v]) => `"${k}" = '${v}'`).join(' AND ')
      const [s] = await influxQuery(influxd.url, 'motcua', `SELECT * FROM "${m}" WHERE ${where} AND time < '${iso(c)}'`)
      expect({ key, points: s?.values.length }).toEqual({ key, points: 1 })
      const [last] = await influxQuery(influxd.url, 'motcua', `SELECT last(*) FROM "${m}" WHERE ${where} AND time < '${iso(c)}'`)
      expect(last?.values).toEqual(values)
    }
  })

  it('deletes an audit chain only whole, and every chain left verifies from its start', async () => {
    const entries = await auditEntries(db(), 0, END + DAY)
    expect(new Set(entries.map((e) => e.chain))).toEqual(new Set(['hub-across']))
    expect(entries.some((e) => e.atMs < cut.audit)).toBe(true)
    expect(verifyChains(entries, { fromStart: true }).broken).toBeNull()
  })

  it('leaves every KPI over the kept days, and the rollup\'s older days, as it was', async () => {
    expect(before.keptRatings.length).toBeGreaterThan(10)
    expect(before.rolledRatings.length).toBeGreaterThan(5)
    expect(before.queue.length).toBeGreaterThan(3)
    expect(before.health.sites.length).toBe(DEMO_SITES.length)
    expect(await kpis()).toEqual(before)
  })

  it('a second sweep deletes nothing more', async () => {
    const q = 'SELECT count("seq") FROM "rating"'
    const n = await count(q)
    const report = await sweep(db(), retention, END)
    expect(await count(q)).toBe(n)
    // Only the unconditional statements run again: no state has older points and no chain is left to cut.
    expect(report.steps.filter((s) => s.statements > 1)).toEqual([])
    expect(await kpis()).toEqual(before)
  })

  it('a late rating for an emptied day is not written, so the rollup keeps that day\'s counts', async () => {
    const center = data.find((d) => d.site === 'ct-center')!
    const old = center.records.find((r): r is Extract<EdgeRecord, { kind: 'rating' }> => r.kind === 'rating' && r.t < cut.ratings - DAY && r.t > cut.rollup + DAY)!
    const late = { ...old, seq: 9_999_999, eventId: 'late-rating-1', t: old.t + 1 }
    const guarded = retentionGuard(writer, retention, log, () => END)
    await guarded.write([toPoint('ct-center', late), toPoint('ct-center', { ...late, seq: 9_999_998, eventId: 'late-rating-2', t: END - 1000 })])
    expect(await count(`SELECT count("seq") FROM "rating" WHERE "event_id" = 'late-rating-1'`)).toBe(0)
    expect(await count(`SELECT count("seq") FROM "rating" WHERE "event_id" = 'late-rating-2'`)).toBe(1)
    const q = db()
    const [stale] = await q.run([staleStatement(q, 0, END + DAY, undefined)])
    // Site-days by their local day's start: only the new rating's day is stale.
    expect([...staleSiteDays(stale ?? []).keys()].every((day) => day >= cut.ratings)).toBe(true)
    const after = await queryRatingKpis(q, createDirectory(config(influxd.url)), { groupBy: ['site', 'department'], period: { unit: 'day', fromMs: cut.rollup, toMs: cut.ratings }, filter: {} })
    expect(after).toEqual(before.rolledRatings)
  })
})
