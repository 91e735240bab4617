/**
 * The edge's clock: monotonic time from process.hrtime (CLOCK_MONOTONIC,
 * shared by every process of one boot), the kernel's boot id, and a
 * mono → true-time mapping learnt from the hub or from systemd-timesyncd.
 */
import { randomUUID } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import type { Logger } from '../../common/log.js'
import { FORWARD_HOLD_MS, FORWARD_STEP_MS, mappingFromServer, nextMapping, stampAt, wallJump, type ClockModel, type HeldStep } from './model.js'
import type { Clock, Stamp } from './types.js'

export interface SystemClockOptions {
  log: Logger
  bootIdPath?: string
  /** Exists once systemd-timesyncd has synchronised the local clock. */
  syncedFlagPath?: string
  /** Monotonic clock in ms. */
  mono?: () => number
  /** Wall clock in ms. */
  wall?: () => number
  checkIntervalMs?: number
  timers?: { setInterval(fn: () => void, ms: number): unknown; clearInterval(handle: unknown): void }
}

export interface SystemClock extends Clock {
  monoNow(): number
  model(): ClockModel
  /** Learn a mapping from a hub's serverTime, given mono before sending and after receiving. */
  observeServerTime(serverTime: number, sentMono: number, receivedMono: number): void
  /** Re-reads the timesync flag and watches for wall-clock jumps; run by start() on a timer. */
  check(): void
  start(): void
  stop(): void
}

export const readBootId = (path: string): string | null => {
  try {
    return readFileSync(path, 'utf8').trim() || null
  } catch {
    return null
  }
}

export function createSystemClock(opts: SystemClockOptions): SystemClock {
  const log = opts.log.child({ module: 'clock' })
  const mono = opts.mono ?? (() => Number(process.hrtime.bigint()) / 1e6)
  const wall = opts.wall ?? Date.now
  const syncedFlag = opts.syncedFlagPath ?? '/run/systemd/timesync/synchronized'
  const timers = opts.timers ?? {
    setInterval: (fn: () => void, ms: number) => setInterval(fn, ms).unref(),
    clearInterval: (h: unknown) => clearInterval(h as NodeJS.Timeout),
  }
  const boot = readBootId(opts.bootIdPath ?? '/proc/sys/kernel/random/boot_id') ?? `process-${randomUUID()}`
  let monoToTrue: number | null = null
  let held: HeldStep | null = null
  let source: 'hub' | 'local' | null = null
  let skew = wall() - mono()
  let timer: unknown = null

  function check(): void {
    const now = wall()
    const m = mono()
    const jump = wallJump(skew, now - m)
    skew = now - m
    if (jump !== 0) log.warn({ jumpMs: Math.round(jump), source }, 'wall clock jumped')
    // The hub's time, refreshed by every batch ack, is the one all sites share, so
    // the local clock is used only until the hub has answered; and a jumping clock
    // is not resampled until it holds still for one check.
    if (existsSync(syncedFlag) && jump === 0 && source !== 'hub') {
      if (source === null) log.info({}, 'local clock synchronised, trusting it')
      monoToTrue = now - m
      source = 'local'
    }
  }

  return {
    now: () => (monoToTrue === null ? wall() : Math.round(mono() + monoToTrue)),
    stamp(): Stamp {
      return stampAt(wall(), mono(), { boot, monoToTrue })
    },
    offsetMs: () => (monoToTrue === null ? null : Math.round(mono() + monoToTrue - wall())),
    monoNow: mono,
    model: () => ({ boot, monoToTrue }),
    observeServerTime(serverTime, sentMono, receivedMono) {
      const observed = mappingFromServer(serverTime, sentMono, receivedMono)
      const next = nextMapping(monoToTrue, held, observed, receivedMono)
      if (next.held !== null && held === null && monoToTrue !== null) {
        log.warn({ aheadMs: Math.round(observed - monoToTrue), holdS: FORWARD_HOLD_MS / 1000 }, "hub time is ahead of this edge's clock; following it only if it stays so")
      }
      if (next.held === null && held !== null) {
        const stepMs = Math.round(next.mapping - (monoToTrue as number))
        log.info({ stepMs }, stepMs > FORWARD_STEP_MS ? 'hub time stayed ahead; following it' : 'hub time back in line')
      }
      held = next.held
      if (held !== null) return
      if (monoToTrue === null || source !== 'hub') log.info({ offsetMs: Math.round(next.mapping + receivedMono - wall()) }, 'clock mapped from hub time')
      monoToTrue = next.mapping
      source = 'hub'
    },
    check,
    start() {
      check()
      timer ??= timers.setInterval(check, opts.checkIntervalMs ?? 5000)
    },
    stop() {
      if (timer !== null) timers.clearInterval(timer)
      timer = null
    },
  }
}
