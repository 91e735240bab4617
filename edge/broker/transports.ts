/**
 * The broker's listeners: MQTT over TCP and over WebSocket (kiosks run in a
 * browser), each with TLS when certificates are configured. One function per
 * transport, both handing a Duplex to aedes and guarding packet sizes.
 * Not aedes-server-factory: it hands each connection to aedes itself and
 * builds its WebSocket server without `maxPayload` or a stream error guard,
 * and it does not close the sockets of devices that never hang up.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { createServer as createTlsServer } from 'node:tls'
import { createWebSocketStream, WebSocketServer } from 'ws'
import type { TlsFiles } from '../config/tls.js'

export type { TlsFiles }

export interface ListenOptions {
  host: string
  port: number
  tls?: TlsFiles | undefined
}

export interface Listener {
  port: number
  close(): Promise<void>
}

export type ConnectionHandler = (conn: Duplex, remote: string) => void

function listenOn(server: NetServer | HttpServer, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      const addr = server.address()
      resolve(typeof addr === 'object' && addr ? addr.port : port)
    })
  })
}

/** Sockets are tracked so close() does not wait for devices that never hang up. */
function tracked(server: NetServer | HttpServer): () => Promise<void> {
  const sockets = new Set<Socket>()
  server.on('connection', (s: Socket) => {
    sockets.add(s)
    s.once('close', () => sockets.delete(s))
  })
  return () =>
    new Promise((resolve) => {
      server.close(() => resolve())
      for (const s of sockets) s.destroy()
    })
}

export async function listenTcp(opts: ListenOptions, handle: ConnectionHandler): Promise<Listener> {
  const onConn = (socket: Socket) => handle(socket, `${socket.remoteAddress}:${socket.remotePort}`)
  const server = opts.tls ? createTlsServer({ cert: opts.tls.cert, key: opts.tls.key }, onConn) : createNetServer(onConn)
  const close = tracked(server)
  const port = await listenOn(server, opts.host, opts.port)
  return { port, close }
}

/** `maxFrameBytes`: a WebSocket message past this closes the connection (ws answers 1009). */
export async function listenWebSocket(opts: ListenOptions & { maxFrameBytes: number }, handle: ConnectionHandler): Promise<Listener> {
  const http = opts.tls ? createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key }) : createHttpServer()
  const wss = new WebSocketServer({ server: http, maxPayload: opts.maxFrameBytes })
  wss.on('connection', (ws, req) => {
    const stream = createWebSocketStream(ws)
    // ws emits protocol errors (e.g. 1009 too big) on the stream; aedes listens once it has the stream.
    stream.on('error', () => stream.destroy())
    handle(stream, `${req.socket.remoteAddress}:${req.socket.remotePort}`)
  })
  const closeHttp = tracked(http)
  const port = await listenOn(http, opts.host, opts.port)
  return {
    port,
    close: async () => {
      for (const ws of wss.clients) ws.terminate()
      await new Promise<void>((resolve) => wss.close(() => resolve()))
      await closeHttp()
    },
  }
}
