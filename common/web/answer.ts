/**
 * JSON answers of the edge's and the hub's HTTP servers. An error body is
 * always `{ error: { code, message } }` with a code from the catalogue
 * (common/errors.ts), answered with that code's status.
 */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { errorMessage, httpStatus, isMotcuaError, type HttpErrorCode } from '../errors.js'
import type { Logger } from '../log.js'
import type { Match, Params, Router } from './router.js'

type Headers = Record<string, string>

export const NO_STORE: Headers = { 'cache-control': 'no-store' }

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Headers = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers })
  res.end(text)
}

export function sendError(res: ServerResponse, code: HttpErrorCode, detail?: string, headers: Headers = {}): void {
  sendJson(res, httpStatus(code)!, { error: { code, message: errorMessage(code, detail) } }, headers)
}

/**
 * A cross-site post to a signed-in area is refused 403 with the area's
 * sign-in code, the one place a code is answered with another status than
 * its own: clients have always seen it so.
 */
export function refuseCrossSite(res: ServerResponse, code: HttpErrorCode): void {
  sendJson(res, 403, { error: { code, message: errorMessage(code) } }, NO_STORE)
}

/**
 * Answers a MotcuaError whose code has a status, with the error's own
 * message (it names the parameter or the site); false for anything else,
 * which the caller treats as a bug.
 */
export function sendCaught(res: ServerResponse, err: unknown, headers: Headers = {}): boolean {
  const status = isMotcuaError(err) ? httpStatus(err.code) : undefined
  if (!isMotcuaError(err) || status === undefined) return false
  sendJson(res, status, { error: { code: err.code, message: err.message } }, headers)
  return true
}

/** Each program's codes for a request its routes do not take. */
export interface MissCodes {
  not_found: HttpErrorCode
  method_not_allowed: HttpErrorCode
  bad_path: HttpErrorCode
}

/** 404, 405 with the Allow header, or 400 for a malformed escape; the detail names the request. */
export function sendMiss(res: ServerResponse, miss: Exclude<Match<unknown>, { kind: 'found' }>, codes: MissCodes, detail: string, headers: Headers = {}): void {
  sendError(res, codes[miss.kind], detail, miss.kind === 'method_not_allowed' ? { ...headers, allow: miss.allow } : headers)
}

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL, params: Params) => void | Promise<void>

export interface DispatchOptions {
  codes: MissCodes & { internal: HttpErrorCode }
  log: Logger
  /** Headers of every error answer (the edge's are never cached). */
  headers?: Headers
}

/** The request's URL, or null when its target is not one (`http://[`, on which `new URL` throws). */
export function requestUrl(req: IncomingMessage): URL | null {
  try {
    return new URL(req.url ?? '/', 'http://server.invalid')
  } catch {
    return null
  }
}

/**
 * Runs the route a request matches; a target that is not a URL is answered
 * 400 with the bad-path code; a throw is logged and answered 500, or the
 * connection cut when the answer had begun.
 */
export function dispatch(router: Router<RouteHandler>, req: IncomingMessage, res: ServerResponse, o: DispatchOptions): void {
  const method = req.method ?? 'GET'
  const url = requestUrl(req)
  if (!url) return sendError(res, o.codes.bad_path, `${method} ${(req.url ?? '').slice(0, 100)}`, o.headers)
  const m = router.match(method, url.pathname)
  if (m.kind !== 'found') return sendMiss(res, m, o.codes, `${method} ${url.pathname}`, o.headers)
  Promise.resolve()
    .then(() => m.handler(req, res, url, m.params))
    .catch((err: unknown) => {
      o.log.error({ err, path: url.pathname }, 'request handler failed')
      if (!res.headersSent) sendError(res, o.codes.internal, undefined, o.headers)
      else res.destroy()
    })
}

/**
 * Refuses a WebSocket upgrade with a bare answer; true, for upgrade handlers
 * that say they took the request. The socket is destroyed once the answer is
 * written: nobody reads an upgraded socket, so its peer's end would never be
 * seen and a half-open socket (HTTP servers allow them) would keep its
 * descriptor for good (the fuzz of issue 11 found them over TLS).
 */
export function refuseUpgrade(socket: Duplex, status: number): true {
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`, () => socket.destroy())
  return true
}
