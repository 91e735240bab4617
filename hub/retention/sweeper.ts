/**
 * The daily retention sweep (docs/retention.md): deletes, measurement by
 * measurement, the points whose class's retention has passed. DELETE
 * statements on InfluxDB 1.x, so the read path is unchanged: every query
 * keeps reading the database's default retention policy (and the rollup's).
 * Deleting is idempotent: a sweep cut short, or run by two instances, is
 * simply done again.
 */
import type { Logger } from '../../common/log.js'
import { closedCaseDeletes } from '../cases/retention.js'
import { DAY_MS } from '../../common/time.js'
import type { RetentionClass, RetentionConfig } from '../config/retention.js'
import { VN_OFFSET_MS } from '../kpi/time.js'
import type { InfluxQuery, Series } from '../queries/client.js'
import {
  RETENTION_CLASSES, chainEndsStatement, cutoffOf, deleteBefore, deleteBeforeLast, deleteChain, lastBeforeStatements, type MeasurementRule,
} from './policy.js'

/** DELETE statements per request: a province's thousands of device states go in a few requests. */
const STATEMENTS_PER_REQUEST = 200

export interface SweepStep {
  class: RetentionClass
  measurement: string
  cutoffMs: number
  /** DELETE statements run (keepLast: one per state with older points; wholeChains: one per expired chain; closedCases: one per point). */
  statements: number
  ms: number
}

export interface SweepReport {
  atMs: number
  steps: SweepStep[]
  ms: number
}

/** The last point time (ms) and tags of each series in a GROUP BY answer. */
function lastPoints(series: readonly Series[]): { tags: Record<string, string>; ms: number }[] {
  return series.flatMap((s) => {
    const ms = Number(s.values[0]?.[0])
    return Number.isFinite(ms) ? [{ tags: s.tags ?? {}, ms }] : []
  })
}

/** The DELETE statements of one measurement's rule at this cutoff (reads first for keepLast and wholeChains). */
async function statementsFor(db: InfluxQuery, { measurement, rule }: MeasurementRule, cutoffMs: number): Promise<string[]> {
  if (rule.kind === 'time') return [deleteBefore(measurement, cutoffMs)]
  if (rule.kind === 'keepLast') {
    const [last, counts] = await db.run(lastBeforeStatements(measurement, rule, cutoffMs))
    const several = new Set((counts ?? []).filter((s) => Number(s.values[0]?.[1]) > 1).map((s) => JSON.stringify(s.tags ?? {})))
    return lastPoints(last ?? [])
      .filter((p) => several.has(JSON.stringify(p.tags)))
      .map((p) => deleteBeforeLast(measurement, p.tags, p.ms))
  }
  if (rule.kind === 'closedCases') return closedCaseDeletes(db, measurement, cutoffMs)
  const [series] = await db.run([chainEndsStatement(measurement, rule)])
  return lastPoints(series ?? [])
    .filter((p) => p.ms < cutoffMs && p.tags[rule.tag] !== undefined)
    .map((p) => deleteChain(measurement, rule.tag, p.tags[rule.tag]!))
}

/** One sweep of every class at nowMs. A failing statement fails the sweep; what ran stays done. */
export async function sweep(db: InfluxQuery, config: RetentionConfig, nowMs: number, only?: readonly RetentionClass[]): Promise<SweepReport> {
  const started = Date.now()
  const steps: SweepStep[] = []
  for (const [cls, rules] of Object.entries(RETENTION_CLASSES) as [RetentionClass, readonly MeasurementRule[]][]) {
    if (only && !only.includes(cls)) continue
    const cutoffMs = cutoffOf(nowMs, config.days[cls])
    for (const m of rules) {
      const t0 = Date.now()
      const statements = await statementsFor(db, m, cutoffMs)
      for (let i = 0; i < statements.length; i += STATEMENTS_PER_REQUEST) await db.run(statements.slice(i, i + STATEMENTS_PER_REQUEST))
      steps.push({ class: cls, measurement: m.measurement, cutoffMs, statements: statements.length, ms: Date.now() - t0 })
    }
  }
  return { atMs: nowMs, steps, ms: Date.now() - started }
}

/** Next local `hour:minute` strictly after nowMs. */
export function nextSweepAt(nowMs: number, at: { hour: number; minute: number }): number {
  const dayStart = Math.floor((nowMs + VN_OFFSET_MS) / DAY_MS) * DAY_MS - VN_OFFSET_MS
  const today = dayStart + (at.hour * 60 + at.minute) * 60_000
  return today > nowMs ? today : today + DAY_MS
}

export interface Sweeper {
  start(): void
  stop(): Promise<void>
  /** The last sweep's report, or its failure. */
  state(): { last: SweepReport | null; error: string | null; nextAtMs: number | null }
}

export function createSweeper(opts: { db: InfluxQuery; config: RetentionConfig; log: Logger; now?: () => number }): Sweeper {
  const now = opts.now ?? Date.now
  let timer: NodeJS.Timeout | null = null
  let running: Promise<void> = Promise.resolve()
  let last: SweepReport | null = null
  let error: string | null = null
  let nextAtMs: number | null = null

  const schedule = () => {
    nextAtMs = nextSweepAt(now(), opts.config.sweepAt)
    // A timer past ~24.8 days would overflow; one a day is far below.
    timer = setTimeout(run, Math.max(0, nextAtMs - now()))
  }
  const run = () => {
    timer = null
    running = sweep(opts.db, opts.config, now()).then(
      (report) => {
        last = report
        error = null
        opts.log.info({ ms: report.ms, statements: report.steps.reduce((n, s) => n + s.statements, 0) }, 'retention sweep done')
      },
      (err: unknown) => {
        // Tried again at the next sweep: nothing is lost by deleting a day late.
        error = (err as Error).message
        opts.log.error({ err }, 'retention sweep failed')
      },
    ).finally(() => {
      if (nextAtMs !== null) schedule()
    })
  }
  return {
    start: schedule,
    async stop() {
      if (timer) clearTimeout(timer)
      timer = null
      nextAtMs = null
      await running
    },
    state: () => ({ last, error, nextAtMs }),
  }
}
