/**
 * The misuse rules, pure: given what a counter and a device did before, is
 * this press an honest rating? See docs/misuse.md for the rules and why.
 */
import type { MisuseKind } from '../../protocol/records.js'
import { DAY_MS } from '../../common/time.js'

export interface MisuseSettings {
  rapidWindowS: number
  stuckRepeats: number
  stuckWindowS: number
  excessAllowance: number
}

/** A rating as the rules see it. */
export interface Press {
  counter: string
  device: string
  level: number
  ticket: string | null
  /** Device clock: intervals between one device's presses survive an offline replay. */
  deviceTs: number
  /** Edge clock at receipt: the only common time between two devices. */
  edgeTs: number
}

export interface LastPress {
  device: string
  deviceTs: number
  edgeTs: number
}

/** One device's current run of the same level at short intervals. */
export interface Run {
  level: number
  count: number
  deviceTs: number
}

/** Tickets and presses at a counter on one local day. */
export interface CounterDay {
  day: number
  called: number
  counted: number
  rated: Set<string>
}

const VN_OFFSET_MS = 7 * 3_600_000

/** Local day number in Asia/Ho_Chi_Minh (UTC+7 all year). */
export const localDay = (t: number): number => Math.floor((t + VN_OFFSET_MS) / DAY_MS)

/**
 * Time since the counter's previous press: on the device's own clock when the
 * same device pressed before (a press kept offline and replayed later keeps
 * its real interval), else on the edge clock.
 */
export function sincePrevious(prev: LastPress | undefined, p: Press): number | null {
  if (!prev) return null
  return prev.device === p.device ? p.deviceTs - prev.deviceTs : p.edgeTs - prev.edgeTs
}

/** The device's run after this press: the same level within the window extends it, anything else starts a new one. */
export function nextRun(run: Run | undefined, p: Press, s: MisuseSettings): Run {
  const gap = run ? p.deviceTs - run.deviceTs : Infinity
  const continues = run !== undefined && run.level === p.level && gap >= 0 && gap <= s.stuckWindowS * 1000
  return { level: p.level, count: continues ? run.count + 1 : 1, deviceTs: p.deviceTs }
}

/**
 * The verdict, most specific first: a stuck button, then a repeat too soon
 * after the previous press, then more presses than tickets called today
 * (only once a queue system feeds this counter) or a second rating of the
 * same ticket.
 */
export function verdict(p: Press, since: number | null, run: Run, day: CounterDay | undefined, s: MisuseSettings): MisuseKind | null {
  if (run.count >= s.stuckRepeats) return 'stuck'
  if (since !== null && since >= 0 && since < s.rapidWindowS * 1000) return 'rapid'
  if (day && day.called > 0) {
    if (p.ticket !== null && day.rated.has(p.ticket)) return 'excess'
    if (day.counted + 1 > day.called + s.excessAllowance) return 'excess'
  }
  return null
}
