/**
 * What every dashboard query must return, computed in TypeScript from the
 * generated demo records, independently of InfluxDB: rating figures through
 * hub/kpi/ratings.ts, everything else by plain counting and averaging.
 * Keys are `uid/panelId/refId` and `uid/$variable`.
 */
import { ratingFact, type RatingFact } from '../../hub/kpi/facts.js'
import { ratingKpis } from '../../hub/kpi/ratings.js'
import { NO_OFFICER } from '../../hub/influx/schema.js'
import { MISUSE_KINDS, type EdgeRecord, type MisuseKind, type RecordKind } from '../../protocol/records.js'
import type { DemoSiteData } from '../../scripts/lib/demo-data.js'

export interface Scenario {
  fromMs: number
  toMs: number
  intervalMs: number
  /** InfluxDB's now() while the query runs. */
  now: () => number
  sites: string[]
  /** null = every department / counter. */
  departments: string[] | null
  counters: string[] | null
}

export type Row = Record<string, unknown>
export interface ExpectedSeries {
  tags: Record<string, string>
  rows: Row[]
}
type Expect = (data: readonly DemoSiteData[], s: Scenario) => ExpectedSeries[]

type Located<K extends RecordKind> = Extract<EdgeRecord, { kind: K }> & { site: string }

/** A point's time is t ms + seq ns (hub/influx/points.ts), so `time <= to ms` drops a point at `to` with seq ns. */
const inRange = (s: Scenario, r: { t: number; seq: number }) =>
  r.t >= s.fromMs && (r.t < s.toMs || (r.t === s.toMs && r.seq % 1_000_000 === 0))

function records<K extends RecordKind>(data: readonly DemoSiteData[], s: Scenario, kind: K, scoped = false): Located<K>[] {
  const out: Located<K>[] = []
  for (const d of data) {
    if (!s.sites.includes(d.site)) continue
    for (const r of d.records) {
      if (r.kind !== kind || !inRange(s, r)) continue
      const rec = r as Extract<EdgeRecord, { kind: K }>
      if (scoped && 'department' in rec) {
        if (s.departments && !s.departments.includes(rec.department)) continue
        if (s.counters && !s.counters.includes(rec.counter)) continue
      }
      out.push({ ...rec, site: d.site })
    }
  }
  return out
}

function ratings(data: readonly DemoSiteData[], s: Scenario, misuse: 'genuine' | 'flagged'): RatingFact[] {
  const placement = new Map(data.map((d) => [d.site, d.placement]))
  return records(data, s, 'rating', true)
    .filter((r) => (misuse === 'genuine') === (r.misuse === null))
    .map((r) => ratingFact(r.site, placement.get(r.site)!, r))
}

function groupBy<T>(items: readonly T[], key: (x: T) => Record<string, string>): Map<string, { tags: Record<string, string>; items: T[] }> {
  const groups = new Map<string, { tags: Record<string, string>; items: T[] }>()
  for (const x of items) {
    const tags = key(x)
    const id = JSON.stringify(tags)
    const g = groups.get(id)
    if (g) g.items.push(x)
    else groups.set(id, { tags, items: [x] })
  }
  return groups
}

/** One row per group; groups whose row is null (nothing to report) give no series, as in InfluxDB. */
function perGroup<T>(items: readonly T[], key: (x: T) => Record<string, string>, row: (xs: T[]) => Row | null): ExpectedSeries[] {
  const out: ExpectedSeries[] = []
  for (const g of groupBy(items, key).values()) {
    const r = row(g.items)
    if (r) out.push({ tags: g.tags, rows: [r] })
  }
  return out
}

/**
 * GROUP BY time(interval), tags: buckets start at multiples of the interval;
 * fill(0) lists every bucket of the range for each series, fill(none) only
 * buckets with points.
 */
function bucketed<T extends { t: number }>(
  s: Scenario,
  items: readonly T[],
  key: (x: T) => Record<string, string>,
  agg: (xs: T[]) => Row,
  fill: 'none' | 'zero',
): ExpectedSeries[] {
  const I = s.intervalMs
  return [...groupBy(items, key).values()].map(({ tags, items: xs }) => {
    const byBucket = new Map<number, T[]>()
    for (const x of xs) {
      const b = Math.floor(x.t / I) * I
      const list = byBucket.get(b)
      if (list) list.push(x)
      else byBucket.set(b, [x])
    }
    const times = fill === 'zero' ? range(Math.floor(s.fromMs / I) * I, s.toMs, I) : [...byBucket.keys()].sort((a, b) => a - b)
    return { tags, rows: times.map((time) => ({ time, ...agg(byBucket.get(time) ?? []) })) }
  })
}

const range = (from: number, to: number, step: number) => Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => from + i * step)
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
const one = (row: Row | null): ExpectedSeries[] => (row ? [{ tags: {}, rows: [row] }] : [])
const nonZero = (n: number) => (n > 0 ? n : null)
const latest = <T extends { t: number }>(xs: T[]) => xs.reduce((a, b) => (b.t >= a.t ? b : a))
const tagValues = (key: string, values: Iterable<string>): ExpectedSeries[] => {
  const sorted = [...new Set(values)].sort()
  return sorted.length ? [{ tags: {}, rows: sorted.map((value) => ({ key, value })) }] : []
}

const index = (rs: RatingFact[]) => {
  const k = ratingKpis(rs)
  return k.counted ? { index: k.satisfactionIndex, ratings: k.counted } : null
}
const levelCounts = (s: Scenario, rs: RatingFact[]) =>
  bucketed(s, rs, (r) => ({ level: String(r.level), scale: String(r.scale) }), (xs) => ({ count: xs.length }), 'zero')

/** Ratings by level over time; each series' total must also be the level count ratingKpis gives for the range. */
const levelsOverTime: Expect = (data, s) => {
  const rs = ratings(data, s, 'genuine')
  const series = levelCounts(s, rs)
  for (const l of ratingKpis(rs).levels.filter((x) => x.count > 0)) {
    const sum = series.find((x) => x.tags.scale === String(l.scale) && x.tags.level === String(l.level))?.rows.reduce((n, r) => n + (r.count as number), 0)
    if (sum !== l.count) throw new Error(`level ${l.scale}/${l.level}: ${sum} ≠ ${l.count}`)
  }
  return series
}

const flagged = (data: readonly DemoSiteData[], s: Scenario, kind: MisuseKind) => records(data, s, 'rating', true).filter((r) => r.misuse === kind)

/** One query per misuse kind, refIds A, B, C in MISUSE_KINDS order. */
function perMisuseKind(panel: string, expect: (data: readonly DemoSiteData[], s: Scenario, kind: MisuseKind) => ExpectedSeries[]): Record<string, Expect> {
  return Object.fromEntries(MISUSE_KINDS.map((kind, i) => [`${panel}/${'ABC'[i]}`, (data: readonly DemoSiteData[], s: Scenario) => expect(data, s, kind)]))
}

const ioc: Record<string, Expect> = {
  'motcua-ioc/$site': (data) => tagValues('site', data.filter((d) => d.records.some((r) => r.kind === 'rating')).map((d) => d.site)),
  'motcua-ioc/$department': (data, s) =>
    tagValues('department', data.filter((d) => s.sites.includes(d.site)).flatMap((d) => d.records.flatMap((r) => (r.kind === 'rating' ? [r.department] : [])))),
  'motcua-ioc/1/A': (data, s) => one(nonNull({ index: ratingKpis(ratings(data, s, 'genuine')).satisfactionIndex })),
  'motcua-ioc/2/A': (data, s) => one(nonNull({ dissatisfied: ratingKpis(ratings(data, s, 'genuine')).dissatisfiedShare })),
  'motcua-ioc/3/A': (data, s) => one(nonNull({ rate: ratingKpis(ratings(data, s, 'genuine')).decision766.rate })),
  'motcua-ioc/3/B': (data, s) => one(nonNull({ points: ratingKpis(ratings(data, s, 'genuine')).decision766.points })),
  'motcua-ioc/4/A': (data, s) => one(nonNull({ counted: nonZero(ratings(data, s, 'genuine').length) })),
  'motcua-ioc/4/B': (data, s) => one(nonNull({ misuse: nonZero(ratingKpis(ratings(data, s, 'flagged'), { includeMisuse: true }).misuse) })),
  'motcua-ioc/5/A': levelsOverTime,
  'motcua-ioc/6/A': (data, s) =>
    bucketed(s, ratings(data, s, 'genuine'), (r) => ({ site: r.site }), (xs) => ({ mean: ratingKpis(xs).satisfactionIndex }), 'none'),
  'motcua-ioc/7/A': (data, s) => perGroup(ratings(data, s, 'genuine'), (r) => ({ site: r.site }), index),
  'motcua-ioc/8/A': (data, s) => {
    const groups = [...groupBy(ratings(data, s, 'genuine'), (r) => ({ site: r.site, counter: r.counter })).values()]
      .map((g) => ({ site: g.tags.site!, counter: g.tags.counter!, ...index(g.items)! }))
      .filter((g) => g.ratings >= 5)
      .sort((a, b) => a.index! - b.index!)
      .slice(0, 10)
    return groups.length ? [{ tags: {}, rows: groups.map((g) => ({ index: g.index, site: g.site, counter: g.counter, ratings: g.ratings })) }] : []
  },
  ...perMisuseKind('motcua-ioc/9', (data, s, kind) => bucketed(s, flagged(data, s, kind), () => ({}), (xs) => ({ count: xs.length }), 'zero')),
  'motcua-ioc/10/A': (data, s) => {
    const since = s.now() - 10 * 60_000
    const sites = new Set(data.filter((d) => s.sites.includes(d.site) && d.records.some((r) => r.kind === 'edge_health' && r.t > since)).map((d) => d.site))
    return one(nonNull({ edges: nonZero(sites.size) }))
  },
  'motcua-ioc/10/B': (data, s) => one(nonNull({ edges: nonZero(new Set(records(data, s, 'edge_health').map((r) => r.site)).size) })),
  'motcua-ioc/11/A': (data, s) => {
    const last = perGroup(records(data, s, 'edge_health'), (r) => ({ site: r.site }), (xs) => ({ age: latest(xs).outboxOldestAgeS }))
    return one(nonNull({ edges: nonZero(last.filter((x) => (x.rows[0]!.age as number) > 900).length) }))
  },
  'motcua-ioc/12/A': (data, s) =>
    perGroup(records(data, s, 'edge_health'), (r) => ({ site: r.site }), (xs) => {
      const h = latest(xs)
      return { time: h.t, uptime_s: h.uptimeS, outbox_depth: h.outboxDepth, outbox_oldest_age_s: h.outboxOldestAgeS, disk_free_bytes: h.diskFreeBytes }
    }),
}

const site: Record<string, Expect> = {
  'motcua-site/$site': ioc['motcua-ioc/$site']!,
  'motcua-site/$department': ioc['motcua-ioc/$department']!,
  'motcua-site/$counter': (data, s) =>
    tagValues(
      'counter',
      data
        .filter((d) => s.sites.includes(d.site))
        .flatMap((d) => d.records.flatMap((r) => (r.kind === 'rating' && (!s.departments || s.departments.includes(r.department)) ? [r.counter] : []))),
    ),
  'motcua-site/1/A': (data, s) => perGroup(ratings(data, s, 'genuine'), (r) => ({ counter: r.counter }), index),
  'motcua-site/2/A': (data, s) => perGroup(ratings(data, s, 'genuine'), (r) => ({ department: r.department }), index),
  'motcua-site/3/A': (data, s) => perGroup(ratings(data, s, 'genuine'), (r) => ({ officer: r.officer ?? NO_OFFICER }), index),
  'motcua-site/4/A': (data, s) => {
    const out: ExpectedSeries[] = []
    for (const g of groupBy(ratings(data, s, 'genuine'), (r) => ({ counter: r.counter })).values()) {
      for (const l of ratingKpis(g.items).levels) {
        if (l.count > 0) out.push({ tags: { ...g.tags, level: String(l.level), scale: String(l.scale) }, rows: [{ ratings: l.count }] })
      }
    }
    return out
  },
  'motcua-site/5/A': levelsOverTime,
  'motcua-site/6/A': (data, s) =>
    bucketed(s, ratings(data, s, 'genuine'), (r) => ({ counter: r.counter }), (xs) => ({ mean: ratingKpis(xs).satisfactionIndex }), 'none'),
  ...perMisuseKind('motcua-site/7', (data, s, kind) => perGroup(flagged(data, s, kind), (r) => ({ counter: r.counter }), (xs) => ({ [kind]: xs.length }))),
  'motcua-site/8/A': (data, s) => bucketed(s, records(data, s, 'ticket', true), (r) => ({ event: r.event }), (xs) => ({ count: xs.length }), 'zero'),
  'motcua-site/9/A': (data, s) =>
    perGroup(records(data, s, 'ticket', true).filter((r) => r.event === 'finished'), (r) => ({ counter: r.counter }), (xs) => ({ served: xs.length })),
}

/** Series whose latest point in range says "down". */
function downCount<T extends { t: number }>(items: readonly T[], key: (x: T) => string, up: (x: T) => boolean): number | null {
  const last = new Map<string, T>()
  for (const x of items) {
    const p = last.get(key(x))
    if (!p || x.t >= p.t) last.set(key(x), x)
  }
  return nonZero([...last.values()].filter((x) => !up(x)).length)
}

const health: Record<string, Expect> = {
  'motcua-health/$site': (data) => tagValues('site', data.filter((d) => d.records.some((r) => r.kind === 'edge_health')).map((d) => d.site)),
  'motcua-health/1/A': (data, s) =>
    one(nonNull({ devices: downCount(records(data, s, 'device_status'), (r) => `${r.site}/${r.device}`, (r) => r.online) })),
  'motcua-health/2/A': (data, s) =>
    one(nonNull({ cameras: downCount(records(data, s, 'camera_status'), (r) => `${r.site}/${r.camera}`, (r) => r.state === 'online') })),
  'motcua-health/3/A': (data, s) =>
    perGroup(records(data, s, 'device_status'), (r) => ({ counter: r.counter, device: r.device, kind: r.deviceKind, site: r.site }), (xs) => {
      const d = latest(xs)
      return { time: d.t, online: d.online }
    }),
  'motcua-health/4/A': (data, s) =>
    bucketed(s, records(data, s, 'heartbeat').filter((r) => r.rssi !== null), (r) => ({ device: r.device, site: r.site }), (xs) => ({ mean: mean(xs.map((x) => x.rssi!)) }), 'none'),
  'motcua-health/5/A': (data, s) =>
    bucketed(s, records(data, s, 'heartbeat').filter((r) => r.battery !== null), (r) => ({ device: r.device, site: r.site }), (xs) => ({ mean: mean(xs.map((x) => x.battery!)) }), 'none'),
  'motcua-health/6/A': (data, s) =>
    bucketed(s, records(data, s, 'edge_health'), (r) => ({ site: r.site }), (xs) => ({ mean: mean(xs.map((x) => x.outboxDepth)) }), 'none'),
  'motcua-health/7/A': (data, s) =>
    bucketed(s, records(data, s, 'edge_health'), (r) => ({ site: r.site }), (xs) => ({ max: Math.max(...xs.map((x) => x.outboxOldestAgeS)) }), 'none'),
  'motcua-health/8/A': (data, s) =>
    bucketed(s, records(data, s, 'edge_health'), (r) => ({ site: r.site }), (xs) => ({ last: latest(xs).diskFreeBytes }), 'none'),
  'motcua-health/9/A': (data, s) =>
    bucketed(s, records(data, s, 'edge_health').filter((r) => r.cpuTempC !== null), (r) => ({ site: r.site }), (xs) => ({ mean: mean(xs.map((x) => x.cpuTempC!)) }), 'none'),
  'motcua-health/10/A': (data, s) =>
    perGroup(records(data, s, 'camera_status'), (r) => ({ camera: r.camera, site: r.site }), (xs) => {
      const c = latest(xs)
      return { time: c.t, online: c.state === 'online', state: c.state, detail: c.detail }
    }),
  'motcua-health/11/A': (data, s) =>
    bucketed(s, records(data, s, 'camera_status'), (r) => ({ camera: r.camera, site: r.site }), (xs) => ({ last: latest(xs).state === 'online' }), 'none'),
  'motcua-health/12/A': (data, s) =>
    bucketed(s, records(data, s, 'camera_event').filter((r) => r.state), (r) => ({ event: r.event }), (xs) => ({ count: xs.length }), 'zero'),
  'motcua-health/13/A': (data, s) =>
    [...groupBy(records(data, s, 'camera_event').filter((r) => r.event === 'tamper'), (r) => ({ camera: r.camera, site: r.site })).values()].map((g) => ({
      tags: g.tags,
      rows: g.items.map((e) => ({ time: e.t, state: e.state, snapshot: e.snapshot ?? '' })),
    })),
}

/** A row whose only value is null means "no series", as InfluxDB answers an aggregate over nothing. */
function nonNull(row: Row): Row | null {
  return Object.values(row).some((v) => v === null) ? null : row
}

export const EXPECTED: Readonly<Record<string, Expect>> = { ...ioc, ...site, ...health }
