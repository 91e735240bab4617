/**
 * Drains the outbox to the hub. Records leave the outbox only after the hub
 * answered 200 for their batch (then they are in InfluxDB); everything else
 * keeps them and waits. Up to `inFlightBatches` batches are on the wire at
 * once, each read past the ones before it, so the hub's parsing and
 * InfluxDB's write of one overlap with the next; answers may come in any
 * order, and each 200 deletes its own batch only. When any batch fails no new
 * one starts: the others settle (a 200 still deletes its batch), then after
 * the pause the queue is read again from its head. A failed batch's records
 * thus go out again with the point times they were first sent with, which
 * the hub's writes make idempotent (README "What is guaranteed").
 * State is kept as data (`status()`) for /healthz.
 */
import type { Logger } from '../../common/log.js'
import type { ErrorCode } from '../../common/errors.js'
import { MAX_BATCH_RECORDS } from '../../protocol/records.js'
import { finalize, isFinal } from '../clock/model.js'
import type { SystemClock } from '../clock/system-clock.js'
import { laneOfKey } from '../outbox/keys.js'
import type { ForwardableOutbox, OutboxEntry } from '../outbox/types.js'
import type { HubClient, HubResponse } from './hub-client.js'
import { backoffDelay, hubErrorCode, parseAck, retryAfterDelay, retryAfterMs, verdict } from './policy.js'

export interface ForwarderStatus {
  running: boolean
  /** Wall time (ms) of the last batch the hub accepted. */
  lastSuccessAt: number | null
  lastErrorCode: string | null
  lastErrorAt: number | null
  consecutiveFailures: number
  /** When the next attempt is due while backing off, else null. */
  nextAttemptAt: number | null
  /** Records in the requests now in flight (0 when idle). */
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
  /** Batches on the wire at once (default DEFAULT_IN_FLIGHT_BATCHES). */
  inFlightBatches?: number
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
  /** Stops after aborting every request in flight; the records they carried stay queued. */
  stop(): Promise<void>
  status(): ForwarderStatus
}

/** Why a delivery attempt stopped early: what to report, and how long to wait. */
interface Pause {
  code: string
  /** What the hub asked for (Retry-After, ms); 'max' after an auth failure; null: back off. */
  wait: number | 'max' | null
}

/** Enough to overlap reading, the hub's parsing and InfluxDB's write (bench spine); more only adds load on a shared hub. */
export const DEFAULT_IN_FLIGHT_BATCHES = 4

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
  const maxInFlight = Math.max(1, opts.inFlightBatches ?? DEFAULT_IN_FLIGHT_BATCHES)
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
  let nudged = false

  /** Something changed (an append, a batch settled, stop()): the loop looks again. */
  function nudge(): void {
    nudged = true
    wake?.()
  }

  /** Waits for the next nudge; returns at once if one came while the loop was busy. */
  function waitForNudge(): Promise<void> {
    if (nudged) {
      nudged = false
      return Promise.resolve()
    }
    return new Promise((resolve) => {
      wake = () => {
        wake = null
        nudged = false
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

  /** Counts one failed round (however many of its batches failed) and says how long to wait. */
  function failed(pause: Pause): number {
    const attempt = state.consecutiveFailures
    state.consecutiveFailures++
    state.lastErrorCode = pause.code
    state.lastErrorAt = now()
    if (pause.wait === 'max') return opts.backoffMaxMs
    if (pause.wait !== null) return retryAfterDelay(pause.wait, random)
    return backoffDelay(attempt, opts.backoffMinMs, opts.backoffMaxMs, random)
  }

  /** Calls the hub, turning transport failures into a Pause. */
  async function call(send: (signal: AbortSignal) => Promise<HubResponse>): Promise<HubResponse | Pause> {
    try {
      return await send(abort.signal)
    } catch (err) {
      if (state.running) log.warn({ err: (err as Error).message, failures: state.consecutiveFailures + 1 }, 'hub unreachable')
      return { code: 'EDGE_HUB_UNREACHABLE' satisfies ErrorCode, wait: null }
    }
  }
  const isPause = (r: HubResponse | Pause): r is Pause => 'wait' in r

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
    if (verdict(res.status).action === 'auth') {
      log.error({ status: res.status, code }, 'hub refused the edge token')
      return { code, wait: 'max' }
    }
    const asked = res.status === 503 ? retryAfterMs(res.headers['retry-after'], now()) : null
    log.warn({ status: res.status, code, retryAfterMs: asked }, 'hub did not take the batch')
    return { code, wait: asked }
  }

  async function deadLetter(entries: OutboxEntry[], code: string): Promise<void> {
    await outbox.markDead(entries, code)
    state.deadLettered += entries.length
  }

  /**
   * Sends entries and, on 200, deletes exactly those the hub took; on 400 or
   * 413 splits them in halves until the bad record is alone.
   */
  async function send(entries: OutboxEntry[]): Promise<Pause | null> {
    const body = batchBody(opts.site, entries)
    const sent = clock.monoNow()
    const res = await call((signal) => hub.postBatch(body, signal))
    if (isPause(res)) return res
    const v = verdict(res.status)
    if (v.action === 'ack') {
      const ack = parseAck(res.body)
      if (ack === null) return { code: 'EDGE_HUB_UNEXPECTED', wait: null }
      if (ack.serverTime !== null) clock.observeServerTime(ack.serverTime, sent, clock.monoNow())
      const rejected = new Map(ack.rejected.filter((r) => r.index < entries.length).map((r) => [r.index, r.code]))
      const byCode = new Map<string, OutboxEntry[]>()
      for (const [index, code] of rejected) byCode.set(code, [...(byCode.get(code) ?? []), entries[index]!])
      for (const [code, dead] of byCode) {
        // Kept and counted (motcua_edge_dead_letters, edge_health.deadLetters), never resent: the hub said why.
        // HUB_RECORD_FUTURE alone is sent again, once the hub's clock has reached the record (below).
        log.warn({ code, count: dead.length, seqs: dead.slice(0, 5).map((e) => e.seq), kinds: [...new Set(dead.map((e) => e.record.kind))] }, 'hub refused records, keeping them as dead letters')
        await deadLetter(dead, code)
      }
      const delivered = entries.filter((_, i) => !rejected.has(i))
      await outbox.remove(delivered)
      state.delivered += delivered.length
      state.lastSuccessAt = now()
      state.consecutiveFailures = 0
      // Records refused as dated past the hub's clock were stamped while the edge followed a hub clock set ahead,
      // which was then set back. Once the hub's time has reached them they go again, same seq and time.
      if (ack.serverTime !== null) await outbox.requeueDead('HUB_RECORD_FUTURE' satisfies ErrorCode, ack.serverTime)
      return null
    }
    if (v.action === 'split' || v.action === 'shrink') {
      const code = hubErrorCode(res.body) ?? (v.action === 'split' ? 'HUB_BATCH_INVALID' : 'HUB_BODY_TOO_LARGE')
      if (v.action === 'shrink') state.batchSize = Math.max(1, Math.min(state.batchSize, Math.floor(entries.length / 2)))
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

  const storeFailed = (err: unknown): Pause => {
    // The outbox failed (disk): nothing was lost, try again later.
    log.error({ err }, 'forwarding failed')
    return { code: 'EDGE_STORE_FAILED', wait: null }
  }

  async function run(): Promise<void> {
    const flying = new Set<Promise<void>>()
    // The newest entry taken in each lane since the queue was last read from its head: the next batch starts past it.
    let cursor: OutboxEntry[] = []
    // The first failure of this round; once set, no batch starts until every one in flight has settled.
    let pause: Pause | null = null
    // After a failed round one batch probes the hub; the window opens again with its 200. A hub
    // still overloaded then turns away one upload per edge, not four (bench drain: 3 of 4 answers were 503).
    let allowed = maxInFlight
    const launch = (entries: OutboxEntry[]) => {
      state.inFlight += entries.length
      const task: Promise<void> = send(entries)
        .catch(storeFailed)
        .then((p) => {
          pause ??= p
          if (p === null) allowed = maxInFlight
        })
        .finally(() => {
          state.inFlight -= entries.length
          flying.delete(task)
          nudge()
        })
      flying.add(task)
    }
    while (state.running) {
      if (pause === null && flying.size < allowed) {
        try {
          const entries = await outbox.peek(state.batchSize, cursor)
          if (entries.length > 0) {
            cursor = frontier(cursor, entries)
            const ready = await finalizeTimes(entries)
            if (Array.isArray(ready)) launch(ready)
            else pause ??= ready
            continue
          }
          // Everything taken was delivered: read from the head again.
          if (flying.size === 0) cursor = []
        } catch (err) {
          pause ??= storeFailed(err)
          continue
        }
        await waitForNudge()
      } else if (flying.size > 0) {
        await waitForNudge()
      } else if (pause !== null) {
        // Records not deleted are read again from the head of the queue, with the times they were first sent with.
        const delayMs = failed(pause)
        pause = null
        allowed = 1
        cursor = []
        if (state.running && delayMs > 0) {
          // From the failure's own instant (failed() just set it): a second now() could be a millisecond later.
          state.nextAttemptAt = (state.lastErrorAt as number) + delayMs
          await sleep(delayMs)
          state.nextAttemptAt = null
        }
      }
    }
    await Promise.all(flying)
  }

  return {
    start() {
      if (state.running) return
      state.running = true
      abort = new AbortController()
      unsubscribe = outbox.onAppend(nudge)
      loop = run()
      log.info({ batchSize: state.batchSize, inFlightBatches: maxInFlight }, 'forwarder started')
    },
    async stop() {
      if (!state.running) return
      state.running = false
      unsubscribe?.()
      abort.abort()
      interrupt?.()
      nudge()
      await loop
      loop = null
      log.info({ delivered: state.delivered }, 'forwarder stopped')
    },
    status: () => ({ ...state }),
  }
}

/** The newest entry of each lane among `cursor` and `batch`: what peek needs to read past both. */
function frontier(cursor: readonly OutboxEntry[], batch: readonly OutboxEntry[]): OutboxEntry[] {
  const newest = new Map<string, OutboxEntry>()
  for (const list of [cursor, batch]) {
    for (const e of list) {
      const lane = laneOfKey(e.key)
      if ((newest.get(lane)?.key ?? '') < e.key) newest.set(lane, e)
    }
  }
  return [...newest.values()]
}
