/**
 * Alert evaluation over a province's morning (issue 16): every hub instance
 * evaluates every site's alerts every 30 s, and since the unstaffed-counter
 * and overload alerts that evaluation also reads today's duty records and
 * ticket events. This writes a morning of `sites` Centers (a directory of 20
 * kiosk counters, 18 of them signed in, `visitsPerSite` queue tickets issued
 * from 07:30 to 09:30, four in five called and finished) into a fresh
 * database and times the background evaluation (AlertStore.list over every
 * site at 09:30, which runs the same statements and detectors without
 * writing), and right after each the two reads the unstaffed and overload
 * alerts add (queryQueueEvents and queryDutyEvents) alone, in the same run.
 */
import { createLogger } from '../common/log.js'
import { DAY_MS } from '../common/time.js'
import { createAlertStore, queryQueueEvents } from '../hub/alerts-store/store.js'
import { alertThresholds, alertsConfigSchema } from '../hub/config/alerts.js'
import { openingHoursSchema } from '../hub/config/opening-hours.js'
import { hubConfigSchema } from '../hub/config/schema.js'
import { toPoint } from '../hub/influx/points.js'
import type { Point } from '../hub/influx/line-protocol.js'
import { localDayStart } from '../hub/kpi/duty.js'
import { createInfluxQuery } from '../hub/queries/client.js'
import { createDirectory } from '../hub/queries/directory.js'
import { queryDutyEvents } from '../hub/queries/duty.js'
import { createSiteNames } from '../hub/queries/names.js'
import { createWriter } from '../hub/rollup/writer.js'
import type { EdgeRecord } from '../protocol/records.js'
import type { Influxd } from '../testkit/influxd.js'
import { timing, type Timing } from './lib/stats.js'

export interface AlertsBenchResult {
  sites: number
  visitsPerSite: number
  points: number
  writeSeconds: number
  /** One evaluation of every site's alerts, ms. */
  evaluation: Timing
  /** Reading today's duty events and ticket events for every site alone, right after each evaluation, ms. */
  dutyAndTickets: Timing
  alerts: { counter_unstaffed: number; overload: number }
}

const COUNTERS = 20
const STAFFED = 18
const HOURS = openingHoursSchema.parse({ weekdays: ['07:30-11:30', '13:30-17:00'], saturday: ['07:30-11:30', '13:30-17:00'], sunday: ['07:30-11:30', '13:30-17:00'] })

/** A deterministic pseudo-random sequence (mulberry32), so every run writes the same morning. */
function random(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function morning(site: string, day: number, visits: number, rand: () => number): EdgeRecord[] {
  let seq = 0
  const base = (t: number) => ({ seq: ++seq, t, clock: 'synced' as const })
  const at = (min: number) => day + min * 60_000
  const counters = Array.from({ length: COUNTERS }, (_, i) => `q${i + 1}`)
  const out: EdgeRecord[] = [{
    kind: 'directory', ...base(day - DAY_MS), hash: 'b'.repeat(64), siteName: site,
    departments: [{ id: 'tu-phap', name: 'Sở Tư pháp' }],
    counters: counters.map((id, i) => ({ id, name: `Quầy ${i + 1}`, department: 'tu-phap', officer: `cb-${i + 1}`, kiosk: true })),
    officers: counters.map((_, i) => ({ id: `cb-${i + 1}`, name: `Cán bộ ${i + 1}`, department: 'tu-phap', signIn: true })),
  }]
  counters.slice(0, STAFFED).forEach((counter, i) => {
    out.push({ kind: 'duty', ...base(at(7 * 60 + 20 + (i % 10))), event: 'in', reason: 'sign-in', counter, officer: `cb-${i + 1}`, device: `k-${counter}`, eventId: `d-${site}-${i}`.slice(0, 32) })
  })
  for (let v = 0; v < visits; v++) {
    const issued = at(7 * 60 + 30 + Math.floor((rand() * 120 * (v + 1)) / visits))
    const ticket = `A${String(v + 1).padStart(3, '0')}`
    const counter = counters[Math.floor(rand() * STAFFED)]!
    const event = (t: number, e: 'issued' | 'called' | 'finished', n: number): EdgeRecord => ({
      kind: 'ticket', ...base(t), department: 'tu-phap', counter: e === 'issued' ? 'tiep-nhan' : counter, device: 'queue-1',
      eventId: `t-${v}-${n}`, ticket, event: e, deviceTs: t, edgeTs: t,
    })
    out.push(event(issued, 'issued', 0))
    if (rand() < 0.8) {
      const called = issued + Math.floor(rand() * 20 * 60_000)
      out.push(event(called, 'called', 1), event(called + Math.floor(rand() * 10 * 60_000), 'finished', 2))
    }
  }
  return out
}

export async function benchAlerts(o: { influx: Influxd; sites: number; visitsPerSite: number; runs: number; log: (s: string) => void }): Promise<AlertsBenchResult> {
  const log = createLogger('bench', 'silent')
  const siteIds = Array.from({ length: o.sites }, (_, i) => `s-${String(i).padStart(4, '0')}`)
  const cfg = hubConfigSchema.parse({
    influx: { version: 1, url: o.influx.url, database: 'bench_alerts' },
    edges: siteIds.map((site) => ({ site, tokenHash: `sha256:${'0'.repeat(64)}` })),
    sites: siteIds.map((id) => ({ id, name: `Trung tâm ${id}`, openingHours: HOURS })),
  })
  // Yesterday at 09:30, so every point is in the past whatever the time of the run.
  const day = localDayStart(Date.now()) - DAY_MS
  const now = day + (9 * 60 + 30) * 60_000
  const writer = createWriter(cfg.influx, { log })
  const rand = random(16)
  let points = 0
  const started = performance.now()
  for (let i = 0; i < siteIds.length; i += 20) {
    const batch: Point[] = siteIds.slice(i, i + 20).flatMap((site) => morning(site, day, o.visitsPerSite, rand).map((r) => toPoint(site, r)))
    await writer.write(batch)
    points += batch.length
  }
  await writer.close()
  const writeSeconds = Math.round((performance.now() - started) / 100) / 10
  o.log(`${points.toLocaleString('en')} points of ${o.sites} sites written in ${writeSeconds} s`)

  const db = createInfluxQuery(cfg.influx, { timeoutMs: 120_000 })
  const names = createSiteNames({ db, now: () => now })
  await names.load()
  const dir = createDirectory(cfg, names)
  const thresholds = alertThresholds(alertsConfigSchema.parse({}).thresholds)
  const store = createAlertStore({ db, writer: createWriter(cfg.influx, { log }), dir, thresholds })
  const evaluation: number[] = []
  const dutyAndTickets: number[] = []
  let last: Awaited<ReturnType<typeof store.list>> = []
  // The first of each is a warm-up (InfluxDB's caches, the JIT) and not counted.
  for (let r = 0; r <= o.runs; r++) {
    const t0 = performance.now()
    last = await store.list(undefined, now)
    const t1 = performance.now()
    await Promise.all([
      queryQueueEvents(db, undefined, Math.max(localDayStart(now), now - thresholds.overload.abandonAfterMs), now + 1),
      queryDutyEvents(db, siteIds, localDayStart(now), now + 1),
    ])
    const t2 = performance.now()
    if (r > 0) {
      evaluation.push(t1 - t0)
      dutyAndTickets.push(t2 - t1)
    }
    o.log(`evaluation ${r === 0 ? '(warm-up) ' : ''}${Math.round(t1 - t0)} ms, duty and tickets ${Math.round(t2 - t1)} ms`)
  }
  const count = (kind: string) => last.filter((a) => a.kind === kind && a.clearedAt === null).length
  return {
    sites: o.sites, visitsPerSite: o.visitsPerSite, points, writeSeconds,
    evaluation: timing(evaluation), dutyAndTickets: timing(dutyAndTickets),
    alerts: { counter_unstaffed: count('counter_unstaffed'), overload: count('overload') },
  }
}
