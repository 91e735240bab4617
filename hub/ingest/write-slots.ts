/**
 * The hub's database write slots. A batch is admitted for upload only while
 * a slot is free (the 503 before the upload), but between its 100 Continue
 * and its last byte other batches may take every slot. A body already in
 * hand then waits a little, first come first served, instead of being
 * refused after it crossed the edge's uplink. The wait is bounded in time
 * and in how many bodies wait, so memory stays bounded and an overloaded
 * database still sheds.
 */

export interface WriteSlotsOptions {
  /** Writes at once. */
  max: number
  /** Bodies that may wait for a slot at once; past it a body is refused at once. */
  maxWaiting: number
  /** How long a body waits for a slot before it is refused; 0: never waits. */
  waitMs: number
}

export type SlotOutcome = 'now' | 'waited' | 'timed_out' | 'queue_full'

export interface WriteSlots {
  /** Whether a new batch would find no slot free (checked before its upload). */
  full(): boolean
  /** Takes a slot now, or within waitMs behind earlier waiters. Only 'now' and 'waited' hold one. */
  take(): Promise<SlotOutcome>
  /** Gives a held slot back, straight to the oldest waiter if there is one. */
  release(): void
  readonly inFlight: number
  readonly waiting: number
}

export function createWriteSlots(opts: WriteSlotsOptions): WriteSlots {
  let inFlight = 0
  // A slot handed to a waiter passes without inFlight dropping, so inFlight < max means nobody waits.
  const waiters: Array<() => void> = []

  return {
    full: () => inFlight >= opts.max,
    take() {
      if (inFlight < opts.max) {
        inFlight++
        return Promise.resolve('now')
      }
      if (opts.waitMs <= 0) return Promise.resolve('timed_out')
      if (waiters.length >= opts.maxWaiting) return Promise.resolve('queue_full')
      return new Promise((resolve) => {
        const grant = () => {
          clearTimeout(timer)
          resolve('waited')
        }
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(grant), 1)
          resolve('timed_out')
        }, opts.waitMs)
        waiters.push(grant)
      })
    },
    release() {
      const next = waiters.shift()
      if (next) next()
      else inFlight--
    },
    get inFlight() {
      return inFlight
    },
    get waiting() {
      return waiters.length
    },
  }
}
