/**
 * Uptime of a device, camera or edge over a period, from its state changes
 * (device_status online/offline, camera_status states). Time before the
 * first known state is unknown, not down: a device installed mid-month is
 * not charged for the days before it existed.
 */
export interface StateChange {
  t: number
  up: boolean
}

export interface Uptime {
  /** Time in [start, end) whose state is known. */
  knownMs: number
  upMs: number
  /** upMs ÷ knownMs; null when nothing is known. */
  share: number | null
  /** Changes from up to down inside the period. */
  outages: number
}

/** `changes` may include ones before `start`: the last of them gives the state at `start`. */
export function uptime(changes: readonly StateChange[], start: number, end: number): Uptime {
  if (!(end >= start)) throw new RangeError(`period end ${end} is before its start ${start}`)
  const sorted = [...changes].sort((a, b) => a.t - b.t)
  let state: boolean | null = null
  let from = start
  let knownMs = 0
  let upMs = 0
  let outages = 0
  for (const c of sorted) {
    if (c.t >= end) break
    if (c.t > from) {
      if (state !== null) {
        knownMs += c.t - from
        if (state) upMs += c.t - from
      }
      from = c.t
    }
    if (c.t >= start && state === true && !c.up) outages++
    state = c.up
  }
  if (state !== null) {
    knownMs += end - from
    if (state) upMs += end - from
  }
  return { knownMs, upMs, share: knownMs === 0 ? null : upMs / knownMs, outages }
}
