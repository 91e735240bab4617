/**
 * The misuse filter's state: per counter the last press and the day's
 * tickets, per device the current run of one level. The broker asks it about
 * every rating before the outbox append, so the stored record carries the
 * verdict. A resend of an event already judged gets the same verdict and
 * changes nothing (the outbox then finds it a duplicate).
 */
import type { MisuseKind } from '../../protocol/records.js'
import type { NewRecord } from '../outbox/types.js'
import { localDay, nextRun, sincePrevious, verdict, type CounterDay, type LastPress, type MisuseSettings, type Press, type Run } from './judge.js'

type RatingRecord = Extract<NewRecord, { kind: 'rating' }>
type TicketRecord = Extract<NewRecord, { kind: 'ticket' }>

/** A device alert to publish (retained) when it starts or clears. */
export interface StuckAlert {
  counter: string
  device: string
  active: boolean
  level: number
  repeats: number
}

/** What makes self-rating visible: flags and unticketed best-level presses, per counter and officer. */
export interface MisuseStats {
  /** `${kind}|${counter}|${officer or ""}` → presses flagged. */
  flagged: Map<string, number>
  /** `${counter}|${officer or ""}` → presses of the scale's best level without a ticket number. */
  bestWithoutTicket: Map<string, number>
  /** Devices whose button is stuck right now. */
  stuck: Set<string>
}

export interface Judged {
  record: RatingRecord
  /** Set when a stuck alert starts or clears with this press. */
  alert: StuckAlert | null
}

/** Event ids remembered for re-judging resends; a kiosk replays at most a few hundred. */
const REMEMBERED = 10_000

/** A counter's keys in MisuseStats for its current officer: built once, so a press bumps counts under strings V8 has already hashed. */
interface StatsKeys {
  officer: string | null
  /** `${counter}|${officer or ""}` */
  who: string
  /** kind → `${kind}|${who}` */
  flagged: Map<MisuseKind, string>
}

export class MisuseFilter {
  readonly stats: MisuseStats = { flagged: new Map(), bestWithoutTicket: new Map(), stuck: new Set() }
  private readonly last = new Map<string, LastPress>()
  private readonly runs = new Map<string, Run>()
  private readonly days = new Map<string, CounterDay>()
  private readonly judged = new Map<string, MisuseKind | null>()
  private readonly keys = new Map<string, StatsKeys>()
  /**
   * Insertion order of `judged`, as a ring: evicting through `judged.keys().next()`
   * walks V8's tombstones of earlier deletes, which cost more than all the rules.
   */
  private readonly order: (string | undefined)[] = new Array(REMEMBERED)
  private next = 0

  constructor(private readonly settings: MisuseSettings) {}

  judge(record: RatingRecord, dedupKey: string | null): Judged {
    if (dedupKey !== null && this.judged.has(dedupKey)) return { record: { ...record, misuse: this.judged.get(dedupKey) ?? null }, alert: null }
    const p: Press = record
    const run = nextRun(this.runs.get(p.device), p, this.settings)
    const day = this.dayOf(p.counter, p.edgeTs, false)
    const misuse = verdict(p, sincePrevious(this.last.get(p.counter), p), run, day, this.settings)

    this.last.set(p.counter, record)
    this.runs.set(p.device, run)
    const alert = this.stuckChange(p, run)
    if (misuse === null && day) {
      day.counted++
      if (p.ticket !== null) day.rated.add(p.ticket)
    }
    // Level 1 is the most satisfied on every scale (protocol/scales.ts).
    const bestWithoutTicket = record.level === 1 && p.ticket === null
    if (misuse !== null || bestWithoutTicket) {
      const keys = this.keysOf(p.counter, record.officer)
      if (misuse !== null) {
        let key = keys.flagged.get(misuse)
        if (key === undefined) keys.flagged.set(misuse, (key = `${misuse}|${keys.who}`))
        bump(this.stats.flagged, key)
      }
      if (bestWithoutTicket) bump(this.stats.bestWithoutTicket, keys.who)
    }
    if (dedupKey !== null) this.remember(dedupKey, misuse)
    return { record: { ...record, misuse }, alert }
  }

  /** Tickets called to a counter are the presses it may honestly receive. */
  noteTicket(record: TicketRecord): void {
    if (record.event === 'called') (this.dayOf(record.counter, record.edgeTs, true) as CounterDay).called++
  }

  private stuckChange(p: Press, run: Run): StuckAlert | null {
    const stuck = run.count >= this.settings.stuckRepeats
    const was = this.stats.stuck.has(p.device)
    if (stuck === was) return null
    if (stuck) this.stats.stuck.add(p.device)
    else this.stats.stuck.delete(p.device)
    return { counter: p.counter, device: p.device, active: stuck, level: p.level, repeats: stuck ? run.count : 0 }
  }

  /** One entry per counter of the site (counters come from its config). */
  private keysOf(counter: string, officer: string | null): StatsKeys {
    let keys = this.keys.get(counter)
    if (keys === undefined || keys.officer !== officer) this.keys.set(counter, (keys = { officer, who: `${counter}|${officer ?? ''}`, flagged: new Map() }))
    return keys
  }

  private dayOf(counter: string, t: number, create: boolean): CounterDay | undefined {
    const today = localDay(t)
    const d = this.days.get(counter)
    if (d && d.day === today) return d
    if (!create) return undefined
    const fresh: CounterDay = { day: today, called: 0, counted: 0, rated: new Set() }
    this.days.set(counter, fresh)
    return fresh
  }

  private remember(key: string, misuse: MisuseKind | null): void {
    const evicted = this.order[this.next]
    if (evicted !== undefined) this.judged.delete(evicted)
    this.order[this.next] = key
    this.next = (this.next + 1) % REMEMBERED
    this.judged.set(key, misuse)
  }
}

function bump(m: Map<string, number>, key: string): void {
  m.set(key, (m.get(key) ?? 0) + 1)
}
