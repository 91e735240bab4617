/**
 * End of the working day: whoever signed in at a kiosk is signed out at local
 * midnight (Asia/Ho_Chi_Minh, UTC+7 all year) and each counter goes back to
 * the officer its config names, so tomorrow's first ratings are not credited
 * to someone who went home. The roster's listeners republish device configs.
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

export function resetDuty(site: SiteIndex, duty: DutyRoster): void {
  for (const c of site.counters.values()) duty.setOfficer(c.id, c.officer ?? null)
}

export interface EndOfDayTimers {
  now: () => number
  setTimeout: (fn: () => void, ms: number) => unknown
  clearTimeout: (handle: unknown) => void
}

/** Resets the roster at every local midnight until the returned stop() is called. */
export function scheduleEndOfDay(site: SiteIndex, duty: DutyRoster, timers: EndOfDayTimers): () => void {
  let handle: unknown = null
  const arm = () => {
    handle = timers.setTimeout(() => {
      resetDuty(site, duty)
      arm()
    }, msUntilLocalMidnight(timers.now()))
  }
  arm()
  return () => timers.clearTimeout(handle)
}
