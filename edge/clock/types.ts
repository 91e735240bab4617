/**
 * The Pi has no real-time clock: after a power cut without network its wall
 * clock may be wrong until NTP (or the hub) tells it otherwise. Every record
 * is stamped with the wall clock, the monotonic clock and the boot id; its
 * final point time `t` is fixed once a trusted time source covers its boot.
 */
import type { ClockState } from '../../protocol/records.js'

export interface Stamp {
  /** Wall clock at receipt, ms since epoch (may be wrong before sync). */
  wall: number
  /** Monotonic clock (CLOCK_MONOTONIC, survives process restarts within a boot), ms. */
  mono: number
  /** /proc/sys/kernel/random/boot_id, or a per-process id where unreadable. */
  boot: string
  /** Final time if the clock was trusted at receipt; otherwise null until finalized. */
  t: number | null
  clock: ClockState | null
}

export interface Clock {
  now(): number
  stamp(): Stamp
  /** Offset (true − local wall) in ms from the last trusted source, or null. */
  offsetMs(): number | null
}
