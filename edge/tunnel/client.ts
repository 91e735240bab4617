/**
 * The edge's outbound camera tunnel to the hub (protocol/tunnel.ts). The
 * edge dials out, so a box behind NAT can still serve live video to the
 * province: the hub asks for a camera with `open`, the edge attaches the
 * tunnel as one more viewer of its local live remuxer (no transcoding, one
 * ffmpeg per camera shared with local supervisors) and sends the pieces
 * back as binary frames. Reconnects with capped backoff; a ping every
 * heartbeat with no pong by the next one means the path is dead.
 */
import { readFileSync } from 'node:fs'
import WebSocket from 'ws'
import type { Logger } from '../../common/log.js'
import { encodeBody, encodePiece, hubMessage, parseControl, TUNNEL_PATH, TUNNEL_VERSION, type EdgeMessage, type TunnelCamera } from '../../protocol/tunnel.js'
import { startsWithKeyframe } from '../../common/live/fmp4.js'
import type { Viewer } from '../../common/live/channel.js'
import type { LiveService } from '../live/service.js'
import { nextDelay } from './backoff.js'
import { createRequestSessions, RequestFailed, type Dispatch, type RequestSessions } from './requests.js'

export interface TunnelOptions {
  /** The hub's base URL, as for the forwarder (https://hub.example:8443). */
  hubUrl: string
  token: string
  /** CA that signed the hub's certificate, the forwarder's. */
  caFile?: string
  site: string
  cameras(): TunnelCamera[]
  live: Pick<LiveService, 'watch'>
  log: Logger
  backoffMinMs?: number
  backoffMaxMs?: number
  heartbeatMs?: number
  /** Answers the hub's requests (recordings, snapshots; edge/tunnel/requests.ts); without it every request is 'unsupported'. */
  dispatch?: Dispatch
}

export interface TunnelStatus {
  connected: boolean
  connects: number
  lastError: string | null
  streams: number
  /** Media pieces (init and segments) sent to the hub since start. */
  piecesSent: number
  /** Hub requests being answered now. */
  requests: number
}

export interface EdgeTunnel {
  start(): void
  /** Closes the socket and every stream; no reconnect until start() again. */
  stop(): Promise<void>
  status(): TunnelStatus
}

export function createTunnel(o: TunnelOptions): EdgeTunnel {
  const log = o.log.child({ module: 'tunnel' })
  const url = new URL(TUNNEL_PATH, o.hubUrl.replace(/^http/, 'ws'))
  const ca = o.caFile ? readFileSync(o.caFile) : undefined
  const minMs = o.backoffMinMs ?? 500
  const maxMs = o.backoffMaxMs ?? 30_000
  const heartbeatMs = o.heartbeatMs ?? 10_000
  const streams = new Map<number, () => void>()
  let ws: WebSocket | null = null
  let running = false
  let attempt = 0
  let retry: NodeJS.Timeout | undefined
  let beat: NodeJS.Timeout | undefined
  const status: TunnelStatus = { connected: false, connects: 0, lastError: null, streams: 0, piecesSent: 0, requests: 0 }
  let requests: RequestSessions | null = null
  const unsupported: Dispatch = () => Promise.reject(new RequestFailed('unsupported', 'this edge answers no requests'))

  const sendControl = (sock: WebSocket, msg: EdgeMessage) => {
    if (sock.readyState === sock.OPEN) sock.send(JSON.stringify(msg))
  }

  function closeStreams(): void {
    for (const detach of streams.values()) detach()
    streams.clear()
    status.streams = 0
    requests?.closeAll()
    requests = null
  }

  /** One set of request sessions per socket: a reconnect starts afresh, and the hub has failed the old ones. */
  function sessionsOf(sock: WebSocket): RequestSessions {
    requests ??= createRequestSessions({
      dispatch: o.dispatch ?? unsupported,
      send: (m) => sendControl(sock, m),
      sendBody: (id, chunk) => {
        if (sock.readyState === sock.OPEN) sock.send(encodeBody(id, chunk))
      },
      backlog: () => sock.bufferedAmount,
      log,
    })
    return requests
  }

  function streamViewer(sock: WebSocket, stream: number): Viewer {
    const send = (frame: Buffer) => {
      if (sock.readyState !== sock.OPEN) return
      sock.send(frame)
      status.piecesSent++
    }
    return {
      init: (codec, data) => send(encodePiece(stream, { kind: 'init', codec, data })),
      // The channel gates on keyframes itself; the flag lets the hub's cache do the same for late joiners.
      fragment: (data) => send(encodePiece(stream, { kind: 'segment', keyframe: isKeyframe(data), data })),
      interrupted: (reason) => sendControl(sock, { type: 'interrupted', stream, reason }),
      backlog: () => sock.bufferedAmount,
    }
  }

  function onControl(sock: WebSocket, text: string): void {
    const msg = parseControl(hubMessage, text)
    if (!msg) return void log.warn({ bytes: text.length }, 'tunnel message outside the contract ignored')
    if (msg.type === 'request') {
      sessionsOf(sock).request(msg.id, msg.op, msg.args)
      status.requests = requests?.active() ?? 0
    } else if (msg.type === 'cancel') {
      requests?.cancel(msg.id)
    } else if (msg.type === 'ack') {
      requests?.ack(msg.id, msg.bytes)
    } else if (msg.type === 'open') {
      if (streams.has(msg.stream)) return
      const known = o.cameras().some((c) => c.id === msg.camera)
      const detach = known ? o.live.watch(msg.camera, streamViewer(sock, msg.stream)) : null
      if (!detach) return sendControl(sock, { type: 'refused', stream: msg.stream, reason: known ? 'stream not available' : 'unknown camera' })
      streams.set(msg.stream, detach)
      status.streams = streams.size
      log.info({ camera: msg.camera, stream: msg.stream }, 'hub opened a stream')
    } else {
      streams.get(msg.stream)?.()
      streams.delete(msg.stream)
      status.streams = streams.size
      log.info({ stream: msg.stream }, 'hub closed a stream')
    }
  }

  function connect(): void {
    if (!running) return
    const sock = new WebSocket(url, {
      headers: { authorization: `Bearer ${o.token}` },
      ca,
      handshakeTimeout: 10_000,
      maxPayload: 64 * 1024,
      perMessageDeflate: false,
    })
    ws = sock
    let alive = true
    sock.on('open', () => {
      attempt = 0
      status.connected = true
      status.connects++
      status.lastError = null
      log.info({ hub: url.origin }, 'tunnel connected')
      sendControl(sock, { type: 'hello', v: TUNNEL_VERSION, site: o.site, cameras: o.cameras() })
      beat = setInterval(() => {
        if (!alive) {
          log.warn({}, 'tunnel heartbeat lost')
          return void sock.terminate()
        }
        alive = false
        sock.ping()
      }, heartbeatMs)
    })
    sock.on('pong', () => (alive = true))
    sock.on('ping', () => (alive = true))
    sock.on('message', (data, isBinary) => {
      alive = true
      if (!isBinary) onControl(sock, data.toString())
    })
    sock.on('unexpected-response', (_req, res) => {
      status.lastError = `hub answered ${res.statusCode}`
      sock.terminate()
    })
    sock.on('error', (err) => {
      status.lastError ??= err.message
    })
    sock.on('close', () => {
      clearInterval(beat)
      if (ws === sock) ws = null
      const wasConnected = status.connected
      status.connected = false
      closeStreams()
      if (!running) return
      const delay = nextDelay(attempt++, minMs, maxMs)
      log.warn({ delayMs: delay, wasConnected, err: status.lastError }, 'tunnel closed; reconnecting')
      retry = setTimeout(connect, delay)
    })
  }

  return {
    start() {
      if (running) return
      running = true
      connect()
    },
    async stop() {
      running = false
      clearTimeout(retry)
      clearInterval(beat)
      closeStreams()
      const sock = ws
      ws = null
      if (!sock || sock.readyState === sock.CLOSED) return
      await new Promise<void>((resolve) => {
        const cut = setTimeout(() => sock.terminate(), 2000)
        sock.once('close', () => {
          clearTimeout(cut)
          resolve()
        })
        sock.close(1001, 'edge stopping')
      })
    },
    status: () => ({ ...status, requests: requests?.active() ?? 0 }),
  }
}

/** The channel already knows which segments start with a keyframe; it is cheap to tell again from the moof. */
function isKeyframe(segment: Buffer): boolean {
  return startsWithKeyframe(segment.subarray(0, segment.readUInt32BE(0)))
}
