/**
 * HTTP(S) client for the hub's edge API. One keep-alive agent, the hub's CA
 * for verification, a deadline per request and an abort signal so stop()
 * can cancel a request cleanly.
 */
import { readFileSync } from 'node:fs'
import http, { type IncomingHttpHeaders } from 'node:http'
import https from 'node:https'

export interface HubResponse {
  status: number
  headers: IncomingHttpHeaders
  /** Parsed JSON, or null if the body was empty or not JSON. */
  body: unknown
}

export interface HubClient {
  postBatch(body: string, signal: AbortSignal): Promise<HubResponse>
  getClock(signal: AbortSignal): Promise<HubResponse>
  close(): void
}

export interface HubClientOptions {
  url: string
  token: string
  /** PEM file of the CA that signed the hub's certificate; without it the system CAs are used. */
  caFile?: string
  timeoutMs: number
  /** How long a batch waits for 100 Continue; CONTINUE_WAIT_MS unless set. */
  continueWaitMs?: number
}

/** How long a batch waits for the hub's 100 Continue before it is sent regardless. */
export const CONTINUE_WAIT_MS = 1000

export function createHubClient(opts: HubClientOptions): HubClient {
  const base = new URL(opts.url.endsWith('/') ? opts.url : `${opts.url}/`)
  const secure = base.protocol === 'https:'
  const ca = opts.caFile ? readFileSync(opts.caFile) : undefined
  // The forwarder bounds its own requests (hub.inFlightBatches, at most 16), and one more asks the clock.
  const maxSockets = 17
  const agent = secure ? new https.Agent({ keepAlive: true, maxSockets, ca }) : new http.Agent({ keepAlive: true, maxSockets })
  const auth = `Bearer ${opts.token}`
  const continueWaitMs = opts.continueWaitMs ?? CONTINUE_WAIT_MS

  function request(method: 'GET' | 'POST', path: string, signal: AbortSignal, body?: string): Promise<HubResponse> {
    const target = new URL(path, base)
    const headers: http.OutgoingHttpHeaders = { authorization: auth, accept: 'application/json' }
    if (body !== undefined) {
      headers['content-type'] = 'application/json'
      headers['content-length'] = Buffer.byteLength(body)
      // The hub refuses a batch it cannot take (overloaded, token) before the upload: a shed batch costs no uplink.
      headers.expect = '100-continue'
    }
    const deadline = AbortSignal.any([signal, AbortSignal.timeout(opts.timeoutMs)])
    return new Promise((resolve, reject) => {
      let sent = body === undefined
      const send = () => {
        if (sent) return
        sent = true
        clearTimeout(waiting)
        req.end(body)
      }
      // A hub or proxy that ignores Expect never says 100: the body goes anyway after a while (RFC 9110, 10.1.1).
      const waiting = sent ? undefined : setTimeout(send, continueWaitMs)
      const req = (secure ? https : http).request(target, { method, agent, headers, signal: deadline }, (res) => {
        clearTimeout(waiting)
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('error', reject)
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          let parsed: unknown = null
          try {
            parsed = text ? JSON.parse(text) : null
          } catch {
            parsed = null
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed })
          // Answered before the body went: this request can never complete, and its socket is not reused.
          if (!sent) req.destroy()
        })
      })
      req.on('error', reject)
      req.on('close', () => clearTimeout(waiting))
      if (body === undefined) req.end()
      else req.on('continue', send)
    })
  }

  return {
    postBatch: (body, signal) => request('POST', 'v1/batches', signal, body),
    getClock: (signal) => request('GET', 'v1/clock', signal),
    close: () => agent.destroy(),
  }
}
