/**
 * The edge → hub camera tunnel (issue 5): one outbound WebSocket from each
 * edge to `wss://<hub>/v1/tunnel`, authenticated with the edge's Bearer
 * token. Edges sit behind NAT, so the hub never connects to an edge; it asks
 * over this socket. Text frames carry JSON control messages; binary frames
 * carry fMP4 pieces of one stream, behind a 6-byte header:
 *
 *   byte 0      piece kind (1 init, 2 segment, 3 segment starting with a keyframe)
 *   bytes 1–4   stream id, uint32 big-endian (chosen by the hub in `open`)
 *   byte 5      codec length n (init only, else 0), then n bytes of ASCII codec
 *   rest        the init segment or media segment, as the edge's remuxer cut it
 *
 * Version 2 adds requests (issue 17: recordings and snapshots): the hub sends
 * `request` with an id of its own, the edge answers once with `response`
 * (JSON), `error`, or `head` then binary body frames (piece kind 4, bytes 1–4
 * the request id, byte 5 zero) then `end`. The hub grants the edge credit with
 * `ack` (bytes it has passed on), so a slow viewer holds back the edge's disk
 * reads rather than the hub's memory, and `cancel`s when the viewer goes. The
 * hub never sends a request to an edge whose hello said version 1.
 *
 * Pure: no I/O.
 */
import { z } from 'zod'
import { idSchema } from './ids.js'

export const TUNNEL_PATH = '/v1/tunnel'
export const TUNNEL_VERSION = 2
/** The first version that serves requests; an edge below it is answered 'unsupported' by the hub itself. */
export const REQUESTS_SINCE_VERSION = 2

export type TunnelPiece = { kind: 'init'; codec: string | null; data: Buffer } | { kind: 'segment'; keyframe: boolean; data: Buffer }

const tunnelCamera = z.strictObject({ id: idSchema, name: z.string().max(120), counter: idSchema.nullable() })
export type TunnelCamera = z.infer<typeof tunnelCamera>

const streamId = z.number().int().min(1).max(0xffffffff)
/** Request ids share the uint32 range but not the space: a body frame's kind tells them from a stream's. */
const requestId = streamId
const epochMs = z.number().int().min(0).max(8.64e15)
const span = { from: epochMs, to: epochMs }

/** What the hub may ask an edge, and each request's arguments. */
export const requestArgs = {
  /** Recorded spans and kept clips of a camera: JSON `{ spans, clips }`. */
  timeline: z.strictObject({ camera: idSchema, ...span }),
  /** A playable MP4 of [from, to): a streamed body. */
  clip: z.strictObject({ camera: idSchema, ...span }),
  /** The camera that covers a counter: JSON `{ camera }` (null when none). */
  cameraOfCounter: z.strictObject({ counter: idSchema }),
  /** Snapshots on the edge's disk, newest first: JSON `{ snapshots: [{ name, camera, at, reason }] }`. */
  snapshots: z.strictObject({ camera: idSchema.nullable() }),
  /** One snapshot's JPEG: a streamed body. */
  snapshot: z.strictObject({ name: z.string().min(1).max(120) }),
} as const
export type RequestOp = keyof typeof requestArgs
export type RequestArgs<O extends RequestOp> = z.infer<(typeof requestArgs)[O]>
export const REQUEST_OPS = Object.keys(requestArgs) as RequestOp[]

/** Why a request failed, as the edge (or the hub for an old edge) words it. */
export const REQUEST_ERRORS = ['unsupported', 'bad_request', 'not_found', 'busy', 'failed', 'timeout', 'cancelled', 'too_large', 'edge_disconnected'] as const
export type RequestError = (typeof REQUEST_ERRORS)[number]
const meta = z.record(z.string().max(40), z.union([z.string().max(200), z.number()]))

/** Edge → hub. */
export const edgeMessage = z.discriminatedUnion('type', [
  /** First message on every connection: the site's cameras, so the hub can list them without a database round trip. */
  z.strictObject({ type: z.literal('hello'), v: z.number().int().min(1).max(TUNNEL_VERSION), site: idSchema, cameras: z.array(tunnelCamera).max(64) }),
  /** The stream broke (ffmpeg restarted); a new init follows when it is back. */
  z.strictObject({ type: z.literal('interrupted'), stream: streamId, reason: z.string().max(200) }),
  /** The edge cannot serve this stream at all (unknown camera, no stream URL yet). */
  z.strictObject({ type: z.literal('refused'), stream: streamId, reason: z.string().max(200) }),
  /** A request's whole answer, as JSON. */
  z.strictObject({ type: z.literal('response'), id: requestId, body: z.unknown() }),
  /** A request's answer is a body: binary frames follow, then `end`. */
  z.strictObject({ type: z.literal('head'), id: requestId, contentType: z.string().max(100), meta }),
  z.strictObject({ type: z.literal('end'), id: requestId, bytes: z.number().int().min(0) }),
  /** The request failed (also after `head`, when the body broke half-way). */
  z.strictObject({ type: z.literal('error'), id: requestId, code: z.enum(REQUEST_ERRORS), message: z.string().max(300) }),
])
export type EdgeMessage = z.infer<typeof edgeMessage>

/** Hub → edge. */
export const hubMessage = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('open'), stream: streamId, camera: idSchema }),
  z.strictObject({ type: z.literal('close'), stream: streamId }),
  /** `args` are checked by the edge against requestArgs[op], so an op it does not know gets 'unsupported', not silence. */
  z.strictObject({ type: z.literal('request'), id: requestId, op: z.string().max(40), args: z.unknown() }),
  z.strictObject({ type: z.literal('cancel'), id: requestId }),
  /** Credit: the hub has passed on this many body bytes of the request (cumulative). */
  z.strictObject({ type: z.literal('ack'), id: requestId, bytes: z.number().int().min(0) }),
])
export type HubMessage = z.infer<typeof hubMessage>

/** A request's op and arguments, or the reason the edge cannot take it. */
export function parseRequest(op: string, args: unknown): { op: RequestOp; args: unknown } | { error: RequestError; message: string } {
  if (!(REQUEST_OPS as string[]).includes(op)) return { error: 'unsupported', message: `unknown op ${op.slice(0, 40)}` }
  const r = requestArgs[op as RequestOp].safeParse(args)
  if (!r.success) return { error: 'bad_request', message: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ').slice(0, 300) }
  const a = r.data as { from?: number; to?: number }
  if (a.from !== undefined && a.to !== undefined && a.to <= a.from) return { error: 'bad_request', message: 'to must be after from' }
  return { op: op as RequestOp, args: r.data }
}

/** Parses a text frame; null for anything outside the contract (logged by the caller, never thrown). */
export function parseControl<T>(schema: z.ZodType<T>, text: string): T | null {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    return null
  }
  const r = schema.safeParse(raw)
  return r.success ? r.data : null
}

const KIND_INIT = 1
const KIND_SEGMENT = 2
const KIND_KEYFRAME = 3
const KIND_BODY = 4
const HEADER = 6

/** A request's body chunk (version 2). */
export function encodeBody(id: number, data: Buffer): Buffer {
  const head = Buffer.alloc(HEADER)
  head[0] = KIND_BODY
  head.writeUInt32BE(id, 1)
  return Buffer.concat([head, data])
}

/** A body frame's request id and bytes, or null when the frame is not a body (a live piece, or malformed). */
export function decodeBody(frame: Buffer): { id: number; data: Buffer } | null {
  if (frame.length < HEADER || frame[0] !== KIND_BODY || frame[5] !== 0) return null
  return { id: frame.readUInt32BE(1), data: frame.subarray(HEADER) }
}

export function encodePiece(stream: number, piece: TunnelPiece): Buffer {
  const codec = piece.kind === 'init' && piece.codec ? Buffer.from(piece.codec, 'latin1') : Buffer.alloc(0)
  if (codec.length > 255) throw new RangeError('codec string too long')
  const head = Buffer.alloc(HEADER + codec.length)
  head[0] = piece.kind === 'init' ? KIND_INIT : piece.keyframe ? KIND_KEYFRAME : KIND_SEGMENT
  head.writeUInt32BE(stream, 1)
  head[5] = codec.length
  codec.copy(head, HEADER)
  return Buffer.concat([head, piece.data])
}

export function decodePiece(frame: Buffer): { stream: number; piece: TunnelPiece } | null {
  if (frame.length < HEADER) return null
  const kind = frame[0]
  const stream = frame.readUInt32BE(1)
  const codecLen = frame[5] ?? 0
  if (frame.length < HEADER + codecLen) return null
  const data = frame.subarray(HEADER + codecLen)
  if (kind === KIND_INIT) {
    return { stream, piece: { kind: 'init', codec: codecLen ? frame.toString('latin1', HEADER, HEADER + codecLen) : null, data } }
  }
  if ((kind === KIND_SEGMENT || kind === KIND_KEYFRAME) && codecLen === 0) {
    return { stream, piece: { kind: 'segment', keyframe: kind === KIND_KEYFRAME, data } }
  }
  return null
}
