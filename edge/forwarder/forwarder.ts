/**
 * Drains the outbox to the hub. Records leave the outbox only after the hub
 * answered 200 (then they are in InfluxDB); everything else keeps them and
 * waits. State is kept as data (`status()`) for /healthz.
 */
import type { Logger } from '../../common/log.js'
import type { ErrorCode } from '../../common/errors.js'
import { MAX_BATCH_RECORDS } from '../../protocol/records.js'
import { finalize, isFinal } from '../clock/model.js'
import type { SystemClock } from '../clock/system-clock.js'
import type { ForwardableOutbox, OutboxEntry } from '../outbox/types.js'
import type { HubClient, HubResponse } from './hub-client.js'
import { backoffDelay, hubErrorCode, parseAck, retryAfterMs, verdict } from './policy.js'

export interface ForwarderStatus {
  running: boolean
  /** Wall time (ms) of the last batch the hub accepted. */
  lastSuccessAt: number | null
  lastErrorCode: string | null
  lastErrorAt: number | null
  consecutiveFailures: number
  /** When the next attempt is due while backing off, else null. */
  nextAttemptAt: number | null
  /** Records in the request now in flight (0 when idle). */
  inFlight: number
  batchSize: number
  delivered: number
  deadLettered: number
}

export interface ForwarderTimers {
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export interface ForwarderOptions {
  outbox: ForwardableOutbox
  clock: Pick<SystemClock, 'model' | 'monoNow' | 'observeServerTime'>
  hub: HubClient
  site: string
  batchSize: number
  backoffMinMs: number
  backoffMaxMs: number
  log: Logger
  /** Wall clock for status times. */
  now?: () => number
  random?: () => number
  timers?: ForwarderTimers
}

export interface Forwarder {
  start(): void
  /** Stops after aborting any request in flight; records it carried stay queued. */
  stop(): Promise<void>
  status(): ForwarderStatus
}

/** Why a delivery attempt stopped early: how long to wait, and what to report. */
interface Pause {
  delayMs: number
  code: string
}

const defaultTimers: ForwarderTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
}

/**
 * The record as the hub expects it (EdgeRecord JSON): the stored record's own
 * JSON with its final seq, t and clock added, not re-serialized.
 */
export const recordJson = (e: OutboxEntry) =>
  `${e.recordJson.slice(0, -1)},"seq":${e.seq},"t":${e.stamp.t},"clock":${JSON.stringify(e.stamp.clock)}}`

export const batchBody = (site: string, entries: readonly OutboxEntry[]) =>
  `{"v":1,"site":${JSON.stringify(site)},"records":[${entries.map(recordJson).join(',')}]}`

export function createForwarder(opts: ForwarderOptions): Forwarder {
  const log = opts.log.child({ module: 'forwarder' })
  const now = opts.now ?? Date.now
  const random = opts.random ?? Math.random
  const timers = opts.timers ?? defaultTimers
  const { outbox, hub, clock } = opts
  const state: ForwarderStatus = {
    running: false, lastSuccessAt: null, lastErrorCode: null, lastErrorAt: null, consecutiveFailures: 0,
    nextAttemptAt: null, inFlight: 0, batchSize: Math.min(opts.batchSize, MAX_BATCH_RECORDS), delivered: 0, deadLettered: 0,
  }
  let abort = new AbortController()
  let loop: Promise<void> | null = null
  let unsubscribe: (() => void) | null = null
  let wake: (() => void) | null = null
  let interrupt: (() => void) | null = null
  let woken = false
  /**
   * Deleting a delivered batch (an fsync) overlaps with reading and sending
   * the next one; at most one removal is pending. Resolves to its error, if any.
   */
  let removal: Promise<unknown> | null = null

  async function settleRemoval(): Promise<void> {
    const pending = removal
    removal = null
    const err = pending === null ? null : await pending
    if (err) throw err
  }

  /** Waits for the next append (or stop()); returns at once if one came while busy. */
  function waitForAppend(): Promise<void> {
    if (woken) {
      woken = false
      return Promise.resolve()
    }
    return new Promise((resolve) => {
      wake = interrupt = () => {
        wake = interrupt = null
        woken = false
        resolve()
      }
    })
  }

  /** Backing off: new appends do not cut it short, only stop() does. */
  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = timers.setTimeout(() => {
        interrupt = null
        resolve()
      }, ms)
      interrupt = () => {
        timers.clearTimeout(timer)
        interrupt = null
        resolve()
      }
    })
  }

  function fail(code: string, delayMs: number): Pause {
    state.consecutiveFailures++
    state.lastErrorCode = code
    state.lastErrorAt = now()
    return { code, delayMs }
  }

  const backoff = () => backoffDelay(state.consecutiveFailures, opts.backoffMinMs, opts.backoffMaxMs, random)

  /** Calls the hub, turning transport failures into a Pause. */
  async function call(send: (signal: AbortSignal) => Promise<HubResponse>): Promise<HubResponse | Pause> {
    try {
      return await send(abort.signal)
    } catch (err) {
      if (!state.running) return { code: 'EDGE_HUB_UNREACHABLE', delayMs: 0 }
      log.warn({ err: (err as Error).message, failures: state.consecutiveFailures + 1 }, 'hub unreachable')
      return fail('EDGE_HUB_UNREACHABLE' satisfies ErrorCode, backoff())
    }
  }
  const isPause = (r: HubResponse | Pause): r is Pause => 'delayMs' in r

  /**
   * Fixes the time of every record not yet final, and stores it before the
   * first send, so a replay carries exactly the same times.
   */
  async function finalizeTimes(entries: OutboxEntry[]): Promise<OutboxEntry[] | Pause> {
    const open = entries.filter((e) => !isFinal(e.stamp))
    if (open.length === 0) return entries
    if (clock.model().monoToTrue === null && open.some((e) => e.stamp.boot === clock.model().boot)) {
      const sent = clock.monoNow()
      const res = await call((signal) => hub.getClock(signal))
      if (isPause(res)) return res
      const serverTime = (res.body as { serverTime?: unknown } | null)?.serverTime
      if (res.status !== 200 || typeof serverTime !== 'number') return answerPause(res)
      clock.observeServerTime(serverTime, sent, clock.monoNow())
    }
    const model = clock.model()
    const fixed = await outbox.rewrite(open.map((e) => ({ ...e, stamp: { ...e.stamp, ...finalize(e.stamp, model) } })))
    const byKey = new Map(fixed.map((e) => [e.key, e]))
    return entries.map((e) => byKey.get(e.key) ?? e)
  }

  /** A non-200 answer that means "keep everything and wait". */
  function answerPause(res: HubResponse): Pause {
    const code = hubErrorCode(res.body) ?? (res.status === 503 ? 'HUB_OVERLOADED' : 'EDGE_HUB_UNEXPECTED')
    const v = verdict(res.status)
    if (v.action === 'auth') {
      log.error({ status: res.status, code }, 'hub refused the edge token')
      return fail(code, opts.backoffMaxMs)
    }
    const asked = res.status === 503 ? retryAfterMs(res.headers['retry-after'], now()) : null
    log.warn({ status: res.status, code, retryAfterMs: asked }, 'hub did not take the batch')
    return fail(code, asked ?? backoff())
  }

  async function deadLetter(entries: OutboxEntry[], code: string): Promise<void> {
    await outbox.markDead(entries, code)
    state.deadLettered += entries.length
  }

  /** Sends entries; on 400 or 413 splits them in halves until the bad record is alone. */
  async function send(entries: OutboxEntry[]): Promise<Pause | null> {
    const body = batchBody(opts.site, entries)
    state.inFlight = entries.length
    const sent = clock.monoNow()
    const res = await call((signal) => hub.postBatch(body, signal)).finally(() => (state.inFlight = 0))
    if (isPause(res)) return res
    const v = verdict(res.status)
    if (v.action === 'ack') {
      const ack = parseAck(res.body)
      if (ack === null) return fail('EDGE_HUB_UNEXPECTED', backoff())
      if (ack.serverTime !== null) clock.observeServerTime(ack.serverTime, sent, clock.monoNow())
      const rejected = new Map(ack.rejected.filter((r) => r.index < entries.length).map((r) => [r.index, r.code]))
      const byCode = new Map<string, OutboxEntry[]>()
      for (const [index, code] of rejected) byCode.set(code, [...(byCode.get(code) ?? []), entries[index]!])
      for (const [code, dead] of byCode) {
        // Kept and counted (motcua_edge_dead_letters, edge_health.deadLetters), never resent: the hub said why.
        log.warn({ code, count: dead.length, seqs: dead.slice(0, 5).map((e) => e.seq), kinds: [...new Set(dead.map((e) => e.record.kind))] }, 'hub refused records, keeping them as dead letters')
        await deadLetter(dead, code)
      }
      const delivered = entries.filter((_, i) => !rejected.has(i))
      await settleRemoval()
      removal = outbox.remove(delivered).then(
        () => {
          state.delivered += delivered.length
          return null
        },
        (err: unknown) => err,
      )
      state.lastSuccessAt = now()
      state.consecutiveFailures = 0
      return null
    }
    if (v.action === 'split' || v.action === 'shrink') {
      const code = hubErrorCode(res.body) ?? (v.action === 'split' ? 'HUB_BATCH_INVALID' : 'HUB_BODY_TOO_LARGE')
      if (v.action === 'shrink') state.batchSize = Math.max(1, Math.floor(entries.length / 2))
      if (entries.length === 1) {
        log.warn({ seq: entries[0]!.seq, kind: entries[0]!.record.kind, code }, 'hub refused a record, keeping it as a dead letter')
        await deadLetter(entries, code)
        return null
      }
      const half = Math.ceil(entries.length / 2)
      return (await send(entries.slice(0, half))) ?? (await send(entries.slice(half)))
    }
    return answerPause(res)
  }

  async function run(): Promise<void> {
    // The last batch sent (its removal may be pending), and the read of the
    // batch after it, started while this one is on the wire.
    let taken: OutboxEntry[] = []
    let next: Promise<OutboxEntry[]> | null = null
    const dropNext = async () => {
      if (next !== null) await next.catch(() => [])
      next = null
    }
    while (state.running) {
      let pause: Pause | null = null
      try {
        const entries = next !== null ? await next : await outbox.peek(state.batchSize, removal === null ? [] : taken)
        next = null
        if (entries.length === 0) {
          // Nothing past the batch being removed: once it is gone, read from the start again.
          if (removal !== null) await settleRemoval()
          else await waitForAppend()
          continue
        }
        const ready = await finalizeTimes(entries)
        if (Array.isArray(ready)) {
          next = outbox.peek(state.batchSize, [...taken, ...ready])
          next.catch(() => undefined) // its error surfaces where it is awaited
          taken = ready
          pause = await send(ready)
        } else {
          pause = ready
        }
      } catch (err) {
        // The outbox failed (disk): nothing was lost, try again later.
        log.error({ err }, 'forwarding failed')
        pause = fail('EDGE_STORE_FAILED', backoff())
      }
      if (pause !== null) {
        // Records not deleted are read again from the start of the queue.
        await dropNext()
        await settleRemoval().catch((err: unknown) => log.error({ err }, 'removing delivered records failed'))
        taken = []
        if (state.running && pause.delayMs > 0) {
          state.nextAttemptAt = now() + pause.delayMs
          await sleep(pause.delayMs)
          state.nextAttemptAt = null
        }
      }
    }
    await dropNext()
    await settleRemoval().catch((err: unknown) => log.error({ err }, 'removing delivered records failed'))
  }

  return {
    start() {
      if (state.running) return
      state.running = true
      abort = new AbortController()
      unsubscribe = outbox.onAppend(() => {
        woken = true
        wake?.()
      })
      loop = run()
      log.info({ batchSize: state.batchSize }, 'forwarder started')
    },
    async stop() {
      if (!state.running) return
      state.running = false
      unsubscribe?.()
      abort.abort()
      interrupt?.()
      await loop
      loop = null
      log.info({ delivered: state.delivered }, 'forwarder stopped')
    },
    status: () => ({ ...state }),
  }
}
