/**
 * Pure clock maths. A "mapping" ties the monotonic clock of one boot to true
 * time (true = mono + monoToTrue). It is learnt from a trusted source and
 * stays valid for the whole boot, whatever later happens to the wall clock,
 * which is why finalized times are computed from mono, never from wall.
 */
import type { ClockState } from '../../protocol/records.js'
import type { Stamp } from './types.js'

export interface ClockModel {
  /** Boot id of the running system. */
  boot: string
  /** true − mono (ms) for the current boot, or null while no trusted source has been seen. */
  monoToTrue: number | null
}

/** Wall − mono moving by more than this between two checks means someone set the clock. */
export const JUMP_THRESHOLD_MS = 1000

/**
 * Point time and clock state for a record. Times fixed earlier are returned
 * unchanged, so a replay always carries the same time.
 */
export function finalize(stamp: Stamp, model: ClockModel): { t: number; clock: ClockState } {
  if (stamp.t !== null && stamp.clock !== null) return { t: stamp.t, clock: stamp.clock }
  if (stamp.boot === model.boot && model.monoToTrue !== null) {
    return { t: Math.round(stamp.mono + model.monoToTrue), clock: 'corrected' }
  }
  // An earlier boot that was never mapped: the wall clock is all we have.
  return { t: Math.round(stamp.wall), clock: 'unsynced' }
}

/** True if the stamp still needs `finalize` before it may be sent. */
export const isFinal = (stamp: Stamp) => stamp.t !== null && stamp.clock !== null

/**
 * Mapping from a server time answer: the server read its clock, on average,
 * half-way through the round trip.
 */
export function mappingFromServer(serverTime: number, sentMono: number, receivedMono: number): number {
  const rtt = Math.max(0, receivedMono - sentMono)
  return serverTime + rtt / 2 - receivedMono
}

/** Stamp for a record received now, final at once if the clock is trusted. */
export function stampAt(wall: number, mono: number, model: ClockModel): Stamp {
  const t = model.monoToTrue === null ? null : Math.round(mono + model.monoToTrue)
  return { wall, mono, boot: model.boot, t, clock: t === null ? null : 'synced' }
}

/** How far the wall clock moved relative to mono between two checks (0 if within threshold). */
export function wallJump(previousSkew: number, skew: number, thresholdMs = JUMP_THRESHOLD_MS): number {
  const d = skew - previousSkew
  return Math.abs(d) > thresholdMs ? d : 0
}
