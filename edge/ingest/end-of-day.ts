/**
 * End of the working day: whoever signed in at a kiosk is signed out at local
 * midnight (Asia/Ho_Chi_Minh, UTC+7 all year) and each counter goes back to
 * the officer its config names, so tomorrow's first ratings are not credited
 * to someone who went home. The roster's listeners republish device configs;
 * whoever had signed in gets an `end-of-day` duty record (issue 15).
 */
import type { DutyRoster } from './duty.js'
import type { SiteIndex } from './site.js'
import { DAY_MS } from '../../common/time.js'

const VN_OFFSET_MS = 7 * 3_600_000

/** ms from `now` to the next local midnight; a full day when `now` is midnight itself. */
export function msUntilLocalMidnight(now: number): number {
  const intoDay = (((now + VN_OFFSET_MS) % DAY_MS) + DAY_MS) % DAY_MS
  return DAY_MS - intoDay
}

/** Resolves once every counter is back; a counter whose records could not be stored keeps its officer (logged by `failed`). */
export async function resetDuty(site: SiteIndex, duty: DutyRoster, failed: (err: unknown) => void = () => undefined): Promise<void> {
  const resets = [...site.counters.values()].map((c) => duty.change(c.id, c.officer ?? null, { reason: 'end-of-day' }).catch(failed))
  await Promise.all(resets)
}

export interface EndOfDayTimers {
  now: () => number
  setTimeout: (fn: () => void, ms: number) => unknown
  clearTimeout: (handle: unknown) => void
}

/**
 * Resets the roster at every local midnight until the returned stop() is called. `failed`: a counter's
 * end-of-day sign-out could not be stored (the outbox refused), so it stays as it was until the next midnight.
 */
export function scheduleEndOfDay(site: SiteIndex, duty: DutyRoster, timers: EndOfDayTimers, failed?: (err: unknown) => void): () => void {
  let handle: unknown = null
  const arm = () => {
    handle = timers.setTimeout(() => {
      void resetDuty(site, duty, failed)
      arm()
    }, msUntilLocalMidnight(timers.now()))
  }
  arm()
  return () => timers.clearTimeout(handle)
}
