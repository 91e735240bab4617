/**
 * GET /api/v1/stream — Server-Sent Events for wall displays. The hub keeps
 * no shared state, so ratings come from InfluxDB, but once per hub instance
 * and not once per connection (issue 11, finding 5): one poller reads the
 * ratings newer than the newest it has read every ~2 s and hands each to the
 * streams whose filter it passes; alerts come from the instance's background
 * evaluation (hub/alerts-store), each sent once per stream. The statements
 * per minute do not grow with the number of streams. Any hub instance can
 * serve any stream; a reconnecting client starts from "now" again. A rating
 * whose own time is older than the newest one read (an edge emptying a
 * backlog) is not streamed; it is in the KPIs and the CSV. One dated after
 * the hub's clock is streamed once that time has come.
 *
 * Bounded: streams per key and per instance are capped (429
 * HUB_STREAM_LIMIT with retry-after), and a client that does not read is
 * dropped once its unsent bytes pass `maxBufferedBytes` or it has not drained
 * for `stallS`, so it cannot hold the hub's memory. A stream carries officer
 * ids and ticket numbers, so it opens only once it is on the audit log.
 */
import type { ServerResponse } from 'node:http'
import { sendError } from '../../common/web/answer.js'
import type { Alert } from '../kpi/alerts/types.js'
import type { HubConfig } from '../config/schema.js'
import { rowsOf } from '../queries/client.js'
import type { TagFilter } from '../queries/influxql.js'
import { rfc3339ToNs, toRawRating, type RawRating } from '../queries/raw.js'
import type { ApiDeps, ApiHandler } from './context.js'
import { recordExport } from './export.js'
import { filters } from './params.js'

/**
 * Ratings one poll sends at most, the look-back's and the fresh ones together; the rest wait for the next tick.
 * One poll's writes (~200 KB at ~400 bytes a rating) must stay under a stream's byte bound
 * (`streams.maxBufferedBytes`, at least 256 KB), so a client that reads is never dropped for a burst it could not
 * have read yet. The look-back can find thousands at once: InfluxDB makes a batch's points visible series by
 * series, so a poll during a large write sees some and moves the cursor past the others.
 */
const MAX_PER_POLL = 500
/**
 * A point can become visible to queries after a later one (a new series is
 * indexed before its points land, several edges write at once): each poll
 * also re-reads this much before the cursor and sends what it had not sent.
 */
const LATE_NS = 5_000n * 1_000_000n
const MAX_LATE = 20_000
const KEEPALIVE_MS = 15_000
const KEEPALIVE = Buffer.from(': keepalive\n\n')

interface Stream {
  key: string
  res: ServerResponse
  filter: TagFilter
  /** Ratings at or before the stream's opening are not sent: no replay. */
  fromNs: bigint
  sentAlerts: Set<string>
  lastWriteAt: number
  /** Since when a write has found the socket full, until it drains. */
  stalledSince: number | null
}

export interface Streams {
  handler: ApiHandler
  /** Ends every open stream (hub shutdown). */
  closeAll(): void
}

const frame = (event: string, data: unknown) => Buffer.from(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)

/** Pure: whether a rating passes a stream's filter (the tags the queries filter on). */
export function passes(filter: TagFilter, r: RawRating): boolean {
  for (const tag of ['site', 'department', 'counter', 'officer'] as const) {
    const wanted = filter[tag]
    if (wanted && !wanted.includes(r[tag] ?? '')) return false
  }
  return true
}

export function createStreams(deps: ApiDeps, limits: HubConfig['streams']): Streams {
  const log = deps.log.child({ part: 'stream' })
  const pollMs = deps.streamPollMs ?? 2000
  const open = new Set<Stream>()
  /** Places held per key, counted from the check on: a stream being put on the audit log holds its place. */
  const held = new Map<string, number>()
  let total = 0
  let cursorNs: bigint | null = null
  /** Ratings sent within LATE_NS of the cursor, by site and event id, so a re-read sends none twice. */
  const recent = new Map<string, bigint>()
  let timer: NodeJS.Timeout | null = null
  let busy = false
  let unsubscribe: (() => void) | null = null

  function drop(s: Stream, reason: 'buffered' | 'stalled') {
    if (!open.delete(s)) return
    log.warn({ key: s.key, reason, bufferedBytes: s.res.writableLength, stalledS: s.stalledSince === null ? 0 : (Date.now() - s.stalledSince) / 1000 }, 'stream dropped: the client does not read')
    s.res.destroy()
  }

  function write(s: Stream, chunk: Buffer) {
    if (!open.has(s) || s.res.destroyed) return
    if (s.res.writableLength + chunk.length > limits.maxBufferedBytes) return drop(s, 'buffered')
    s.lastWriteAt = Date.now()
    // res.write's false says the socket is full: buffered from here on, counted, and dropped if it never drains.
    if (!s.res.write(chunk) && s.stalledSince === null) {
      s.stalledSince = Date.now()
      s.res.once('drain', () => (s.stalledSince = null))
    }
  }

  function sendAlerts(s: Stream, alerts: readonly Alert[], frames: Map<string, Buffer>) {
    const listed = new Set<string>()
    for (const a of alerts) {
      if (s.filter.site && !s.filter.site.includes(a.site)) continue
      listed.add(a.id)
      if (!s.sentAlerts.has(a.id)) write(s, frames.get(a.id)!)
    }
    // Only ids still listed are remembered (an alert raised again has a new id), so a long stream holds a bounded set.
    s.sentAlerts = listed
  }

  const framesOf = (alerts: readonly Alert[]) => new Map(alerts.map((a) => [a.id, frame('alert', a)]))

  async function poll() {
    if (busy) return
    busy = true
    try {
      // Bounded by the hub's clock: a point stored with a future time (before the ingest refused them, or
      // within the allowed skew) must not move the cursor past every rating still to come (issue 11, finding 4).
      const nowNs = BigInt(deps.now()) * 1_000_000n
      const from = cursorNs
      if (from === null || !open.size) return
      const [late, fresh] = await deps.db.run([
        `SELECT * FROM "rating" WHERE time > ${from - LATE_NS} AND time <= ${from} ORDER BY time ASC LIMIT ${MAX_LATE}`,
        `SELECT * FROM "rating" WHERE time > ${from} AND time <= ${nowNs} ORDER BY time ASC LIMIT ${MAX_PER_POLL}`,
      ], { ns: true })
      let budget = MAX_PER_POLL
      const send = (row: Record<string, unknown>, moveCursor: boolean) => {
        const ns = rfc3339ToNs(String(row.time))
        if (moveCursor) cursorNs = ns
        const rating = toRawRating(row)
        // A point seen halfway through landing: the next polls' look back (LATE_NS) sends it once it is whole.
        if (!rating) return
        const key = `${rating.site}/${rating.eventId}`
        if (recent.has(key)) return
        recent.set(key, ns)
        let chunk: Buffer | null = null
        for (const s of open) {
          if (ns <= s.fromNs || !passes(s.filter, rating)) continue
          chunk ??= frame('rating', rating)
          write(s, chunk)
        }
        if (chunk) budget--
      }
      // The cursor moves only over fresh rows sent, so a look-back left unsent stays in the window for the next poll.
      for (const row of (late ?? []).flatMap(rowsOf)) {
        if (budget <= 0) break
        send(row, false)
      }
      for (const row of (fresh ?? []).flatMap(rowsOf)) {
        if (budget <= 0) break
        send(row, true)
      }
      if (budget < MAX_PER_POLL) log.debug({ sent: MAX_PER_POLL - budget }, 'stream poll sent ratings')
      const keepFrom = (cursorNs ?? from) - LATE_NS
      for (const [key, ns] of recent) if (ns <= keepFrom) recent.delete(key)
    } catch (err) {
      log.warn({ err }, 'stream poll failed')
      const chunk = frame('error', { code: 'HUB_DB_QUERY_FAILED' })
      for (const s of open) write(s, chunk)
    } finally {
      busy = false
    }
  }

  /** Drops the stalled, keeps idle connections open through proxies, then polls; outside the poll so a hung query does not stop it. */
  function tick() {
    const now = Date.now()
    for (const s of open) {
      if (s.stalledSince !== null && now - s.stalledSince > limits.stallS * 1000) drop(s, 'stalled')
      else if (now - s.lastWriteAt >= KEEPALIVE_MS) write(s, KEEPALIVE)
    }
    void poll()
  }

  function run() {
    if (timer) return
    cursorNs = BigInt(deps.now()) * 1_000_000n
    timer = setInterval(tick, pollMs)
    unsubscribe = deps.alerts.onEvaluated((alerts) => {
      const frames = framesOf(alerts)
      for (const s of open) sendAlerts(s, alerts, frames)
    })
  }

  function release(key: string) {
    total--
    held.set(key, (held.get(key) ?? 1) - 1)
    if (total > 0 || !timer) return
    // No stream left: no polling, and the next one starts from its own "now".
    clearInterval(timer)
    timer = null
    cursorNs = null
    unsubscribe?.()
    unsubscribe = null
  }

  const handler: ApiHandler = async (r) => {
    const { req, res, key } = r
    const filter = filters(r.query, key, deps.dir, r.pathSite)
    const refuse = (detail: string) => {
      log.info({ key: key.id, detail }, 'stream refused')
      sendError(res, 'HUB_STREAM_LIMIT', detail, { 'retry-after': String(limits.retryAfterS) })
    }
    if ((held.get(key.id) ?? 0) >= limits.maxPerKey) return refuse(`the key "${key.id}" already holds ${limits.maxPerKey} streams (streams.maxPerKey)`)
    if (total >= limits.maxTotal) return refuse(`this hub instance already holds ${limits.maxTotal} streams (streams.maxTotal)`)
    total++
    held.set(key.id, (held.get(key.id) ?? 0) + 1)
    try {
      await recordExport(r, deps, filter)
    } catch (err) {
      release(key.id)
      throw err
    }
    if (req.destroyed || res.destroyed) return release(key.id)
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' })
    res.write(`retry: 3000\n: motcua stream\n\n`)
    const s: Stream = { key: key.id, res, filter, fromNs: BigInt(deps.now()) * 1_000_000n, sentAlerts: new Set(), lastWriteAt: Date.now(), stalledSince: null }
    open.add(s)
    res.once('close', () => {
      open.delete(s)
      release(key.id)
    })
    run()
    // The instance's latest evaluation at once; later ones as they come.
    const latest = deps.alerts.latest()
    if (latest) sendAlerts(s, latest, framesOf(latest))
  }

  return {
    handler,
    closeAll() {
      for (const s of open) s.res.end()
      open.clear()
      if (timer) clearInterval(timer)
      timer = null
      unsubscribe?.()
    },
  }
}
