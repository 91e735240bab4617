/**
 * Event streams benchmark (issue 11, finding 5): a hub in its own process
 * with default stream limits, ratings arriving steadily, first 1 open SSE
 * stream then 200 (40 keys × the 5 each may hold). For each, the hub's CPU
 * and RSS over the window (/proc, bench/lib/sampler.ts) and the statements
 * InfluxDB ran per minute, read from influxd's own counter
 * (`/debug/vars` → queryExecutor.queriesExecuted: one per InfluxQL
 * statement, whoever sent it, so the hub's rollup and alert timer count too).
 * Both in one run, so the ratios compare like with like.
 */
import http from 'node:http'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { createLogger } from '../common/log.js'
import { hashSecret, newSecret } from '../common/secrets.js'
import { toPoint } from '../hub/influx/points.js'
import { createWriter } from '../hub/rollup/writer.js'
import type { RatingRecord } from '../protocol/records.js'
import { startInfluxd } from '../testkit/influxd.js'
import { startTsProcess } from './lib/procs.js'
import { processUsage } from './lib/sampler.js'

const SITES = ['ct-center', 'ct-ninh-kieu', 'ct-cai-rang', 'ct-binh-thuy']
const KEYS = 40
const PER_KEY = 5

export interface StreamsPhase {
  streams: number
  /** Streams that got at least one rating event during the window. */
  receiving: number
  cpuPercent: number
  rssMb: number
  statementsPerMin: number
}

export interface StreamsBenchResult {
  windowS: number
  ratingsPerS: number
  one: StreamsPhase
  many: StreamsPhase
  ratios: { cpu: number; rss: number; statements: number }
}

async function statementsExecuted(influxUrl: string): Promise<number> {
  const vars = (await (await fetch(`${influxUrl}/debug/vars`)).json()) as Record<string, { name?: string; values?: Record<string, number> }>
  const executor = Object.values(vars).find((v) => v.name === 'queryExecutor')
  if (executor?.values?.queriesExecuted === undefined) throw new Error('influxd /debug/vars has no queryExecutor.queriesExecuted')
  return executor.values.queriesExecuted
}

/** One SSE client: counts rating events, closes on demand. */
function openStream(url: string, key: string, counter: { ratings: number }): Promise<() => void> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { 'x-api-key': key } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`stream refused: ${res.statusCode}`))
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        for (let i = chunk.indexOf('event: rating'); i >= 0; i = chunk.indexOf('event: rating', i + 1)) counter.ratings++
      })
      resolve(() => req.destroy())
    })
    req.on('error', reject)
  })
}

export async function benchStreams(o: { windowS: number; ratingsPerS: number; log: (s: string) => void }): Promise<StreamsBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'motcua-streams-bench-'))
  const log = createLogger('bench', 'silent')
  const cleanup: (() => Promise<void> | void)[] = [() => rmSync(dir, { recursive: true, force: true })]
  const closers: (() => void)[] = []
  try {
    const influx = await startInfluxd()
    cleanup.push(() => influx.stop())
    const keys = Array.from({ length: KEYS }, () => newSecret())
    const hubFile = join(dir, 'hub.yaml')
    writeFileSync(hubFile, stringify({
      http: { host: '127.0.0.1', port: 0 },
      influx: { version: 1, url: influx.url, database: 'motcua' },
      edges: SITES.map((site) => ({ site, tokenHash: hashSecret(newSecret()) })),
      sites: SITES.map((id) => ({ id, name: id })),
      apiKeys: keys.map((k, i) => ({ id: `wall-${i}`, keyHash: hashSecret(k), scope: 'ioc' })),
    }))
    const hub = await startTsProcess('hub/main.ts', [hubFile], 'hub listening', { LOG_LEVEL: 'info' })
    cleanup.push(() => hub.stop())
    const hubUrl = String(hub.ready.url)

    // Ratings arrive steadily, as from the province's edges, so every stream has events to carry.
    const writer = createWriter({ version: 1, url: influx.url, database: 'motcua' }, { log })
    cleanup.push(() => writer.close())
    let seq = 0
    const feed = setInterval(() => {
      const t = Date.now()
      const points = Array.from({ length: o.ratingsPerS }, (_, i) => {
        seq++
        const site = SITES[seq % SITES.length]!
        const r = { kind: 'rating', seq, t, clock: 'synced', department: 'tu-phap', counter: `q${seq % 10}`, device: `kiosk-${seq % 10}`, officer: 'cb-bench', eventId: `bench-${seq}`, scale: 4, level: 1 + (i % 4), score: 100, dissatisfied: false, reasons: [], ticket: `A${seq}`, deviceTs: t, edgeTs: t, misuse: null }
        return toPoint(site, r as RatingRecord)
      })
      void writer.write(points).catch(() => undefined)
    }, 1000)
    cleanup.push(() => clearInterval(feed))

    // Half the streams read the whole province, half one site each.
    const streamUrl = (n: number) => `${hubUrl}/api/v1/stream${n % 2 ? `?site=${SITES[n % SITES.length]}` : ''}`
    const counters: { ratings: number }[] = []
    const openUpTo = async (n: number) => {
      for (let i = counters.length; i < n; i++) {
        const counter = { ratings: 0 }
        counters.push(counter)
        closers.push(await openStream(streamUrl(i), keys[Math.floor(i / PER_KEY)]!, counter))
      }
    }
    const phase = async (streams: number): Promise<StreamsPhase> => {
      await openUpTo(streams)
      // Settle: the streams' first polls and the opening audit entries are not the steady state.
      await new Promise((r) => setTimeout(r, 5000))
      const before = counters.map((c) => c.ratings)
      const statements = await statementsExecuted(influx.url)
      const [usage] = await processUsage([hub.pid], o.windowS * 1000)
      const ran = (await statementsExecuted(influx.url)) - statements
      const receiving = counters.filter((c, i) => c.ratings > before[i]!).length
      const p: StreamsPhase = { streams, receiving, cpuPercent: usage!.cpuPercent, rssMb: usage!.rssBytes / 1024 / 1024, statementsPerMin: (ran / o.windowS) * 60 }
      o.log(`${streams} streams: ${p.cpuPercent.toFixed(1)}% of a core, ${p.rssMb.toFixed(0)} MB RSS, ${p.statementsPerMin.toFixed(0)} statements/min, ${receiving} receiving`)
      return p
    }
    const one = await phase(1)
    const many = await phase(KEYS * PER_KEY)
    const ratio = (a: number, b: number) => Math.round((b / a) * 100) / 100
    return {
      windowS: o.windowS,
      ratingsPerS: o.ratingsPerS,
      one,
      many,
      ratios: { cpu: ratio(one.cpuPercent, many.cpuPercent), rss: ratio(one.rssMb, many.rssMb), statements: ratio(one.statementsPerMin, many.statementsPerMin) },
    }
  } finally {
    for (const close of closers) close()
    for (const step of cleanup.reverse()) await step()
  }
}
