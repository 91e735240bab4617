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
 * Pure: no I/O.
 */
import { z } from 'zod'
import { idSchema } from './ids.js'

export const TUNNEL_PATH = '/v1/tunnel'
export const TUNNEL_VERSION = 1

export type TunnelPiece = { kind: 'init'; codec: string | null; data: Buffer } | { kind: 'segment'; keyframe: boolean; data: Buffer }

const tunnelCamera = z.strictObject({ id: idSchema, name: z.string().max(120), counter: idSchema.nullable() })
export type TunnelCamera = z.infer<typeof tunnelCamera>

const streamId = z.number().int().min(1).max(0xffffffff)

/** Edge → hub. */
export const edgeMessage = z.discriminatedUnion('type', [
  /** First message on every connection: the site's cameras, so the hub can list them without a database round trip. */
  z.strictObject({ type: z.literal('hello'), v: z.literal(TUNNEL_VERSION), site: idSchema, cameras: z.array(tunnelCamera).max(64) }),
  /** The stream broke (ffmpeg restarted); a new init follows when it is back. */
  z.strictObject({ type: z.literal('interrupted'), stream: streamId, reason: z.string().max(200) }),
  /** The edge cannot serve this stream at all (unknown camera, no stream URL yet). */
  z.strictObject({ type: z.literal('refused'), stream: streamId, reason: z.string().max(200) }),
])
export type EdgeMessage = z.infer<typeof edgeMessage>

/** Hub → edge. */
export const hubMessage = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('open'), stream: streamId, camera: idSchema }),
  z.strictObject({ type: z.literal('close'), stream: streamId }),
])
export type HubMessage = z.infer<typeof hubMessage>

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
const HEADER = 6

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
