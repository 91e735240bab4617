/**
 * Who may read the operators' endpoints (/metrics, the detailed /healthz):
 * they carry per-officer counts of flagged ratings and how many people watch
 * cameras (issue 11, finding 10), so they are not for anyone on the network.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Registry } from 'prom-client'
import type { HttpErrorCode } from '../errors.js'
import { NO_STORE, sendError } from './answer.js'
import { viaProxy } from './forwarded.js'

/** A client on this machine: a loopback address, or one that dialled this host's own address. */
export function isLocalClient(req: IncomingMessage): boolean {
  const { remoteAddress: remote, localAddress: local } = req.socket
  // A proxy on this machine makes every client's socket local; its forwarded client is not (common/web/forwarded.ts).
  if (!remote || viaProxy(req)) return false
  return remote === '::1' || /^(::ffff:)?127\./.test(remote) || remote === local
}

/** The request carries `Authorization: Bearer <token>`; compared in constant time. */
export function hasBearer(req: IncomingMessage, token: string): boolean {
  const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')
  if (!m) return false
  const digest = (s: string) => createHash('sha256').update(s).digest()
  return timingSafeEqual(digest(m[1]!), digest(token))
}

/**
 * /metrics: with a token configured, only with that token (a reverse proxy on
 * the same machine would make every client look local); without one, only a
 * client on this machine.
 */
export function mayReadMetrics(req: IncomingMessage, token: string | undefined): boolean {
  return token === undefined ? isLocalClient(req) : hasBearer(req, token)
}

/** The detailed /healthz: the technician's command on the box, or whoever holds the metrics token. */
export function mayReadHealthDetail(req: IncomingMessage, token: string | undefined): boolean {
  return isLocalClient(req) || (token !== undefined && hasBearer(req, token))
}

/** GET /metrics of either program: Prometheus text for a client mayReadMetrics lets in, `refused` for any other. */
export async function sendMetrics(req: IncomingMessage, res: ServerResponse, registry: Registry, token: string | undefined, refused: HttpErrorCode): Promise<void> {
  if (!mayReadMetrics(req, token)) return sendError(res, refused, undefined, { ...NO_STORE, 'www-authenticate': 'Bearer' })
  const text = await registry.metrics()
  res.writeHead(200, { 'content-type': registry.contentType, ...NO_STORE })
  res.end(text)
}
