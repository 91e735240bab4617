/**
 * What the edge's and the hub's HTTP servers share around their routes
 * (issue 11): the limits that close a request which never completes, and the
 * one dispatcher of WebSocket upgrades, which answers every upgrade request,
 * including those no endpoint takes.
 */
import type { IncomingMessage, Server } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Logger } from '../log.js'
import { refuseUpgrade, requestUrl } from './answer.js'

/**
 * Node's defaults (headers 60 s, request 300 s, checked every 30 s) let a
 * slowloris or a lying Content-Length hold a socket for minutes; a kiosk, a
 * supervisor page, an IOC client or an edge batch sends its whole request in
 * well under a second on the site LAN or the city link. A request whose
 * headers are not in after `headersTimeout`, or whose body is not in after
 * `requestTimeout`, is answered 408 and closed, at most
 * `connectionsCheckingInterval` later. Upgraded sockets and responses being
 * written (event streams, live video) are not bounded by these.
 */
export const SERVER_LIMITS = {
  headersTimeout: 5_000,
  requestTimeout: 15_000,
  connectionsCheckingInterval: 1_000,
  /** Node's own default, said explicitly: a larger head (a huge cookie) is answered 431. */
  maxHeaderSize: 16 * 1024,
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeout: 5_000,
  /** HTTPS: a client that does not finish its TLS handshake in this time is cut (Node's default is 120 s). */
  handshakeTimeout: 5_000,
} as const

/** The options of http.createServer / https.createServer that carry SERVER_LIMITS. */
export const serverOptions = () => ({ ...SERVER_LIMITS })

/** WebSocket endpoints: each returns true when it took the upgrade (accepted or refused). */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => boolean

/**
 * The server's one 'upgrade' listener. Node removes its own error handler
 * from an upgraded socket, so one is set here before anything can fail; a
 * request target that is not a URL is refused 400 before any endpoint reads
 * it; one that no endpoint takes is refused 404 instead of holding the socket
 * forever; an endpoint that throws is a bug, logged, and the socket refused 500.
 */
export function handleUpgrades(server: Server, handlers: () => readonly UpgradeHandler[], log: Logger): void {
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy())
    if (!requestUrl(req)) return void refuseUpgrade(socket, 400)
    try {
      if (!handlers().some((u) => u(req, socket, head))) refuseUpgrade(socket, 404)
    } catch (err) {
      log.error({ err, path: req.url?.slice(0, 200) }, 'upgrade handler failed')
      if (!socket.destroyed) refuseUpgrade(socket, 500)
    }
  })
}
