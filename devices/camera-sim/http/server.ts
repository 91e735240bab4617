import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Logger } from '../../../common/log.js'
import type { DigestAuth } from '../auth/digest.js'
import type { SnapshotSource } from '../snapshot.js'
import type { CameraState } from '../types.js'
import { handleSoap, type SoapContext } from './soap-handler.js'

export const SNAPSHOT_PATH = '/snapshot/Profile_1.jpg'
const MAX_BODY = 1 << 20
const SOAP_TYPE = 'application/soap+xml; charset=utf-8'

export interface CameraHttpOptions {
  host: string
  soap: SoapContext
  state: () => CameraState
  digest: DigestAuth
  snapshots: SnapshotSource
  log: Logger
}

/** Cuts a valid answer into something no XML parser accepts, as broken firmware does. */
function malform(xml: string): string {
  return xml.slice(0, Math.floor(xml.length / 2)) + '<tt:Broken attr="unterminated><'
}

/** The camera's single HTTP port: SOAP for all services plus the snapshot URL. */
export class CameraHttpServer {
  private server: Server | undefined
  private readonly timers = new Set<NodeJS.Timeout>()
  private readonly aborts = new Set<AbortController>()
  port = 0

  constructor(private readonly opts: CameraHttpOptions) {}

  async listen(port: number): Promise<number> {
    const server = createServer((req, res) => { void this.onRequest(req, res) })
    server.keepAliveTimeout = 5000
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, this.opts.host, () => { server.off('error', reject); resolve() })
    })
    this.server = server
    const addr = server.address()
    this.port = typeof addr === 'object' && addr ? addr.port : port
    return this.port
  }

  /** Stops listening and drops every connection (pending pulls included): the port refuses. */
  async close(): Promise<void> {
    const server = this.server
    this.server = undefined
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
    for (const a of this.aborts) a.abort()
    if (!server) return
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    server.closeAllConnections()
    await closed
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => { this.timers.delete(t); resolve() }, ms)
      this.timers.add(t)
    })
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const abort = new AbortController()
    this.aborts.add(abort)
    res.once('close', () => { abort.abort(); this.aborts.delete(abort) })
    try {
      const state = this.opts.state()
      // Never answer instantly: a real camera takes milliseconds per call, and a client that stamps
      // WS-Security Created with ms precision then never sends two identical tokens in a row
      // (libonvif reuses its nonce, so same-millisecond requests would look like replays).
      await this.delay(state.fault === 'slow' ? state.slowDelayMs : state.soapLatencyMs)
      if (abort.signal.aborted) return
      const path = (req.url ?? '/').split('?')[0] ?? '/'
      if (req.method === 'GET' && path === SNAPSHOT_PATH) return await this.snapshot(req, res)
      if (req.method !== 'POST' || !path.startsWith('/onvif/')) {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found')
        return
      }
      const xml = await readBody(req)
      if (xml === undefined) {
        res.writeHead(413).end()
        return
      }
      const out = await handleSoap(this.opts.soap, {
        xml, path, method: 'POST', authorization: req.headers.authorization, signal: abort.signal,
      })
      if (out.authFailure) this.opts.log.info({ path, reason: out.authFailure }, 'request not authorized')
      if (abort.signal.aborted) return
      const body = this.opts.state().fault === 'malformed' ? malform(out.body) : out.body
      // Content-Length, not chunked: embedded clients (libonvif) read one plain HTTP/1.1 body, as gSOAP cameras send it.
      res.writeHead(out.status, { 'Content-Type': SOAP_TYPE, 'Content-Length': String(Buffer.byteLength(body)), ...out.headers }).end(body)
    } catch (err) {
      this.opts.log.error({ err }, 'request failed')
      if (!res.headersSent) res.writeHead(500).end()
    }
  }

  private async snapshot(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const state = this.opts.state()
    const now = Date.now()
    const auth = req.headers.authorization
    const verdict = auth ? this.opts.digest.verify(auth, 'GET', this.opts.soap.user, state.password, now) : 'missing'
    if (verdict !== 'ok') {
      res.writeHead(401, {
        'WWW-Authenticate': this.opts.digest.challenge(now, verdict === 'stale-nonce'),
        'Content-Type': 'text/plain',
      }).end('401 Unauthorized')
      return
    }
    let jpeg: Buffer | undefined
    if (state.fault === 'stall') {
      jpeg = this.opts.snapshots.lastJpeg // a frozen encoder keeps handing out its last picture
    } else {
      jpeg = await this.opts.snapshots.grab().catch((err: unknown) => {
        this.opts.log.warn({ err }, 'snapshot failed')
        return undefined
      })
    }
    if (!jpeg) {
      res.writeHead(503, { 'Content-Type': 'text/plain', 'Retry-After': '1' }).end('snapshot unavailable')
      return
    }
    res.writeHead(200, { 'Content-Type': 'image/jpeg', 'Content-Length': String(jpeg.length), 'Cache-Control': 'no-store' }).end(jpeg)
  }
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > MAX_BODY) {
        resolve(undefined)
        req.destroy()
        return
      }
      chunks.push(c)
    })
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.once('error', reject)
  })
}
