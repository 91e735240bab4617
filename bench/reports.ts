/**
 * Reports benchmark (issue 15): the KPI benchmark's data set (bench/kpi.ts:
 * 600 sites × 20 counters, one year, rolled up, newest day stale) read by a
 * hub in its own process (the production build, node dist/hub.js, as
 * packaged), as a person reads it: signed in to the console, downloading the
 * province's quarter report as Excel and as PDF
 * (/console/reports/report.{xlsx,pdf}), and walking the drill-down
 * (/console/api/kpis) at each level. Per download: the time to the last
 * byte, the hub's peak RSS (VmHWM, reset before each) and, for the PDF, the
 * peak of the Chromium the hub spawns. The web report (report.html: the same
 * figures and page, no Excel, no printing) is timed beside them, which
 * splits a download's time into reading the figures and making the file.
 * Targets: each file ≤ 10 s and ≤ 300 MB of hub memory; drill-down p95 ≤ 300 ms.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { seededRandom } from '../common/random.js'
import { hashPassword, hashSecret, newSecret } from '../common/secrets.js'
import { bucketOf, previousBucket } from '../hub/kpi/time.js'
import type { Influxd } from '../testkit/influxd.js'
import { KPI_DEPARTMENTS, kpiIds, loadKpiDataSet } from './kpi.js'
import { buildDist } from '../scripts/build.js'
import { startTsProcess, type Proc } from './lib/procs.js'
import { cpuSeconds, rssMb, untilIdle, watchPeaks } from './lib/sampler.js'
import { summarize, type Summary } from './lib/stats.js'

/** Branches of the benchmark's province: site 0 is the province's own Center (no branch), the rest are dealt round. */
const BRANCHES = 10
const USER = 'thanhtra'
const PASSWORD = 'Bench-Reports-2026'

export interface ReportsBenchOptions {
  influx: Influxd
  quick: boolean
  /** Downloads of each file (each timed and measured). */
  downloads: number
  /** Timed drill-down requests per level, after two untimed ones. */
  perLevel: number
  /** The database already holds the data set (a kept influxd data folder, for profiling again). */
  skipLoad?: boolean
  log: (s: string) => void
}

export interface Download {
  ms: number
  bytes: number
  /** Hub CPU seconds the download used (both cores count). */
  hubCpuS: number
  hubPeakMb: number
  /** Largest sum of the hub's child processes' PSS (Chromium for the PDF). */
  childrenPeakMb: number
}

export interface FileStats {
  format: 'xlsx' | 'pdf' | 'html'
  downloads: Download[]
  medianMs: number
  maxMs: number
  hubPeakMb: number
  childrenPeakMb: number
}

export interface ReportsBenchResult {
  points: number
  sites: number
  counters: number
  period: string
  hubIdleMb: number
  files: FileStats[]
  /** Per level: the timed requests, and the first (untimed) one, which read the past the hub did not keep yet. */
  drillDown: Record<string, Summary & { rows: number; firstMs: number }>
  /** Cube statements about past days the drill-down answered from what the hub keeps, and read (its /metrics). */
  pastAnswers: { hits: number; misses: number }
  /** The hub's RSS after everything. */
  hubAfterMb: number
}

/** The benchmark's hub config: the data set's sites in branches, one console user who may see officers. */
async function hubConfig(influxUrl: string, database: string, sites: number): Promise<Record<string, unknown>> {
  const branchOf = (i: number) => (i === 0 ? undefined : `cn-${(i % BRANCHES) + 1}`)
  return {
    http: { host: '127.0.0.1', port: 0 },
    influx: { version: 1, url: influxUrl, database },
    province: 'can-tho',
    edges: [{ site: kpiIds.site(0), tokenHash: hashSecret(newSecret()) }],
    branches: Array.from({ length: BRANCHES }, (_, b) => ({ id: `cn-${b + 1}`, name: `Chi nhánh ${b + 1}` })),
    sites: Array.from({ length: sites }, (_, i) => ({ id: kpiIds.site(i), name: `Điểm tiếp nhận ${i}`, ...(branchOf(i) ? { branch: branchOf(i) } : {}) })),
    users: [{ username: USER, name: 'Thanh tra Sở Nội vụ', role: 'inspector', passwordHash: await hashPassword(PASSWORD) }],
    sessionSecret: newSecret(),
  }
}

async function signIn(hubUrl: string): Promise<string> {
  const res = await fetch(`${hubUrl}/console/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: USER, password: PASSWORD }).toString(),
  })
  const cookie = res.headers.getSetCookie()[0]?.split(';')[0]
  if (res.status !== 303 || !cookie) throw new Error(`console sign-in refused: ${res.status}`)
  return cookie
}

/** The hub's count of past answers kept and read (motcua_hub_past_answers_total on /metrics). */
async function pastAnswerCounts(hubUrl: string): Promise<{ hits: number; misses: number }> {
  const text = await (await fetch(`${hubUrl}/metrics`, { signal: AbortSignal.timeout(10_000) })).text()
  const count = (outcome: string) => Number(new RegExp(`^motcua_hub_past_answers_total\\{outcome="${outcome}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN)
  return { hits: count('hit'), misses: count('miss') }
}

/** One download to its last byte, with the hub's CPU and peak memory over it. */
async function download(hub: Proc, url: string, cookie: string, magic: string): Promise<Download> {
  const cpuFrom = cpuSeconds(hub.pid)
  const watch = watchPeaks(hub.pid)
  const began = performance.now()
  const res = await fetch(url, { headers: { cookie }, signal: AbortSignal.timeout(180_000) })
  const body = Buffer.from(await res.arrayBuffer())
  const ms = performance.now() - began
  const peaks = watch.stop()
  if (res.status !== 200 || body.subarray(0, magic.length).toString('latin1') !== magic) {
    throw new Error(`${url}: ${res.status} ${body.subarray(0, 200).toString('utf8')}`)
  }
  return { ms: Math.round(ms), bytes: body.length, hubCpuS: Math.round((cpuSeconds(hub.pid) - cpuFrom) * 100) / 100, hubPeakMb: Math.round(peaks.peakMb), childrenPeakMb: Math.round(peaks.childrenPeakMb) }
}

export async function benchReports(o: ReportsBenchOptions): Promise<ReportsBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'motcua-reports-bench-'))
  try {
    // The quick set still covers the last whole quarter, so the report has figures to show.
    const data = await loadKpiDataSet({
      url: o.influx.url,
      database: 'motcua_reports_bench',
      skipLoad: o.skipLoad,
      settle: () => untilIdle(o.influx.pid, o.log),
      ...(o.quick ? { sites: 30, days: 200, ratingsPerDay: 300 } : {}),
    })
    const d = data.options
    o.log(`data set: ${data.points.toLocaleString('en')} ratings (${d.sites} sites × ${d.countersPerSite} counters, ${d.days} days), loaded in ${data.loadSeconds.toFixed(1)} s, rolled up in ${data.rollupSeconds.toFixed(1)} s`)
    const quarter = previousBucket(bucketOf(d.endMs, 'quarter'))
    const hubFile = join(dir, 'hub.yaml')
    writeFileSync(hubFile, stringify(await hubConfig(o.influx.url, d.database, d.sites)), { mode: 0o600 })
    // The hub as the package runs it (node dist/hub.js): tsx's compiler alone holds ~50 MB of a 300 MB budget.
    await buildDist()
    const hub = await startTsProcess('dist/hub.js', [hubFile], 'hub listening', { LOG_LEVEL: 'info' })
    try {
      const hubUrl = String(hub.ready.url)
      const cookie = await signIn(hubUrl)
      // The hub's own start (its rollup looking at the stale day, the console bundle) is not a download's.
      await untilIdle(() => hub.pid, (s) => o.log(`hub: ${s.replace('database', 'hub')}`))
      const hubIdleMb = Math.round(rssMb(hub.pid))
      o.log(`hub idle at ${hubIdleMb} MB RSS; province report for ${quarter.label}`)

      const files: FileStats[] = []
      const magic = { xlsx: 'PK', pdf: '%PDF-', html: '<!' } as const
      for (const format of ['html', 'xlsx', 'pdf'] as const) {
        const downloads: Download[] = []
        for (let i = 0; i < (format === 'html' ? 1 : o.downloads); i++) {
          const dl = await download(hub, `${hubUrl}/console/reports/report.${format}?level=province&at=${quarter.label}`, cookie, magic[format])
          o.log(`${format}: ${dl.ms} ms, ${(dl.bytes / 1e6).toFixed(1)} MB, hub ${dl.hubCpuS} CPU s, hub peak ${dl.hubPeakMb} MB, children peak ${dl.childrenPeakMb} MB`)
          downloads.push(dl)
        }
        const ms = summarize(downloads.map((x) => x.ms))
        files.push({ format, downloads, medianMs: ms.p50, maxMs: ms.max, hubPeakMb: Math.max(...downloads.map((x) => x.hubPeakMb)), childrenPeakMb: Math.max(...downloads.map((x) => x.childrenPeakMb)) })
      }

      // Each request opens another place of the province (seeded), as people click around; the report's quarter.
      const rand = seededRandom(15)
      const pick = (n: number) => Math.floor(rand() * n)
      const site = () => pick(d.sites)
      const levels: Record<string, () => string> = {
        'province (rows: branches)': () => 'level=province',
        'province by department (rows: departments)': () => 'level=province&by=department',
        'branch (rows: sites)': () => `level=branch&id=cn-${1 + pick(BRANCHES)}`,
        'site (rows: departments)': () => `level=site&id=${kpiIds.site(site())}`,
        'department across the province (rows: sites)': () => `level=department&id=${kpiIds.department(pick(KPI_DEPARTMENTS))}`,
        'department at a site (rows: counters)': () => `level=department&id=${kpiIds.site(site())}/${kpiIds.department(pick(KPI_DEPARTMENTS))}`,
        'counter (rows: officers)': () => `level=counter&id=${kpiIds.site(site())}/${kpiIds.counter(pick(d.countersPerSite))}`,
      }
      const drillDown: ReportsBenchResult['drillDown'] = {}
      for (const [name, query] of Object.entries(levels)) {
        const times: number[] = []
        let rows = 0
        let firstMs = 0
        // Two untimed requests first: the first answer of a kind pays for cold caches (the hub's kept past answers
        // among them, reported apart), not for the query.
        for (let i = -2; i < o.perLevel; i++) {
          const began = performance.now()
          const res = await fetch(`${hubUrl}/console/api/kpis?${query()}&period=quarter&at=${quarter.label}`, { headers: { cookie }, signal: AbortSignal.timeout(60_000) })
          const body = (await res.json()) as { rows?: unknown[] }
          if (res.status !== 200) throw new Error(`drill-down ${name}: ${res.status} ${JSON.stringify(body).slice(0, 200)}`)
          const ms = performance.now() - began
          if (i === -2) firstMs = Math.round(ms)
          if (i >= 0) times.push(ms)
          rows = Math.max(rows, body.rows?.length ?? 0)
        }
        drillDown[name] = { ...summarize(times), rows, firstMs }
        o.log(`drill-down ${name}: first ${firstMs} ms, then p50 ${drillDown[name].p50} ms, p95 ${drillDown[name].p95} ms, up to ${rows} rows`)
      }
      const pastAnswers = await pastAnswerCounts(hubUrl)
      o.log(`past answers: ${pastAnswers.hits} kept, ${pastAnswers.misses} read`)
      return {
        points: data.points,
        sites: d.sites,
        counters: d.sites * d.countersPerSite,
        period: quarter.label,
        hubIdleMb,
        files,
        drillDown,
        pastAnswers,
        hubAfterMb: Math.round(rssMb(hub.pid)),
      }
    } finally {
      await hub.stop()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
