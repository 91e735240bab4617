/**
 * How a simulated hall queue system behaves, pure over an injected random
 * source: citizens take tickets for a counter, the counter calls them one at
 * a time in order, and each service takes a while. It follows the demo's
 * hall (devices/simulator/behaviour.ts `HALL`): the same day at 15×, the
 * same busy and quiet hours, a service at least as long as the rating
 * boxes' shortest visit. More citizens take a ticket than press a button
 * (not everyone rates), so the tickets called to a counter stay ahead of its
 * honest presses and the misuse filter's "more presses than tickets" check
 * flags only what it should (docs/misuse.md).
 */
import type { Random } from '../../common/random.js'
import { DAY_MS } from '../../common/time.js'
import { HALL, hallLoad, poissonGapMs } from '../simulator/behaviour.js'

export const QUEUE = {
  /** Share of citizens served who press a rating button; tickets are issued at the rating rate ÷ this. */
  ratedShare: 0.7,
  /**
   * A service: the hall's shortest visit (2 minutes at 15×) plus an exponential part with this mean. Short enough
   * that a counter calls more citizens than its box sees presses even in the busiest hour, when the queue grows.
   */
  serviceMinMs: HALL.minGapMs,
  serviceExtraMeanMs: 1_500,
  /** Citizens already waiting at each counter when the hall opens. */
  openingQueue: 3,
  /** Between a call and the citizen reaching the counter (a few seconds at 15×); the service starts then. */
  walkMs: 500,
} as const

/** Gap before the next citizen takes a ticket for one counter, `elapsedMs` into the day, for `ratePerMinute` rating citizens. */
export function arrivalGapMs(ratePerMinute: number, elapsedMs: number, random: Random): number {
  return poissonGapMs((ratePerMinute / QUEUE.ratedShare) * hallLoad(elapsedMs), random)
}

/** How long serving one citizen takes, from the call to "finished". */
export function serviceMs(random: Random): number {
  return QUEUE.walkMs + QUEUE.serviceMinMs + (-Math.log(1 - random()) * QUEUE.serviceExtraMeanMs)
}

/**
 * Ticket numbers are unique per site and local day (hub/kpi/queue.ts pairs
 * events by them): the counter's id in capitals and a number, e.g. "Q03-0042".
 * `first` lets a restarted simulator continue past the numbers it used today.
 */
export function ticketNumber(counter: string, n: number): string {
  return `${counter.toUpperCase()}-${String(n).padStart(4, '0')}`
}

/** Vietnam's clock, UTC+7 all year: queue numbering restarts at its midnight. */
const VN_OFFSET_MS = 7 * 3_600_000

/** The first number of a run: one per 4 s of the local day so far, more than a counter can issue, so a restart never reuses one. */
export function firstNumber(nowMs: number): number {
  const sinceMidnight = (nowMs + VN_OFFSET_MS) % DAY_MS
  return 1 + Math.floor(sinceMidnight / 4_000)
}

/**
 * One counter's queue: tickets waiting in order, and the one being served.
 * The simulator drives it with timers; tests drive it with a clock of their own.
 */
export class CounterQueue {
  private readonly waiting: { ticket: string; issuedAt: number }[] = []
  private serving: string | null = null
  private n: number

  constructor(readonly counter: string, first: number) {
    this.n = first
  }

  /** A citizen takes a ticket. */
  issue(at: number): string {
    const ticket = ticketNumber(this.counter, this.n++)
    this.waiting.push({ ticket, issuedAt: at })
    return ticket
  }

  /** The counter is free and someone waits: the next ticket is called, with how long it waited. */
  callNext(at: number): { ticket: string; waitedMs: number } | null {
    if (this.serving !== null) return null
    const next = this.waiting.shift()
    if (!next) return null
    this.serving = next.ticket
    return { ticket: next.ticket, waitedMs: at - next.issuedAt }
  }

  /** The citizen being served leaves. */
  finish(): string | null {
    const done = this.serving
    this.serving = null
    return done
  }

  get length(): number {
    return this.waiting.length
  }
}
