/**
 * POST /v1/batches and GET /v1/clock. The answer to a batch is 200 only after
 * the database accepted every valid record, so the edge may then delete them
 * from its outbox; any doubt is a 503 and the edge sends the batch again,
 * which is harmless because points are idempotent.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { isMotcuaError } from '../../common/errors.js'
import type { Logger } from '../../common/log.js'
import type { BatchAck } from '../../protocol/records.js'
import type { HubConfig } from '../config/schema.js'
import { declaredTooLarge, readBody } from '../http/body.js'
import type { HubMetrics } from '../http/metrics.js'
import { sendError, sendJson } from '../../common/web/answer.js'
import { clientAddress } from '../../common/web/forwarded.js'
import type { PointWriter } from '../influx/writer.js'
import { createEdgeAuth } from './auth.js'
import { mapRecords, parseEnvelope } from './validate.js'
import { createWriteSlots } from './write-slots.js'

export interface IngestDeps {
  config: HubConfig
  writer: PointWriter
  metrics: HubMetrics
  log: Logger
  now: () => number
}

export function createIngest({ config, writer, metrics, log, now }: IngestDeps) {
  const authenticate = createEdgeAuth(config.edges)
  const retryAfter = { 'retry-after': String(config.retryAfterS) }
  const slots = createWriteSlots({ max: config.maxConcurrentWrites, maxWaiting: config.maxConcurrentWrites, waitMs: config.writeSlotWaitMs })

  const unauthorized = (req: IncomingMessage, res: ServerResponse, headers: Record<string, string> = {}) => {
    log.warn({ remote: clientAddress(req), path: req.url }, 'edge authentication failed')
    sendError(res, 'HUB_AUTH_FAILED', undefined, { 'www-authenticate': 'Bearer', ...headers })
  }

  const overloaded = (res: ServerResponse, headers: Record<string, string> = {}) => {
    metrics.batches.inc({ outcome: 'overloaded' })
    metrics.unavailable.inc({ reason: 'overloaded' })
    sendError(res, 'HUB_OVERLOADED', undefined, { ...retryAfter, ...headers })
  }

  /** The body is unread (still coming, or never to come): the answer closes the connection. */
  const tooLarge = (res: ServerResponse) => {
    metrics.batches.inc({ outcome: 'too_large' })
    sendError(res, 'HUB_BODY_TOO_LARGE', undefined, { connection: 'close' })
  }

  /** The checks that need no body: the site of a valid token, or null once answered (401, or 503 with no write slot free). */
  function admit(req: IncomingMessage, res: ServerResponse, headers?: Record<string, string>): string | null {
    const tokenSite = authenticate(req.headers.authorization)
    if (!tokenSite) {
      metrics.batches.inc({ outcome: 'auth_failed' })
      unauthorized(req, res, headers)
      return null
    }
    if (slots.full()) {
      overloaded(res, headers)
      return null
    }
    return tokenSite
  }

  async function batch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Shed before reading the body when writes are saturated (refuseUpload spares the upload itself).
    const tokenSite = admit(req, res)
    if (tokenSite) await ingest(tokenSite, req, res)
  }

  /**
   * A batch sent with `Expect: 100-continue` waits for the hub's go-ahead
   * before its upload. When it would be refused anyway (token, no write slot,
   * declared size), the refusal is the answer and the body never crosses the
   * edge's uplink; the connection is closed, since the client will not send
   * it. True when it answered.
   */
  function refuseUpload(req: IncomingMessage, res: ServerResponse): boolean {
    const close = { connection: 'close' }
    if (admit(req, res, close) !== null) {
      if (!declaredTooLarge(req, config.http.maxBodyBytes)) return false
      tooLarge(res)
    }
    metrics.sparedUploads.inc()
    metrics.sparedBytes.inc(Number(req.headers['content-length']) || 0)
    return true
  }

  /**
   * Only the database write holds a slot: a slow uplink still uploading must
   * not starve the other edges. A body that finds every slot taken waits its
   * bounded turn (write-slots.ts) rather than being refused after its upload.
   */
  async function write(points: Parameters<PointWriter['write']>[0]): Promise<'ok' | 'overloaded'> {
    const taking = slots.take()
    metrics.slotWaiting.set(slots.waiting)
    const slot = await taking
    metrics.slotWaiting.set(slots.waiting)
    if (slot !== 'now') metrics.slotWaits.inc({ outcome: slot })
    if (slot === 'timed_out' || slot === 'queue_full') return 'overloaded'
    try {
      metrics.writesInFlight.set(slots.inFlight)
      await writer.write(points)
      return 'ok'
    } finally {
      slots.release()
      metrics.writesInFlight.set(slots.inFlight)
    }
  }

  async function ingest(tokenSite: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body: unknown
    try {
      body = JSON.parse((await readBody(req, config.http.maxBodyBytes)).toString('utf8'))
    } catch (err) {
      if (isMotcuaError(err) && err.code === 'HUB_BODY_TOO_LARGE') return tooLarge(res)
      if (!isMotcuaError(err) && !(err instanceof SyntaxError)) throw err
      metrics.batches.inc({ outcome: 'invalid' })
      return sendError(res, 'HUB_BATCH_INVALID', isMotcuaError(err) ? err.message : 'body is not JSON')
    }
    const envelope = parseEnvelope(body)
    if (!envelope.ok) {
      metrics.batches.inc({ outcome: 'invalid' })
      return sendError(res, 'HUB_BATCH_INVALID', envelope.message)
    }
    if (envelope.site !== tokenSite) {
      metrics.batches.inc({ outcome: 'forbidden' })
      log.warn({ tokenSite, batchSite: envelope.site }, 'batch for another site refused')
      return sendError(res, 'HUB_SITE_FORBIDDEN', `batch site ${envelope.site}`)
    }
    const { points, rejected } = mapRecords(envelope.site, envelope.records, now() + config.maxFutureSkewS * 1000)
    const started = performance.now()
    try {
      if ((await write(points)) === 'overloaded') return overloaded(res)
    } catch (err) {
      metrics.batches.inc({ outcome: 'db_unavailable' })
      metrics.unavailable.inc({ reason: 'db' })
      log.warn({ err, site: envelope.site, points: points.length }, 'database write failed')
      return sendError(res, 'HUB_DB_UNAVAILABLE', undefined, retryAfter)
    }
    const seconds = (performance.now() - started) / 1000
    metrics.writeSeconds.observe(seconds)
    metrics.batches.inc({ outcome: 'accepted' })
    metrics.records.inc({ outcome: 'accepted' }, points.length)
    if (rejected.length) {
      metrics.records.inc({ outcome: 'rejected' }, rejected.length)
      log.warn({ site: envelope.site, rejected: rejected.slice(0, 3), count: rejected.length }, 'records rejected')
    }
    log.debug({ site: envelope.site, accepted: points.length, rejected: rejected.length, seconds }, 'batch written')
    const ack: BatchAck = { accepted: points.length, rejected, serverTime: now() }
    sendJson(res, 200, ack)
  }

  function clock(req: IncomingMessage, res: ServerResponse): void {
    if (!authenticate(req.headers.authorization)) return unauthorized(req, res)
    sendJson(res, 200, { serverTime: now() })
  }

  return { batch, clock, refuseUpload }
}
