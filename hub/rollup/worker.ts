/**
 * Keeps the daily rollup current. Site-days come from this hub's writes (at
 * once) and from a scan of stale `kpi_state` marks (at start and every
 * minute: another instance's writes, or a crash between a write and its
 * rollup). A site-day is recounted from its raw points, never incremented,
 * so a replayed batch or a late edge cannot count twice; `rolled` is then set
 * to the `changed` stamp read before counting, so a write that lands
 * meanwhile leaves the day stale for the next round.
 *
 * The KPI queries rely on one rule kept here: a site-day's cubes are written
 * only while its `kpi_state` says stale, and the state says current only
 * after its cubes are written (hub/queries/ratings.ts leaves stale site-days
 * out of the cubes it sums, and trusts every other one).
 */
import type { Logger } from '../../common/log.js'
import type { PointWriter } from '../influx/writer.js'
import { readIfAny as readAny, type InfluxQuery } from '../queries/client.js'
import type { Directory } from '../queries/directory.js'
import { localTimeGroup, tagFilters, timeRange } from '../queries/influxql.js'
import { mapLimit } from '../queries/map-limit.js'
import { COUNT_UP_TO_SITES, ROLLUP_CHUNK_SITES, ROLLUP_LANES } from '../queries/planning.js'
import { MAX_CELLS_TEXT, STATE_MEASUREMENT, decodeCells, encodeCells, rollupPoints } from './cells.js'
import { countSiteDays } from './count.js'
import { beforeToday, nextEpochPoint } from './epoch.js'
import { localDayStart, markPoints, mergeSiteDays, rolledPoint, siteDaysOf, stamper, type SiteDays } from './marks.js'
import { DAY_MS } from '../../common/time.js'

const BACKFILL_SPAN_MS = 30 * DAY_MS

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
  /**
   * Resolves once raw points written before the rollup existed are marked
   * (at once when there were none); until then the KPI queries would take
   * those days for rolled up and empty. Rejects while the database fails.
   */
  ready(): Promise<void>
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
  let backfilled = false
  let backfilling: Promise<void> | null = null

  const count = () => [...queue.values()].reduce((n, s) => n + s.size, 0)

  /** Statements read nothing, not an error, before the first write creates the database and the rollup's policy. */
  const readIfAny = (statement: string) => readAny(db, statement)

  /**
   * Raw points written while no rollup was kept (an upgrade, or points loaded
   * around the hub) have no marks: when the rollup holds no state at all, mark
   * every site-day that has ratings or ticket events, once.
   */
  async function backfill(): Promise<void> {
    if ((await readIfAny(`SELECT count("changed") FROM ${db.rollup}"${STATE_MEASUREMENT}"`)).length) return
    const found: SiteDays = new Map()
    for (const measurement of ['rating', 'ticket']) {
      // One statement each: after a failed statement InfluxDB answers the next one "not executed".
      const [first, last] = await Promise.all([readIfAny(`SELECT first("seq") FROM "${measurement}"`), readIfAny(`SELECT last("seq") FROM "${measurement}"`)])
      const from = Number(first?.[0]?.values[0]?.[0])
      const to = Number(last?.[0]?.values[0]?.[0])
      if (!Number.isFinite(from) || !Number.isFinite(to)) continue
      // A month per statement keeps each under the query timeout on a province's data.
      for (let start = localDayStart(from); start <= to; start += BACKFILL_SPAN_MS) {
        const [series] = await db.run([
          `SELECT count("seq") FROM "${measurement}" WHERE ${timeRange(start, start + BACKFILL_SPAN_MS)} GROUP BY ${localTimeGroup('day')}, "site" fill(none)`,
        ])
        siteDaysOf(series ?? [], found)
      }
    }
    if (!found.size) return
    // Past days all: the epoch moves with them (hub/rollup/epoch.ts).
    await writer.write([...markPoints(found, stamper()()), nextEpochPoint()])
    log.info({ days: found.size }, 'rollup backfill: marked days written before the rollup existed')
  }

  /** The backfill until it has once succeeded: a database down at start is tried again with every scan. */
  function backfillOnce(): Promise<void> {
    if (backfilled) return Promise.resolve()
    backfilling ??= backfill()
      .then(() => void (backfilled = true))
      .finally(() => (backfilling = null))
    return backfilling
  }

  async function scan(): Promise<void> {
    siteDaysOf(await readIfAny(`SELECT "changed", "rolled" FROM ${db.rollup}"${STATE_MEASUREMENT}" WHERE "changed" != "rolled" GROUP BY "site"`), queue)
  }

  /** Recounts some sites of one local day; everything it reads is one request. */
  async function recount(day: number, sites: readonly string[]): Promise<void> {
    const filter = { site: sites }
    const [[state], counted] = await Promise.all([
      db.run([`SELECT "changed", "rolled", "cells" FROM ${db.rollup}"${STATE_MEASUREMENT}" WHERE ${[timeRange(day, day + 1), ...tagFilters(filter)].join(' AND ')} GROUP BY "site"`]),
      countSiteDays(db, dir, day, filter),
    ])
    const before = new Map((state ?? []).map((s) => [s.tags?.site ?? '', { changed: s.values[0]?.[1], rolled: s.values[0]?.[2], cells: s.values[0]?.[3] }]))
    const points = []
    const rolled = []
    for (const site of sites) {
      const previous = before.get(site)
      // Only a site-day whose state says stale has its cubes written (the queries trust all others as they are):
      // one that another hub rolled up meanwhile is current already.
      if (typeof previous?.changed !== 'number' || previous.changed === previous.rolled) continue
      const cells = counted.get(site) ?? []
      const text = encodeCells(cells)
      if (text.length > MAX_CELLS_TEXT) {
        log.warn({ site, day, bytes: text.length }, 'site-day too varied for the rollup; its KPIs are read from raw points')
        continue
      }
      points.push(...rollupPoints(site, day, cells, decodeCells(previous.cells)))
      rolled.push(rolledPoint(site, day, previous.changed, text))
    }
    // Cubes first, then the state that says they are current (and holds what they were written from).
    await writer.write(points)
    // A past day's recount moves the rollup's epoch once its state is written (hub/rollup/epoch.ts).
    await writer.write(rolled.length && beforeToday(day, Date.now()) ? [...rolled, nextEpochPoint()] : rolled)
  }

  async function round(): Promise<void> {
    const work = queue
    queue = new Map()
    const tasks: { day: number; sites: string[] }[] = []
    for (const day of [...work.keys()].sort((a, b) => a - b)) {
      const sites = [...work.get(day)!].sort()
      // Many sites are one task: count.ts reads their whole day as rows.
      const chunk = sites.length > COUNT_UP_TO_SITES ? sites.length : ROLLUP_CHUNK_SITES
      for (let i = 0; i < sites.length; i += chunk) tasks.push({ day, sites: sites.slice(i, i + chunk) })
    }
    const done = new Set<(typeof tasks)[number]>()
    try {
      await mapLimit(tasks, ROLLUP_LANES, async (task) => {
        await recount(task.day, task.sites)
        done.add(task)
      })
      failures = 0
    } catch (err) {
      // What was not counted goes back; the marks keep it stale for any hub meanwhile.
      for (const t of tasks) if (!done.has(t)) mergeSiteDays(queue, new Map([[t.day, new Set(t.sites)]]))
      failures++
      log.warn({ err: (err as Error).message, queued: count(), failures }, 'rollup round failed')
    }
  }

  function schedule(delay = intervalMs): void {
    if (stopped || timer) return
    timer = setTimeout(() => {
      timer = null
      const began = Date.now()
      running = running.then(round).then(() => {
        // A slow round (a huge day) sets the pace, so the rollup takes at most about half of the database's time.
        if (queue.size) schedule(Math.min(60_000, Math.max(intervalMs * 2 ** failures, Date.now() - began)))
      })
    }, delay)
  }

  function scanSoon(): void {
    running = running
      .then(backfillOnce)
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
      running = running.then(backfillOnce).catch((err: unknown) => log.warn({ err: (err as Error).message }, 'rollup backfill failed'))
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
    ready: backfillOnce,
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

/** A query client that waits for the rollup's backfill before its first statement (the hub's KPI API and console). */
export function afterBackfill(db: InfluxQuery, rollup: Pick<Rollup, 'ready'>): InfluxQuery {
  return {
    rollup: db.rollup,
    async run(statements, opts) {
      await rollup.ready()
      return db.run(statements, opts)
    },
    async each(statement, onSeries) {
      await rollup.ready()
      return db.each(statement, onSeries)
    },
  }
}
