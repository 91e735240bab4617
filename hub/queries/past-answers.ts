/**
 * Answers about past days, kept by one hub instance for the console's
 * drill-down (docs/kpi.md, "Past answers"). A day before today changes only
 * by a write that moves the rollup's epoch (hub/rollup/epoch.ts) or by the
 * retention sweep at the far end, so each question reads the epoch first (one
 * small statement), and what was kept under another epoch is dropped. Kept:
 * the stale site-days of the past across every site, and the rollup's
 * answers to statements about past days only. Never kept: today (and the
 * first minutes after midnight, PAST_MARGIN_MS), the days the next sweeps may
 * delete, and answers too large to be worth their memory (a report's).
 */
import { DAY_MS } from '../../common/time.js'
import { epochOf, epochStatement } from '../rollup/epoch.js'
import { localDayStart, mergeSiteDays, type SiteDays } from '../rollup/marks.js'
import { readIfAny, type InfluxQuery, type Series } from './client.js'

/**
 * A write is decided (is it about a past day?) before it lands: one decided
 * this long before the horizon moved has landed, so the past starts at the
 * local day of now minus this (write timeouts are seconds).
 */
export const PAST_MARGIN_MS = 10 * 60_000
/** Row values kept at most over every answer (~8 bytes each in V8): ~16 MB of the hub's heap. */
export const MAX_KEPT_VALUES = 2_000_000
/** An answer larger than this is read every time (a province's counter cube: a report's, read once). */
export const MAX_ANSWER_VALUES = 200_000
/** Days before the rollup's retention cutoff left alone: the sweep runs once a day at a time of its own. */
const SWEEP_MARGIN_DAYS = 2

export interface PastTurn {
  /** Start of the first day that is not past (a local midnight). */
  readonly horizon: number
  /** Start of the first day whose answers may be kept. */
  readonly keptFrom: number
  /** The stale site-days of every site in [fromMs, horizon): what is kept, and `look` for the rest (and for days kept stale). */
  staleEverywhere(fromMs: number, look: (fromMs: number, toMs: number) => Promise<SiteDays>): Promise<SiteDays>
  /** The days of [fromMs, horizon) that may hold stale site-days (none other can), or null when [fromMs, horizon) is not kept. */
  maybeStale(fromMs: number): number[] | null
  /**
   * A statement about the days [fromMs, toMs): when they lie in [keptFrom, horizon), its kept answer handed to
   * `onSeries`, else `read` and kept when small enough; other days are simply read.
   */
  answer(statement: string, fromMs: number, toMs: number, read: (onSeries: (s: Series) => void) => Promise<void>, onSeries: (s: Series) => void): Promise<void>
}

export interface PastStats {
  epoch: string | null
  answers: number
  values: number
  hits: number
  misses: number
}

export interface PastAnswers {
  /** A question's turn: reads the epoch, and drops what was kept under another one. */
  turn(db: Pick<InfluxQuery, 'run' | 'rollup'>, nowMs?: number): Promise<PastTurn>
  stats(): PastStats
}

interface Kept {
  epoch: string | null
  /** The turn that set the epoch: an older turn that read another epoch neither reads nor keeps. */
  seq: number
  /** [from, to) of local days whose stale site-days are known; null before any. */
  staleFrom: number | null
  staleTo: number
  stale: SiteDays
  answers: Map<string, { series: Series[]; values: number }>
  values: number
}

const valuesOf = (s: Series) => s.values.length * s.columns.length

/** Most stretches of days read again at once; more are read as one stretch from the first to the last. */
const MAX_RUNS = 4

/**
 * Local days as [from, to) stretches of consecutive days, or one stretch over
 * all of them when they are many: a site-day the rollup can never count (too
 * varied) stays stale for good, and must not cost a read of every day since.
 */
export function runsOf(days: readonly number[]): [number, number][] {
  const sorted = [...days].sort((a, b) => a - b)
  const runs: [number, number][] = []
  for (const day of sorted) {
    const last = runs.at(-1)
    if (last && last[1] === day) last[1] = day + DAY_MS
    else runs.push([day, day + DAY_MS])
  }
  return runs.length > MAX_RUNS ? [[runs[0]![0], runs.at(-1)![1]]] : runs
}

export interface PastAnswersOptions {
  /** How long the rollup is kept (config retention.days.rollup). */
  rollupDays: number
  maxValues?: number
  maxAnswerValues?: number
  /** The wall clock, as the writers judge a past day by (tests hold it still). */
  now?: () => number
}

export function createPastAnswers({ rollupDays, maxValues = MAX_KEPT_VALUES, maxAnswerValues = MAX_ANSWER_VALUES, now = Date.now }: PastAnswersOptions): PastAnswers {
  const fresh = (epoch: string | null, seq: number): Kept => ({ epoch, seq, staleFrom: null, staleTo: 0, stale: new Map(), answers: new Map(), values: 0 })
  let kept = fresh(null, 0)
  let seq = 0
  let hits = 0
  let misses = 0
  // Stale lookups one at a time: questions arriving together share the first one's reading.
  let staleTurns: Promise<unknown> = Promise.resolve()

  const keep = (statement: string, series: Series[], values: number) => {
    kept.answers.set(statement, { series, values })
    kept.values += values
    // Least recently used first: a hit moves an answer to the end.
    for (const [oldest, a] of kept.answers) {
      if (kept.values <= maxValues) break
      kept.answers.delete(oldest)
      kept.values -= a.values
    }
  }

  return {
    async turn(db, nowMs = now()) {
      const mine = ++seq
      const epoch = epochOf(await readIfAny(db, epochStatement(db)))
      if (epoch !== kept.epoch && mine > kept.seq) kept = fresh(epoch, mine)
      const current = () => kept.epoch === epoch && kept.seq <= mine
      const horizon = localDayStart(nowMs - PAST_MARGIN_MS)
      const keptFrom = localDayStart(nowMs) - (rollupDays - SWEEP_MARGIN_DAYS) * DAY_MS
      const staleIn = (days: SiteDays, fromMs: number) => new Map([...days].filter(([day]) => day >= fromMs && day < horizon))

      return {
        horizon,
        keptFrom,
        async staleEverywhere(fromMs, look) {
          if (fromMs >= horizon) return new Map()
          if (!current()) return look(fromMs, horizon)
          const run = staleTurns.then(async () => {
            if (!current()) return look(fromMs, horizon)
            const k = kept
            const reads: [number, number][] = []
            if (k.staleFrom === null) reads.push([fromMs, horizon])
            else {
              if (fromMs < k.staleFrom) reads.push([fromMs, k.staleFrom])
              if (k.staleTo < horizon) reads.push([k.staleTo, horizon])
              // Site-days kept as stale may have been rolled up since: read their days again.
              reads.push(...runsOf([...k.stale.keys()].filter((d) => d >= fromMs && d < Math.min(horizon, k.staleTo))))
            }
            const found = await Promise.all(reads.map(([from, to]) => look(from, to)))
            // Kept under this turn's epoch even if a newer one has replaced it since: then it is only this turn's.
            reads.forEach(([from, to], i) => {
              for (const day of [...k.stale.keys()]) if (day >= from && day < to) k.stale.delete(day)
              mergeSiteDays(k.stale, found[i]!)
            })
            k.staleFrom = Math.min(k.staleFrom ?? fromMs, fromMs)
            k.staleTo = Math.max(k.staleTo, horizon)
            return staleIn(k.stale, fromMs)
          })
          staleTurns = run.catch(() => undefined)
          return run
        },
        maybeStale(fromMs) {
          if (!current() || kept.staleFrom === null || fromMs < kept.staleFrom || kept.staleTo < horizon) return null
          return [...kept.stale.keys()].filter((d) => d >= fromMs && d < horizon).sort((a, b) => a - b)
        },
        async answer(statement, fromMs, toMs, read, onSeries) {
          if (fromMs < keptFrom || toMs > horizon) return read(onSeries)
          const hit = current() ? kept.answers.get(statement) : undefined
          if (hit) {
            hits++
            kept.answers.delete(statement)
            kept.answers.set(statement, hit)
            for (const s of hit.series) onSeries(s)
            return
          }
          misses++
          let series: Series[] | null = []
          let values = 0
          await read((s) => {
            onSeries(s)
            if (!series) return
            values += valuesOf(s)
            if (values > maxAnswerValues) series = null
            else series.push(s)
          })
          if (series && current()) keep(statement, series, values)
        },
      }
    },
    stats: () => ({ epoch: kept.epoch, answers: kept.answers.size, values: kept.values, hits, misses }),
  }
}
