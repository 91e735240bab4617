/**
 * The hub's end of the edge tunnels (protocol/tunnel.ts): edges dial in on
 * /v1/tunnel with their Bearer token; one live link per site (a reconnect
 * replaces the old socket). The hub pings every heartbeat and drops a link
 * that missed a pong, so a dead NAT mapping is noticed within two beats.
 */
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type WebSocket } from 'ws'
import type { Logger } from '../../common/log.js'
import { refuseUpgrade } from '../../common/web/answer.js'
import { clientAddress } from '../../common/web/forwarded.js'
import type { RequestSink } from './requests.js'
import { decodeBody, decodePiece, edgeMessage, parseControl, TUNNEL_PATH, type EdgeMessage, type HubMessage, type TunnelCamera, type TunnelPiece } from '../../protocol/tunnel.js'

export interface EdgeLink {
  readonly site: string
  readonly cameras: readonly TunnelCamera[]
  readonly connectedAt: number
  /** The tunnel version the edge's hello said: below 2 it answers no requests. */
  readonly version: number
  send(msg: HubMessage): void
}

export interface LinkEvents {
  linked(link: EdgeLink): void
  unlinked(link: EdgeLink): void
  piece(link: EdgeLink, stream: number, piece: TunnelPiece): void
  control(link: EdgeLink, msg: Extract<EdgeMessage, { type: 'interrupted' | 'refused' }>): void
}

export interface TunnelServer {
  /** True when the request was a tunnel upgrade and has been handled (accepted or refused). */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean
  link(site: string): EdgeLink | null
  links(): EdgeLink[]
  /** Media pieces received from every edge since start. */
  counters(): { pieces: number; links: number }
  close(): void
}

export interface TunnelServerOptions {
  /** Site of the edge token in an Authorization header, or null (hub/ingest/auth.ts). */
  siteOf(authorization: string | undefined): string | null
  events: LinkEvents
  /** Answers to the hub's requests (hub/relay/requests.ts); without it they are ignored. */
  requests?: RequestSink
  log: Logger
  heartbeatMs?: number
  now?: () => number
}

/** Media pieces are at most a few hundred KB; 8 MB leaves room for a long keyframe interval. */
const MAX_FRAME_BYTES = 8 * 1024 * 1024
/** An edge says hello at once; a socket that holds a token but never does is not a link worth keeping. */
const HELLO_TIMEOUT_MS = 10_000

export function createTunnelServer(o: TunnelServerOptions): TunnelServer {
  const log = o.log.child({ module: 'tunnels' })
  const now = o.now ?? Date.now
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false })
  const bySite = new Map<string, { ws: WebSocket; link: EdgeLink }>()
  const alive = new WeakMap<WebSocket, boolean>()
  const counts = { pieces: 0, links: 0 }
  const beat = setInterval(() => {
    for (const ws of wss.clients) {
      if (alive.get(ws) === false) {
        ws.terminate()
        continue
      }
      alive.set(ws, false)
      ws.ping()
    }
  }, o.heartbeatMs ?? 10_000)
  beat.unref()

  function accept(ws: WebSocket, site: string): void {
    alive.set(ws, true)
    let link: EdgeLink | null = null
    const helloDue = setTimeout(() => ws.close(1008, 'no hello'), HELLO_TIMEOUT_MS)
    ws.on('pong', () => alive.set(ws, true))
    ws.on('message', (data: Buffer, isBinary) => {
      alive.set(ws, true)
      if (isBinary) {
        const b = link && decodeBody(data)
        if (link && b) return o.requests?.body(link, b.id, b.data)
        const d = link && decodePiece(data)
        if (link && d) {
          counts.pieces++
          o.events.piece(link, d.stream, d.piece)
        }
        return
      }
      const msg = parseControl(edgeMessage, data.toString())
      if (!msg) return void log.warn({ site }, 'tunnel message outside the contract ignored')
      if (msg.type !== 'hello') {
        if (!link) return
        if (msg.type === 'interrupted' || msg.type === 'refused') o.events.control(link, msg)
        else o.requests?.message(link, msg)
        return
      }
      if (link || msg.site !== site) {
        log.warn({ site, claimed: msg.site }, 'tunnel hello refused')
        return void ws.close(1008, 'hello does not match the token')
      }
      clearTimeout(helloDue)
      link = {
        site,
        cameras: msg.cameras,
        connectedAt: now(),
        version: msg.v,
        send: (m) => {
          if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m))
        },
      }
      const previous = bySite.get(site)
      bySite.set(site, { ws, link })
      if (previous) {
        o.events.unlinked(previous.link)
        o.requests?.unlinked(previous.link)
        previous.ws.terminate()
      }
      counts.links++
      log.info({ site, cameras: msg.cameras.length }, 'edge tunnel linked')
      o.events.linked(link)
    })
    ws.on('error', () => ws.terminate())
    ws.on('close', () => {
      clearTimeout(helloDue)
      const current = bySite.get(site)
      if (!link || current?.ws !== ws) return
      bySite.delete(site)
      log.warn({ site }, 'edge tunnel lost')
      o.events.unlinked(link)
      o.requests?.unlinked(link)
    })
  }

  return {
    upgrade(req, socket, head) {
      if ((req.url ?? '').split('?')[0] !== TUNNEL_PATH) return false
      const site = o.siteOf(req.headers.authorization)
      if (!site) {
        log.warn({ client: clientAddress(req) }, 'tunnel refused: edge token')
        return refuseUpgrade(socket, 401)
      }
      wss.handleUpgrade(req, socket, head, (ws) => accept(ws, site))
      return true
    },
    link: (site) => bySite.get(site)?.link ?? null,
    links: () => [...bySite.values()].map((e) => e.link),
    counters: () => ({ ...counts }),
    close() {
      clearInterval(beat)
      for (const ws of wss.clients) ws.terminate()
      wss.close()
    },
  }
}
