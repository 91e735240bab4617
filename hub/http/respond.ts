import type { ServerResponse } from 'node:http'
import { ERRORS, type ErrorCode } from '../../common/errors.js'

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers })
  res.end(text)
}

/** Error bodies are always `{ error: { code, message } }` with a code from the catalogue. */
export function sendError(res: ServerResponse, status: number, code: ErrorCode, detail?: string, headers?: Record<string, string>): void {
  sendJson(res, status, { error: { code, message: detail ? `${ERRORS[code]}: ${detail}` : ERRORS[code] } }, headers)
}
