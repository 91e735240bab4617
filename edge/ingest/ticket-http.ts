/**
 * The HTTP adapter for queue systems that cannot speak MQTT
 * (docs/queue-adapter.md): `POST /queue/v1/tickets` with one ticket event as
 * JSON and the queue device's secret as bearer token. The event goes through
 * the same ingest as a published `ticket` message (schema, counter, the
 * record it makes) and the broker stores it as it stores those: once per
 * device and event id, durable before the answer, then counted for the
 * misuse filter and prompted to the counter's kiosks. So a queue system that
 * retries a POST it saw no answer to never makes a second record.
 */
import type { IncomingMessage } from 'node:http'
import { formatIssues } from '../../common/config.js'
import type { HttpErrorCode } from '../../common/errors.js'
import type { Logger } from '../../common/log.js'
import { sendError, sendJson } from '../../common/web/answer.js'
import { hashSecret } from '../../common/secrets.js'
import { MAX_TICKET_BODY_BYTES, TICKET_HTTP_PATH, ticketPost, type TicketPostAnswer } from '../../protocol/ticket-http.js'
import { topics } from '../../protocol/topics.js'
import type { EdgeBroker } from '../broker/broker.js'
import type { Clock } from '../clock/types.js'
import { DEFAULT_RATE, DeviceRateLimiter } from '../misuse/rate.js'
import type { EdgeHttp } from '../http/server.js'
import { ingest, type DutyLookup } from './ingest.js'
import type { DeviceEntry, SiteIndex } from './site.js'

const NO_STORE = { 'cache-control': 'no-store' }
/** A client that said it sends more than the limit is not read at all. */
class TooLarge extends Error {}

export interface TicketHttpOptions {
  site: SiteIndex
  duty: DutyLookup
  broker: Pick<EdgeBroker, 'storeTicket'>
  clock: Clock
  log: Logger
}

/** The queue devices allowed to post, by their secret's hash: the token finds its device without trying each. */
export function httpQueueDevices(site: SiteIndex): Map<string, DeviceEntry> {
  const out = new Map<string, DeviceEntry>()
  for (const d of site.config.devices) if (d.kind === 'queue' && d.http) out.set(d.secretHash, site.devices.get(d.id)!)
  return out
}

export function addTicketRoute(http: EdgeHttp, o: TicketHttpOptions): void {
  const log = o.log.child({ module: 'ticket-http' })
  const devices = httpQueueDevices(o.site)
  // The MQTT devices' rate (broker.deviceRate, docs/misuse.md), a bucket of its own: a token must not fill the disk either.
  const rateSettings = o.site.config.broker.deviceRate ?? DEFAULT_RATE
  const rate = new DeviceRateLimiter(rateSettings)

  http.route('POST', TICKET_HTTP_PATH, async (req, res) => {
    const refuse = (code: HttpErrorCode, detail: string, device?: string, headers: Record<string, string> = {}) => {
      log.warn({ device, code, detail }, 'queue ticket over HTTP refused')
      sendError(res, code, detail, { ...NO_STORE, ...headers })
    }
    const token = /^Bearer (\S+)$/i.exec(req.headers.authorization ?? '')?.[1]
    const device = token === undefined ? undefined : devices.get(hashSecret(token))
    if (!device) return refuse('EDGE_TICKET_AUTH_FAILED', token === undefined ? 'no bearer token' : 'no queue system has this token', undefined, { 'www-authenticate': 'Bearer realm="motcua-queue"' })
    const admitted = rate.admit(device.id, o.clock.now())
    if (admitted.action === 'refuse')
      return refuse('EDGE_TICKET_RATE_LIMITED', `more than ${rateSettings.perSecond} events/s from this queue system`, device.id, { 'retry-after': '10' })
    if (admitted.action === 'hold') {
      // Held like an MQTT publish above the rate: the answer comes later, which slows the sender.
      await new Promise((r) => setTimeout(r, admitted.waitMs))
      rate.release(device.id)
    }
    if (!/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? ''))
      return refuse('EDGE_TICKET_MEDIA_TYPE', `got "${(req.headers['content-type'] ?? '').slice(0, 60)}"`, device.id)

    let body: Buffer
    try {
      body = await readLimited(req, MAX_TICKET_BODY_BYTES)
    } catch (err) {
      if (err instanceof TooLarge) return refuse('EDGE_TICKET_TOO_LARGE', `limit ${MAX_TICKET_BODY_BYTES} bytes`, device.id, { connection: 'close' })
      throw err
    }
    let json: unknown
    try {
      json = JSON.parse(body.toString('utf8'))
    } catch {
      return refuse('EDGE_TICKET_INVALID', 'the body is not JSON', device.id)
    }
    const parsed = ticketPost.safeParse(json)
    if (!parsed.success) return refuse('EDGE_TICKET_INVALID', formatIssues(parsed.error.issues).slice(0, 3).join('; '), device.id)
    const { counter, ...message } = parsed.data

    // The message as the queue system would have published it on the counter's topic.
    const result = ingest(
      { topic: topics.ticket(o.site.id, counter), payload: Buffer.from(JSON.stringify(message)), device, edgeTs: o.clock.stamp().wall },
      o.site,
      o.duty,
    )
    if (result.outcome === 'rejected') return refuse('EDGE_TICKET_INVALID', result.rejection.message, device.id)
    if (result.outcome !== 'record' || result.record.kind !== 'ticket' || result.dedupKey === null) throw new Error('a ticket message made no ticket record')

    let stored: 'stored' | 'duplicate'
    try {
      stored = await o.broker.storeTicket(result.record, result.dedupKey)
    } catch (err) {
      log.error({ err, device: device.id }, 'queue ticket over HTTP not stored')
      return refuse('EDGE_TICKET_NOT_STORED', (err as Error).message, device.id, { 'retry-after': '30' })
    }
    const answer: TicketPostAnswer = { status: stored, id: message.id }
    sendJson(res, stored === 'stored' ? 201 : 200, answer, NO_STORE)
  })
}

/** The body, or TooLarge as soon as it passes `limit` (announced or sent). */
function readLimited(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > limit) return reject(new TooLarge())
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > limit) {
        req.removeAllListeners('data')
        req.resume()
        reject(new TooLarge())
      } else chunks.push(c)
    })
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}
