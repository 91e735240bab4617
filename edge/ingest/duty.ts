import type { Logger } from '../../common/log.js'
import type { DutyReason, DutyRecord } from '../../protocol/records.js'
import type { Clock } from '../clock/types.js'
import type { DistributiveOmit, Outbox } from '../outbox/types.js'
import type { SiteIndex } from './site.js'

export type DutyListener = (counter: string, officer: string | null) => void

/** A duty record before the outbox gives it its sequence number and time. */
export type NewDutyRecord = DistributiveOmit<DutyRecord, 'seq' | 't' | 'clock'>

/** Stores duty records durably (the outbox); a rejection leaves the roster unchanged. */
export type DutyJournal = (records: readonly NewDutyRecord[]) => Promise<void>

/** Why the roster changes: a kiosk sign-in or sign-out (with its kiosk and message id), or the midnight reset. */
export type DutyCause = { reason: 'sign-in' | 'sign-out'; device: string; eventId: string } | { reason: 'end-of-day' }

interface Seat {
  officer: string | null
  /** True when the officer got here by signing in at the kiosk, false when the config posts them here. */
  signedIn: boolean
}

/**
 * Who is on duty at each counter right now. Starts from the config's
 * `counters[].officer`; kiosk sign-in (issue 4) changes it at run time, and
 * listeners (the broker) republish the counter's device config.
 *
 * Only sign-ins make duty intervals (issue 15): the config's officer is the
 * schedule, not proof of presence. Each change is first written to the
 * journal as `duty` records (the outbox), and applied only once stored, so
 * the kiosk is acknowledged for a sign-in the hub will see exactly once.
 */
export class DutyRoster {
  private readonly seats = new Map<string, Seat>()
  private readonly listeners = new Set<DutyListener>()
  /** Changes are journaled one at a time, so each computes its records from the state the previous one left. */
  private queue: Promise<unknown> = Promise.resolve()
  private pending = 0

  constructor(
    private readonly site: SiteIndex,
    private journal: DutyJournal | null = null,
  ) {
    for (const c of site.counters.values()) this.seats.set(c.id, { officer: c.officer ?? null, signedIn: false })
  }

  /** Where duty records go; without one the roster changes in memory only (tests of the broker alone). */
  setJournal(journal: DutyJournal): void {
    this.journal = journal
  }

  officerAt(counter: string): string | null {
    return this.seats.get(counter)?.officer ?? null
  }

  /**
   * Puts `officer` on duty at `counter` (null: nobody), for `cause`. Resolves
   * false (and changes nothing) for an unknown counter or officer; rejects,
   * changing nothing, when the journal cannot store the records. A change
   * with nothing to journal, while none is pending, applies at once.
   */
  change(counter: string, officer: string | null, cause: DutyCause): Promise<boolean> {
    if (this.pending === 0) {
      const plan = this.plan(counter, officer, cause)
      if (!plan || plan.records.length === 0 || !this.journal) return Promise.resolve(plan !== null && this.commit(plan))
    }
    this.pending++
    const next = this.queue.then(async () => {
      const plan = this.plan(counter, officer, cause)
      if (!plan) return false
      if (plan.records.length > 0 && this.journal) await this.journal(plan.records)
      return this.commit(plan)
    }).finally(() => this.pending--)
    this.queue = next.catch(() => undefined)
    return next
  }

  /**
   * Posts an officer at a counter the way the config does (no sign-in, so no
   * duty interval and nothing journaled): for tests and tools. Returns false
   * (and changes nothing) for an unknown counter or officer.
   */
  setOfficer(counter: string, officer: string | null): boolean {
    const seat = this.seats.get(counter)
    if (!seat || (officer !== null && !this.site.officers.has(officer))) return false
    return this.commit({ counter, seat: { officer, signedIn: false } })
  }

  private plan(counter: string, officer: string | null, cause: DutyCause): { counter: string; seat: Seat; records: NewDutyRecord[] } | null {
    const from = this.seats.get(counter)
    if (!from) return null
    if (officer !== null && !this.site.officers.has(officer)) return null
    const seat = { officer, signedIn: cause.reason === 'sign-in' && officer !== null }
    return { counter, seat, records: dutyRecords(counter, from, seat, cause) }
  }

  private commit({ counter, seat }: { counter: string; seat: Seat }): true {
    const moved = this.seats.get(counter)?.officer !== seat.officer
    this.seats.set(counter, seat)
    if (moved) for (const l of this.listeners) l(counter, seat.officer)
    return true
  }

  onChange(listener: DutyListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}

/**
 * The duty records of one change at a counter (pure): the end of the interval
 * of whoever had signed in there, then the start of the new one. A sign-in of
 * the officer already signed in (a resent message) makes none.
 */
export function dutyRecords(counter: string, from: Seat, to: Seat, cause: DutyCause): NewDutyRecord[] {
  const source = cause.reason === 'end-of-day' ? { device: null, eventId: null } : { device: cause.device, eventId: cause.eventId }
  if (from.signedIn && to.signedIn && from.officer === to.officer) return []
  const out: NewDutyRecord[] = []
  if (from.signedIn && from.officer !== null) {
    const reason: DutyReason = cause.reason === 'sign-in' ? 'replaced' : cause.reason
    out.push({ kind: 'duty', event: 'out', reason, counter, officer: from.officer, ...source })
  }
  if (to.signedIn && to.officer !== null) out.push({ kind: 'duty', event: 'in', reason: 'sign-in', counter, officer: to.officer, ...source })
  return out
}

/** Written once at every start: whoever was on duty before the edge (re)started is no longer known to be. */
export const RESTART_RECORD: NewDutyRecord = { kind: 'duty', event: 'out', reason: 'restart', counter: null, officer: null, device: null, eventId: null }

/**
 * Makes the outbox the roster's journal and stores the start's `restart`
 * record first, so it precedes every sign-in of this run. A refused restart
 * record (full disk) is logged, not fatal: the hub then closes the earlier
 * run's intervals at the end of their day.
 */
export async function journalDuty(o: { duty: DutyRoster; outbox: Outbox; clock: Clock; log: Logger }): Promise<void> {
  await o.outbox.append(RESTART_RECORD, o.clock.stamp()).catch((err: unknown) => o.log.error({ err }, 'duty restart record not stored'))
  o.duty.setJournal(async (records) => {
    // Appended together, so one group commit holds both halves of a hand-over; seq keeps their order.
    await Promise.all(records.map((r) => o.outbox.append(r, o.clock.stamp())))
  })
}
