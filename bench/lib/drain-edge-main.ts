/**
 * One edge of the drain bench in its own process: the edge's outbox and
 * forwarder (what drains a backlog; the broker, cameras and pages are idle
 * after an outage and left out). Fills its outbox with a day's backlog while
 * the hub is down, then forwards as the edge does, and says on stdout (JSON
 * lines, wall-clock times) when it is ready and when its outbox is empty.
 */
import { createLogger } from '../../common/log.js'
import { createForwarder } from '../../edge/forwarder/forwarder.js'
import { createHubClient, type HubClient } from '../../edge/forwarder/hub-client.js'
import { openOutbox } from '../../edge/outbox/leveldb-outbox.js'
import type { NewRecord } from '../../edge/outbox/types.js'

export interface DrainEdgeOptions {
  dir: string
  site: string
  hubUrl: string
  token: string
  ca: string
  /** Records in the backlog; one in `ratingEvery` is a rating, the rest device heartbeats. */
  records: number
  ratingEvery: number
  /** Start of the day the backlog covers (ms); records are spread over its 24 hours. */
  dayStartMs: number
  batchSize: number
  inFlightBatches: number
  backoffMinMs: number
  backoffMaxMs: number
}

const o = JSON.parse(process.argv[2] ?? '{}') as DrainEdgeOptions
const say = (msg: string, extra: Record<string, unknown> = {}) => process.stdout.write(`${JSON.stringify({ msg, at: Date.now(), ...extra })}\n`)

/** Distinct per record, so every record is its own point. */
const timeOf = (i: number) => o.dayStartMs + Math.floor((i * 86_400_000) / o.records)

function record(i: number): NewRecord {
  const counter = `q${i % 20}`
  const device = `box-${i % 20}`
  const t = timeOf(i)
  if (i % o.ratingEvery === 0) {
    const level = 1 + (i % 4)
    return {
      kind: 'rating', department: 'tu-phap', counter, device, officer: null, eventId: `${o.site}-${i}`, scale: 4, level,
      score: [100, 66.7, 33.3, 0][level - 1]!, dissatisfied: level === 4, reasons: [], ticket: null, deviceTs: t, edgeTs: t, misuse: null,
    }
  }
  return { kind: 'heartbeat', counter, device, uptimeS: i, rssi: -50, battery: null }
}

say('drain edge started')
const log = createLogger('drain-edge', 'silent')
const outbox = await openOutbox({ dir: o.dir, commitWindowMs: 2, maxBytes: 8e9, minFreeBytes: 0, dedupDays: 30, log, now: Date.now })
const fillStart = performance.now()
let next = 0
await Promise.all(
  Array.from({ length: 500 }, async () => {
    while (next < o.records) {
      const i = next++
      const r = record(i)
      const t = timeOf(i)
      await outbox.append(r, { wall: t, mono: i, boot: 'drain', t, clock: 'synced' }, r.kind === 'rating' ? `${r.device}:${r.eventId}` : undefined)
    }
  }),
)
say('drain edge ready', { records: outbox.stats().depth, fillSeconds: (performance.now() - fillStart) / 1000 })

const client = createHubClient({ url: o.hubUrl, token: o.token, caFile: o.ca, timeoutMs: 60_000 })
const answers: Record<string, number> = {}
let firstDeliveryAt: number | null = null
const counted: HubClient = {
  ...client,
  async postBatch(body, signal) {
    const res = await client.postBatch(body, signal)
    answers[res.status] = (answers[res.status] ?? 0) + 1
    if (res.status === 200) firstDeliveryAt ??= Date.now()
    return res
  },
}
const clock = { model: () => ({ boot: 'drain', monoToTrue: 0 }), monoNow: () => performance.now(), observeServerTime: () => undefined }
const forwarder = createForwarder({
  outbox, clock, hub: counted, site: o.site, batchSize: o.batchSize, inFlightBatches: o.inFlightBatches,
  backoffMinMs: o.backoffMinMs, backoffMaxMs: o.backoffMaxMs, log,
})
forwarder.start()

// Runs until the bench stops it (SIGTERM), drained or not: the bench reads its CPU time at the end.
let reported = false
const watch = setInterval(() => {
  if (reported || outbox.stats().depth > 0) return
  reported = true
  const s = forwarder.status()
  say('drain edge drained', { firstDeliveryAt, delivered: s.delivered, deadLettered: s.deadLettered, answers })
}, 20)

process.once('SIGTERM', () => {
  clearInterval(watch)
  void forwarder
    .stop()
    .then(() => outbox.close())
    .then(() => {
      client.close()
      process.exit(0)
    })
})
