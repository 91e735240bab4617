/**
 * A real HTTPS server playing the hub's edge API contract, with a behaviour
 * the test can change between requests. Records the hub accepted are kept
 * per seq so tests can check exactly-once delivery.
 */
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:https'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TestPki } from '../../testkit/certs.js'
import type { EdgeRecord } from '../../protocol/records.js'

export interface BatchRequest {
  auth: string | undefined
  body: { v: number; site: string; records: EdgeRecord[] }
  at: number
  /** When the answer went out (performance.now()). */
  answeredAt?: number
}

export type Reply =
  | {
      status: number
      body?: unknown
      headers?: Record<string, string>
      /** Answer only after this long (a slow database). */
      delayMs?: number
      /** Answer only once this settles (a batch held while the test looks at the others). */
      until?: Promise<unknown>
    }
  /** Drop the connection without answering (network failure). */
  | 'drop'
  /** Never answer. */
  | 'hang'

export class FakeHub {
  readonly batches: BatchRequest[] = []
  readonly accepted = new Map<number, EdgeRecord[]>()
  clockCalls = 0
  /** Batches received and not yet answered, and the most there ever were at once. */
  inFlight = 0
  maxInFlight = 0
  serverTime = () => Date.now()
  /** Decides the answer to each batch; default accepts everything. */
  onBatch: (req: BatchRequest) => Reply = () => ({ status: 200 })
  private server!: Server
  private readonly hanging = new Set<ServerResponse>()

  async start(pki: TestPki): Promise<string> {
    this.server = createServer({ cert: readFileSync(pki.serverCert), key: readFileSync(pki.serverKey) }, (req, res) =>
      void this.handle(req, res).catch((err: unknown) => {
        // A client that went away mid-body (the forwarder's stop() aborting an upload) leaves nothing to answer.
        if (req.destroyed) return
        throw err
      }),
    )
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
    return `https://localhost:${(this.server.address() as AddressInfo).port}`
  }

  acceptedSeqs(): number[] {
    return [...this.accepted.keys()].sort((a, b) => a - b)
  }

  /** Every seq the hub accepted more than once. */
  duplicates(): number[] {
    return [...this.accepted].filter(([, copies]) => copies.length > 1).map(([seq]) => seq)
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy()
    this.server.closeAllConnections()
    await new Promise((resolve) => this.server.close(resolve))
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    if (req.url === '/v1/clock' && req.method === 'GET') {
      this.clockCalls++
      return this.send(res, 200, { serverTime: this.serverTime() })
    }
    if (req.url !== '/v1/batches' || req.method !== 'POST') return this.send(res, 404, { error: { code: 'HUB_NOT_FOUND' } })
    const batch: BatchRequest = { auth: req.headers.authorization, body: JSON.parse(Buffer.concat(chunks).toString()), at: performance.now() }
    this.batches.push(batch)
    const reply = this.onBatch(batch)
    if (reply === 'drop') return void req.socket.destroy()
    if (reply === 'hang') return void this.hanging.add(res)
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight)
    if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs))
    await reply.until
    this.inFlight--
    batch.answeredAt = performance.now()
    if (reply.status === 200) {
      const rejected = (reply.body as { rejected?: { index: number }[] } | undefined)?.rejected ?? []
      const refused = new Set(rejected.map((r) => r.index))
      batch.body.records.forEach((r, i) => {
        if (!refused.has(i)) this.accepted.set(r.seq, [...(this.accepted.get(r.seq) ?? []), r])
      })
      return this.send(res, 200, { accepted: batch.body.records.length - refused.size, rejected, serverTime: this.serverTime() }, reply.headers)
    }
    this.send(res, reply.status, reply.body ?? {}, reply.headers)
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body)
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers })
    res.end(text)
  }
}
