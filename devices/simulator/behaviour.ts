/**
 * How a simulated citizen uses a counter's rating box: when presses happen,
 * which level, which reasons. Pure functions over an injected random source,
 * so tests can seed them and check the distributions.
 */
import { randomBytes } from 'node:crypto'
import { ratingMessage, type RatingMessage } from '../../protocol/messages.js'
import { isDissatisfied, type ScaleSize } from '../../protocol/scales.js'
import type { Random } from '../../common/random.js'

export const SIM_MODES = ['normal', 'hall', 'rapid', 'stuck', 'reconnect-storm', 'clock-off', 'duplicate'] as const
export type SimMode = (typeof SIM_MODES)[number]

/**
 * `hall` mode: a real counter's day, about 15 times faster (the demo of
 * `npm start`). One citizen per visit, and a visit takes time: two citizens
 * are at least `minGapMs` apart, which keeps them outside the misuse filter's
 * rapid window (5 s, docs/misuse.md) — that window is on the real clock, so
 * it cannot be accelerated. Now and then a citizen presses twice in a row,
 * the misuse a real hall does see.
 */
export const HALL = {
  /** Two citizens at one counter: a 2-minute service at 15×. */
  minGapMs: 8_000,
  /** Share of citizens who press a second time within about a second. */
  doublePress: 0.02,
  /** The second press of a double-press comes this long after the first, plus up to 900 ms. */
  doubleGapMs: 300,
  /** Opening hours (8 working hours, lunch left out) at 15×. */
  dayMs: 32 * 60_000,
  /** How busy each working hour is, 07:30 to 17:00 without lunch: queues at opening, a mid-morning peak, a quiet end of day. */
  hours: [1.1, 1.6, 1.8, 1.0, 0.8, 1.3, 0.9, 0.5],
} as const

/** How busy the hall is `elapsedMs` into the demo (day after day), relative to the day's average. */
export function hallLoad(elapsedMs: number): number {
  const hours = HALL.hours
  const mean = hours.reduce((a, b) => a + b, 0) / hours.length
  const hour = Math.floor(((elapsedMs % HALL.dayMs) / HALL.dayMs) * hours.length)
  return (hours[hour] ?? mean) / mean
}

/**
 * Gap before the next citizen in `hall` mode: the shortest service, then a
 * random wait whose mean follows the hour's load, so that the counter sees
 * `ratePerMinute` citizens a minute on average (fewer when the rate asks for
 * gaps shorter than a service: a counter serves one citizen at a time).
 */
export function hallGapMs(ratePerMinute: number, elapsedMs: number, random: Random): number {
  const mean = 60_000 / ratePerMinute / hallLoad(elapsedMs)
  const wait = Math.max(mean - HALL.minGapMs, HALL.minGapMs / 4)
  return HALL.minGapMs + poissonGapMs(60_000 / wait, random)
}


/** Gap before the next press of a Poisson process with the given rate. */
export function poissonGapMs(ratePerMinute: number, random: Random): number {
  if (!(ratePerMinute > 0)) throw new RangeError(`rate must be positive, got ${ratePerMinute}`)
  // 1 − u is in (0, 1], so the log is finite.
  return (-Math.log(1 - random()) * 60_000) / ratePerMinute
}

/**
 * Citizens who bother to press are mostly satisfied (Cần Thơ and Hà Nội
 * report 95 %+ satisfaction); each level is a bit under half as likely as
 * the one above it.
 */
export function levelWeights(scale: ScaleSize): number[] {
  const raw = Array.from({ length: scale }, (_, i) => 0.45 ** i)
  const sum = raw.reduce((a, b) => a + b, 0)
  return raw.map((w) => w / sum)
}

export function pickLevel(scale: ScaleSize, random: Random): number {
  const weights = levelWeights(scale)
  let u = random()
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i] ?? 0
    if (u < 0) return i + 1
  }
  return scale
}

/** After a dissatisfied press the kiosk offers reason chips; most people pick one or two, some skip. */
export function pickReasons(available: readonly string[], random: Random): string[] | undefined {
  if (available.length === 0 || random() < 0.4) return undefined
  const count = random() < 0.7 ? 1 : 2
  const pool = [...available]
  const chosen: string[] = []
  while (chosen.length < count && pool.length > 0) {
    const [reason] = pool.splice(Math.floor(random() * pool.length), 1)
    if (reason) chosen.push(reason)
  }
  return chosen
}

/**
 * Delays (ms) before each press of the next group: one press for most modes,
 * a burst within one second for `rapid`, a press every ~100 ms for `stuck`,
 * the next citizen (rarely pressing twice) for `hall`, whose rhythm depends
 * on how long the box has been running (`elapsedMs`).
 */
export function nextPressDelays(mode: SimMode, ratePerMinute: number, random: Random, elapsedMs = 0): number[] {
  switch (mode) {
    case 'hall': {
      const gap = hallGapMs(ratePerMinute, elapsedMs, random)
      return random() < HALL.doublePress ? [gap, HALL.doubleGapMs + random() * 900] : [gap]
    }
    case 'stuck':
      return [90 + random() * 20]
    case 'rapid': {
      const count = 3 + Math.floor(random() * 4)
      const gaps = Array.from({ length: count - 1 }, () => 80 + random() * 150)
      return [poissonGapMs(ratePerMinute, random), ...gaps]
    }
    default:
      return [poissonGapMs(ratePerMinute, random)]
  }
}

/**
 * Event ids: device id, a random tag per start (like a box's boot counter,
 * so a restarted simulator never reuses an id) and a monotonic counter.
 */
export function eventIdFactory(deviceId: string): () => string {
  const boot = randomBytes(4).toString('hex')
  let n = 0
  return () => `${deviceId}_${boot}_${(n++).toString(36)}`
}

export interface PressContext {
  scale: ScaleSize
  reasons: readonly string[]
  /** Device clock for this press (already shifted in `clock-off` mode). */
  ts: number
  nextId: () => string
  random: Random
  /** Level a stuck button keeps sending; undefined for a working one. */
  stuckLevel?: number
  /**
   * False: the press carries no queue ticket, as a hall's button box cannot know it (`hall` mode, beside the
   * demo's queue system, whose misuse filter would flag a random number rated twice in a day as `excess`).
   */
  withTicket?: boolean
}

/** One press as the device sends it; validated against the protocol schema so the simulator never sends junk by accident. */
export function buildRating(ctx: PressContext): RatingMessage {
  const level = ctx.stuckLevel ?? pickLevel(ctx.scale, ctx.random)
  const reasons = isDissatisfied(ctx.scale, level) && ctx.stuckLevel === undefined ? pickReasons(ctx.reasons, ctx.random) : undefined
  const ticket = ctx.withTicket !== false && ctx.random() < 0.3 ? `A${100 + Math.floor(ctx.random() * 900)}` : undefined
  return ratingMessage.parse({
    v: 1,
    id: ctx.nextId(),
    ts: Math.max(0, Math.round(ctx.ts)),
    scale: ctx.scale,
    level,
    ...(reasons ? { reasons } : {}),
    ...(ticket ? { ticket } : {}),
  })
}
