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

/** A step of the hub's time ahead of the mapping beyond this is a clock being set, not drift or a round trip's noise. */
export const FORWARD_STEP_MS = 60_000
/** How long the hub must keep answering a step ahead before the edge follows it. */
export const FORWARD_HOLD_MS = 10 * 60_000

/** A step ahead seen in the hub's answers and not yet followed. */
export interface HeldStep {
  mapping: number
  /** Mono time of the first answer that showed it. */
  sinceMono: number
}

/**
 * The mapping after an answer from the hub. The hub refuses records dated past
 * its own clock (HUB_RECORD_FUTURE) and the edge holds those back until the
 * hub's clock reaches them, so the edge must not date records ahead of the
 * hub: it follows at once a step back and any small step, but a step ahead
 * beyond FORWARD_STEP_MS only once the hub's answers have agreed with it for
 * FORWARD_HOLD_MS. A hub clock set ahead and back within that time then
 * changes nothing; one that stays ahead is followed (records in between are
 * dated behind it, which it takes).
 */
export function nextMapping(current: number | null, held: HeldStep | null, observed: number, atMono: number): { mapping: number; held: HeldStep | null } {
  if (current === null || observed - current <= FORWARD_STEP_MS) return { mapping: observed, held: null }
  if (held === null || Math.abs(observed - held.mapping) > FORWARD_STEP_MS) return { mapping: current, held: { mapping: observed, sinceMono: atMono } }
  return atMono - held.sinceMono >= FORWARD_HOLD_MS ? { mapping: observed, held: null } : { mapping: current, held }
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
