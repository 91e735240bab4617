/**
 * Keeps the daily rollup current. Site-days come from this hub's writes (at
 * once) and from a scan of stale `kpi_state` marks (at start and every
 * minute: another instance's writes, or a crash between a write and its
 * rollup). A site-day is recounted from its raw points, never incremented,
 * so a replayed batch or a late edge cannot count twice; `rolled` is then set
 * to the `changed` stamp read before counting, so a write that lands
 * meanwhile leaves the day stale for the next round.
 */
import type { Logger } from '../../common/log.js'
import type { PointWriter } from '../influx/writer.js'
import type { InfluxQuery, Series } from '../queries/client.js'
import type { Directory } from '../queries/directory.js'
import { ratingFactsOf, ratingFactsStatement, ticketFactsOf, ticketFactsStatement } from '../queries/facts.js'
import { tagFilters, timeRange } from '../queries/influxql.js'
import { CUBES, STATE_MEASUREMENT, rollupPoints, siteDayCells, talliesOfRow, type Cell, type CellTag, type CubeName } from './cells.js'
import { mergeSiteDays, rolledPoint, type SiteDays } from './marks.js'

const DAY_MS = 86_400_000
/** Above this many stale sites in one day, read the whole day and keep theirs: one regex of hundreds of ids costs more. */
const WHOLE_DAY_SITES = 50

export interface RollupOptions {
  db: InfluxQuery
  /** Writes into the rollup's retention policy. */
  writer: PointWriter
  dir: Directory
  log: Logger
  /** Pause between rounds, so a busy hall is recounted about once a second, not per batch. */
  intervalMs?: number
  scanEveryMs?: number
}

export interface Rollup {
  /** Site-days this hub just wrote. */
  changed(changes: SiteDays): void
  start(): void
  /** Scans for stale marks and recounts until none is left (benchmarks, tests, the demo loader). */
  catchUp(): Promise<void>
  /** Site-days waiting in this hub's queue. */
  queued(): number
  stop(): Promise<void>
}

export function createRollup({ db, writer, dir, log, intervalMs = 1000, scanEveryMs = 60_000 }: RollupOptions): Rollup {
  let queue: SiteDays = new Map()
  let timer: NodeJS.Timeout | null = null
  let scanTimer: NodeJS.Timeout | null = null
  let running: Promise<void> = Promise.resolve()
  let stopped = true
  let failures = 0

  const count = () => [...queue.values()].reduce((n, s) => n + s.size, 0)

  async function scan(): Promise<void> {
    const [series] = await db.run([`SELECT "changed", "rolled" FROM ${db.rollup}"${STATE_MEASUREMENT}" WHERE "changed" != "rolled" GROUP BY "site"`])
    for (const s of series ?? []) {
      const site = s.tags?.site
      if (!site) continue
      for (const row of s.values) {
        const day = Number(row[0])
        const sites = queue.get(day)
        if (sites) sites.add(site)
        else queue.set(day, new Set([site]))
      }
    }
  }

  /** Recounts some sites of one local day; everything it reads is one request. */
  async function recount(day: number, sites: readonly string[]): Promise<void> {
    const wholeDay = sites.length > WHOLE_DAY_SITES
    const filter = wholeDay ? {} : { site: sites }
    const where = [timeRange(day, day + 1), ...tagFilters(filter)].join(' AND ')
    const cubes = Object.keys(CUBES) as CubeName[]
    const [state, ratingSeries, ticketSeries, ...previous] = await db.run([
      `SELECT "changed" FROM ${db.rollup}"${STATE_MEASUREMENT}" WHERE ${where} GROUP BY "site"`,
      ratingFactsStatement(day, day + DAY_MS, filter),
      ticketFactsStatement(day, day + DAY_MS, filter),
      ...cubes.map((c) => `SELECT * FROM ${db.rollup}"${CUBES[c].measurement}" WHERE ${where} GROUP BY *`),
    ])
    const wanted = new Set(sites)
    const ratings = ratingFactsOf(ratingSeries ?? [], dir).filter((r) => wanted.has(r.site))
    const tickets = ticketFactsOf(ticketSeries ?? [], dir).filter((t) => wanted.has(t.site))
    const points = []
    for (const site of sites) {
      const before: Partial<Record<CubeName, Cell[]>> = {}
      cubes.forEach((c, i) => (before[c] = cellsOf(previous[i] ?? [], site)))
      const cells = siteDayCells(
        ratings.filter((r) => r.site === site),
        tickets.filter((t) => t.site === site),
      )
      points.push(...rollupPoints(site, day, cells, before))
    }
    await writer.write(points)
    const stamps = new Map((state ?? []).map((s) => [s.tags?.site ?? '', s.values[0]?.[1]]))
    const rolled = sites.flatMap((site) => {
      const stamp = stamps.get(site)
      return typeof stamp === 'number' ? [rolledPoint(site, day, stamp)] : []
    })
    await writer.write(rolled)
  }

  async function round(): Promise<void> {
    const work = queue
    queue = new Map()
    try {
      for (const day of [...work.keys()].sort((a, b) => a - b)) {
        const sites = [...work.get(day)!].sort()
        const chunk = sites.length > WHOLE_DAY_SITES ? sites.length : 20
        for (let i = 0; i < sites.length; i += chunk) {
          const some = sites.slice(i, i + chunk)
          await recount(day, some)
          for (const s of some) work.get(day)!.delete(s)
        }
        work.delete(day)
      }
      failures = 0
    } catch (err) {
      // What was not counted goes back; the marks keep it stale for any hub meanwhile.
      mergeSiteDays(queue, work)
      failures++
      log.warn({ err: (err as Error).message, queued: count(), failures }, 'rollup round failed')
    }
  }

  function schedule(delay = intervalMs): void {
    if (stopped || timer) return
    timer = setTimeout(() => {
      timer = null
      running = running.then(round).then(() => {
        if (queue.size) schedule(Math.min(60_000, intervalMs * 2 ** failures))
      })
    }, delay)
  }

  function scanSoon(): void {
    running = running
      .then(scan)
      .catch((err: unknown) => log.warn({ err: (err as Error).message }, 'rollup scan failed'))
      .then(() => {
        if (queue.size) schedule(0)
      })
  }

  return {
    changed(changes) {
      mergeSiteDays(queue, changes)
      schedule()
    },
    start() {
      if (!stopped) return
      stopped = false
      scanSoon()
      scanTimer = setInterval(scanSoon, scanEveryMs)
      scanTimer.unref()
    },
    async catchUp() {
      // Bounded: each round either empties the queue or fails; a database that keeps failing ends it with the error.
      for (let attempt = 0; attempt < 1000; attempt++) {
        await running
        await scan()
        if (!queue.size) return
        const before = failures
        await (running = running.then(round))
        if (failures > before) throw new Error(`rollup failed ${failures} time(s) in a row; see the log`)
      }
      throw new Error('rollup did not catch up after 1000 rounds')
    },
    queued: count,
    async stop() {
      stopped = true
      if (timer) clearTimeout(timer)
      if (scanTimer) clearInterval(scanTimer)
      timer = scanTimer = null
      await running
    },
  }
}

/** The cells a cube holds for one site, as stored (`SELECT *` grouped by every tag). */
function cellsOf(series: readonly Series[], site: string): Cell[] {
  const out: Cell[] = []
  for (const s of series) {
    if (s.tags?.site !== site) continue
    const tags = s.tags as Partial<Record<CellTag, string>>
    for (const row of s.values) out.push({ tags, fields: talliesOfRow(s.columns, row).fields })
  }
  return out
}
