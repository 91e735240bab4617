/**
 * Every query of every dashboard (panel targets and template variables),
 * interpolated as Grafana would, run against a real influxd holding the demo
 * data written through the hub's writer, and compared with what
 * tests/dashboards/reference.ts computes from the same records.
 */
process.env.LOG_LEVEL ??= 'silent'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../common/log.js'
import { createV1Writer } from '../../hub/influx/writer-v1.js'
import { generateDemoData, writeDemoData, type DemoSiteData } from '../../scripts/lib/demo-data.js'
import { startInfluxd, type Influxd } from '../../testkit/influxd.js'
import { influxQuery, interpolate, loadDashboards, panelQueries, variableQueries, type Query, type Selection, type Series } from './grafana.js'
import { EXPECTED, type ExpectedSeries, type Row } from './reference.js'

const DB = 'motcua'
const HOUR = 3_600_000
const DAYS = 3
// Whole minutes, so the last edge health report lands exactly at `end` and "reported in the last 10 min" holds.
const END = Math.floor(Date.now() / 60_000) * 60_000
const START = END - DAYS * 24 * HOUR

interface Case {
  name: string
  uid: string
  fromMs: number
  toMs: number
  interval: string
  intervalMs: number
  selection: Selection
}

const CASES: Case[] = [
  { name: 'all sites, 3 days', uid: 'motcua-ioc', fromMs: START, toMs: END, interval: '1h', intervalMs: HOUR, selection: { site: null, department: null } },
  {
    name: 'two sites, one department, last 24 h',
    uid: 'motcua-ioc',
    fromMs: END - 24 * HOUR,
    toMs: END,
    interval: '30m',
    intervalMs: HOUR / 2,
    selection: { site: ['ct-ninh-kieu', 'ct-cai-rang'], department: ['tu-phap'] },
  },
  { name: 'the Center, 3 days', uid: 'motcua-site', fromMs: START, toMs: END, interval: '1h', intervalMs: HOUR, selection: { site: ['ct-center'], department: null, counter: null } },
  {
    name: 'one counter of the branch, last 24 h',
    uid: 'motcua-site',
    fromMs: END - 24 * HOUR,
    toMs: END,
    interval: '2h',
    intervalMs: 2 * HOUR,
    selection: { site: ['ct-ninh-kieu'], department: null, counter: ['q03'] },
  },
  { name: 'all sites, 3 days', uid: 'motcua-health', fromMs: START, toMs: END, interval: '1h', intervalMs: HOUR, selection: { site: null } },
  { name: 'the Center, last 6 h', uid: 'motcua-health', fromMs: END - 6 * HOUR, toMs: END, interval: '10m', intervalMs: 600_000, selection: { site: ['ct-center'] } },
]

const dashboards = loadDashboards().map((f) => f.dashboard)
const byUid = new Map(dashboards.map((d) => [d.uid, d]))

let influxd: Influxd
let data: DemoSiteData[]

beforeAll(async () => {
  influxd = await startInfluxd()
  data = generateDemoData({ end: END, days: DAYS })
  const writer = createV1Writer({ version: 1, url: influxd.url, database: DB }, { log: createLogger('test') })
  try {
    await writeDemoData(writer, data)
  } finally {
    await writer.close()
  }
}, 60_000)

afterAll(async () => {
  await influxd?.stop()
})

/** Numbers to 10 significant digits: InfluxDB and the KPI code add floats in different orders. */
const norm = (v: unknown) => (typeof v === 'number' ? Number(v.toPrecision(10)) : v)

function actualShape(series: Series[], expected: ExpectedSeries[]): ExpectedSeries[] {
  const columns = expected[0]?.rows[0] ? Object.keys(expected[0].rows[0]) : null
  return series.map((s) => ({
    tags: s.tags ?? {},
    rows: s.values.map((values) => {
      const row: Row = {}
      s.columns.forEach((c, i) => {
        if (!columns || columns.includes(c)) row[c] = values[i]
      })
      return row
    }),
  }))
}

function canonical(series: ExpectedSeries[]): ExpectedSeries[] {
  const rowKey = (r: Row) => JSON.stringify(Object.keys(r).sort().map((k) => [k, norm(r[k])]))
  return series
    .map((s) => ({
      tags: s.tags,
      rows: s.rows
        .map((r) => Object.fromEntries(Object.keys(r).sort().map((k) => [k, norm(r[k])])))
        .sort((a, b) => ((a.time as number) ?? 0) - ((b.time as number) ?? 0) || rowKey(a).localeCompare(rowKey(b))),
    }))
    .sort((a, b) => JSON.stringify(a.tags).localeCompare(JSON.stringify(b.tags)))
}

describe.each(CASES)('$uid: $name', (c) => {
  const dashboard = byUid.get(c.uid)!
  const options: Record<string, string[]> = {}
  const scenario = () => ({
    fromMs: c.fromMs,
    toMs: c.toMs,
    intervalMs: c.intervalMs,
    now: () => Date.now(),
    sites: c.selection.site ?? options.site!,
    departments: c.selection.department ?? null,
    counters: c.selection.counter ?? null,
  })
  const run = async (q: Query) => {
    const text = interpolate(q, { fromMs: c.fromMs, toMs: c.toMs, interval: c.interval, selection: c.selection, options })
    const got = await influxQuery(influxd.url, DB, text)
    const expected = EXPECTED[q.key]!(data, scenario())
    expect(canonical(actualShape(got, expected)), text).toEqual(canonical(expected))
    return { got, expected }
  }

  // Variables in order: later ones and every panel use their values for "All".
  let variablesRun: Promise<void> | null = null
  const runVariables = () =>
    (variablesRun ??= (async () => {
      for (const q of variableQueries(dashboard)) {
        const { got } = await run(q)
        options[q.key.split('$')[1]!] = got.flatMap((s) => s.values.map((v) => String(v[1])))
      }
    })())

  it('template variables list the tag values', async () => {
    await runVariables()
    for (const v of dashboard.templating.list) expect(options[v.name]?.length, v.name).toBeGreaterThan(0)
  })

  it.each(panelQueries(dashboard).map((q) => [q.key, q] as const))('%s', async (_key, q) => {
    await runVariables()
    const { expected } = await run(q)
    // The full-range cases must exercise every panel with real data, so no comparison is vacuous.
    if (c.fromMs === START) expect(expected.length, `${q.key} expects data`).toBeGreaterThan(0)
  })
})
