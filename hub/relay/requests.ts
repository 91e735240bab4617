/**
 * The hub's side of the tunnel's requests (protocol/tunnel.ts, version 2;
 * issue 17): ask a site's edge for JSON (a timeline, the snapshots) or for a
 * body (a clip, a snapshot's JPEG) as a Node stream. Every request is bounded:
 * an answer within `answerMs`, a body that keeps moving (no gap past
 * `idleMs`) and stays under `maxBodyBytes`; destroying the stream (the viewer
 * went away) cancels it on the edge. The edge runs at most the credit the
 * stream's reader has taken ahead, so a slow viewer slows the edge's disk,
 * not the hub's memory. An edge that said version 1 is answered
 * 'unsupported' here, at once, instead of a request it would ignore.
 */
import { Readable } from 'node:stream'
import type { Logger } from '../../common/log.js'
import { REQUESTS_SINCE_VERSION, type EdgeMessage, type RequestArgs, type RequestError, type RequestOp } from '../../protocol/tunnel.js'
import type { EdgeLink } from './tunnels.js'

export type RequestReply = Extract<EdgeMessage, { type: 'response' | 'head' | 'end' | 'error' }>

/** What the tunnel server hands over (hub/relay/tunnels.ts). */
export interface RequestSink {
  message(link: EdgeLink, msg: RequestReply): void
  body(link: EdgeLink, id: number, data: Buffer): void
  unlinked(link: EdgeLink): void
}

export class EdgeRequestError extends Error {
  constructor(readonly code: RequestError, message: string) {
    super(message)
    this.name = 'EdgeRequestError'
  }
}

export interface EdgeBody {
  contentType: string
  meta: Record<string, string | number>
  /** Ends when the edge says `end` with the byte count it sent; errors on anything short of that. */
  body: Readable
}

export interface EdgeRequests {
  readonly sink: RequestSink
  call<O extends RequestOp>(site: string, op: O, args: RequestArgs<O>): Promise<unknown>
  open<O extends RequestOp>(site: string, op: O, args: RequestArgs<O>): Promise<EdgeBody>
  /** Requests waiting for an answer or streaming now. */
  pending(): number
  close(): void
}

export interface EdgeRequestOptions {
  link(site: string): EdgeLink | null
  log: Logger
  answerMs?: number
  idleMs?: number
  maxBodyBytes?: number
  /** The reader's buffer; the edge may run its own credit window ahead of what the reader took. */
  highWaterMark?: number
}

interface Pending {
  link: EdgeLink
  op: RequestOp
  timer: NodeJS.Timeout
  /** Before the first answer. */
  settle: ((r: { json: unknown } | { head: EdgeBody } | { error: EdgeRequestError }) => void) | null
  body: Readable | null
  received: number
  acked: number
}

const ACK_EVERY_BYTES = 256 * 1024

export function createEdgeRequests(o: EdgeRequestOptions): EdgeRequests {
  const log = o.log.child({ module: 'edge-requests' })
  const answerMs = o.answerMs ?? 15_000
  const idleMs = o.idleMs ?? 20_000
  const maxBodyBytes = o.maxBodyBytes ?? 1024 * 1024 * 1024
  const highWaterMark = o.highWaterMark ?? 512 * 1024
  const pending = new Map<number, Pending>()
  let nextId = 1

  function end(id: number, p: Pending, err: EdgeRequestError | null, tellEdge: boolean): void {
    if (pending.get(id) !== p) return
    pending.delete(id)
    clearTimeout(p.timer)
    if (tellEdge) p.link.send({ type: 'cancel', id })
    if (p.settle) p.settle(err ? { error: err } : { error: new EdgeRequestError('failed', 'no answer') })
    else if (err) p.body?.destroy(err)
  }

  const arm = (id: number, p: Pending, ms: number, what: string) => {
    clearTimeout(p.timer)
    p.timer = setTimeout(() => {
      log.warn({ site: p.link.site, op: p.op, what }, 'edge request timed out')
      end(id, p, new EdgeRequestError('timeout', `the edge gave no ${what} in time`), true)
    }, ms)
  }

  function ack(id: number, p: Pending): void {
    if (p.received > p.acked) {
      p.acked = p.received
      p.link.send({ type: 'ack', id, bytes: p.received })
    }
  }

  function start(site: string, op: RequestOp, args: unknown): Promise<{ json: unknown } | { head: EdgeBody }> {
    const link = o.link(site)
    if (!link) return Promise.reject(new EdgeRequestError('edge_disconnected', 'the site\'s edge has no tunnel to this hub'))
    if (link.version < REQUESTS_SINCE_VERSION) return Promise.reject(new EdgeRequestError('unsupported', `the site's edge speaks tunnel version ${link.version}`))
    const id = nextId++
    if (nextId > 0xffffffff) nextId = 1
    return new Promise((resolve, reject) => {
      const p: Pending = {
        link, op, timer: setTimeout(() => undefined, 0), body: null, received: 0, acked: 0,
        settle: (r) => {
          p.settle = null
          if ('error' in r) reject(r.error)
          else resolve(r)
        },
      }
      pending.set(id, p)
      arm(id, p, answerMs, 'answer')
      link.send({ type: 'request', id, op, args })
    })
  }

  function headed(id: number, p: Pending, msg: Extract<RequestReply, { type: 'head' }>): void {
    const body = new Readable({
      highWaterMark,
      read: () => {
        if (pending.get(id) !== p) return
        ack(id, p)
        arm(id, p, idleMs, 'body')
      },
      destroy: (err, cb) => {
        // The reader went away (the viewer closed the page) before the edge finished: stop the edge's reads.
        end(id, p, null, pending.get(id) === p)
        cb(err)
      },
    })
    p.body = body
    arm(id, p, idleMs, 'body')
    p.settle?.({ head: { contentType: msg.contentType, meta: msg.meta, body } })
  }

  const sink: RequestSink = {
    message(link, msg) {
      const p = pending.get(msg.id)
      if (!p || p.link !== link) return
      if (msg.type === 'error') {
        return end(msg.id, p, new EdgeRequestError(msg.code, msg.message), false)
      }
      if (p.settle) {
        if (msg.type === 'response') {
          pending.delete(msg.id)
          clearTimeout(p.timer)
          return p.settle({ json: msg.body })
        }
        if (msg.type === 'head') return headed(msg.id, p, msg)
        return end(msg.id, p, new EdgeRequestError('failed', 'an end before any answer'), false)
      }
      if (msg.type !== 'end' || !p.body) return end(msg.id, p, new EdgeRequestError('failed', `a ${msg.type} in the middle of a body`), true)
      const body = p.body
      if (msg.bytes !== p.received) return end(msg.id, p, new EdgeRequestError('failed', `the body ended after ${p.received} of ${msg.bytes} bytes`), false)
      pending.delete(msg.id)
      clearTimeout(p.timer)
      body.push(null)
    },
    body(link, id, data) {
      const p = pending.get(id)
      if (!p || p.link !== link || !p.body) return
      p.received += data.length
      if (p.received > maxBodyBytes) return end(id, p, new EdgeRequestError('too_large', `the body passed ${maxBodyBytes} bytes`), true)
      // While the reader is behind, the wait is its own, not the edge's: the clock runs again when it reads.
      if (!p.body.push(data)) return clearTimeout(p.timer)
      arm(id, p, idleMs, 'body')
      if (p.received - p.acked >= ACK_EVERY_BYTES) ack(id, p)
    },
    unlinked(link) {
      for (const [id, p] of pending) if (p.link === link) end(id, p, new EdgeRequestError('edge_disconnected', 'the edge\'s tunnel closed'), false)
    },
  }

  return {
    sink,
    async call(site, op, args) {
      const r = await start(site, op, args)
      if ('json' in r) return r.json
      r.head.body.destroy()
      throw new EdgeRequestError('failed', `${op} answered a body, not JSON`)
    },
    async open(site, op, args) {
      const r = await start(site, op, args)
      if ('head' in r) return r.head
      throw new EdgeRequestError('failed', `${op} answered JSON, not a body`)
    },
    pending: () => pending.size,
    close() {
      for (const [id, p] of pending) end(id, p, new EdgeRequestError('cancelled', 'the hub is stopping'), true)
    },
  }
}
