/**
 * A plain aedes broker for the simulator tests: TCP and WebSocket on free
 * loopback ports, username/password checked against a secrets map, and a
 * record of every publish as aedes authorised it (the point before PUBACK).
 */
import { createServer, type AddressInfo, type Server } from 'node:net'
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http'
import { Aedes, type ConnectPacket } from 'aedes'
import { WebSocketServer, createWebSocketStream } from 'ws'

export interface Received {
  topic: string
  payload: string
  qos: number
  retain: boolean
  clientId: string | null
  at: number
}

export interface TestBroker {
  mqttUrl: string
  wsUrl: string
  received: Received[]
  /** Every CONNECT packet, to check session, keepalive and last-will settings. */
  connects: ConnectPacket[]
  close(): Promise<void>
}

/** Accepts a device when `check` says so, or when its password equals its entry in a secrets map. */
export type Credentials = Record<string, string> | ((username: string, password: Buffer | undefined) => boolean)

/** `ackDelayMs` holds a publish's PUBACK back for that long (0: answer at once), to imitate a slow edge. */
export async function startTestBroker(credentials: Credentials, ackDelayMs: (r: Received) => number = () => 0): Promise<TestBroker> {
  const received: Received[] = []
  const connects: ConnectPacket[] = []
  const check =
    typeof credentials === 'function'
      ? credentials
      : (username: string, password: Buffer | undefined) => credentials[username] !== undefined && password?.toString('utf8') === credentials[username]
  const broker = await Aedes.createBroker({
    preConnect: (client, packet, callback) => {
      connects.push(packet)
      callback(null, true)
    },
    authenticate: (client, username, password, done) => {
      if (username !== undefined && check(username, password)) return done(null, true)
      const err = Object.assign(new Error('bad username or password'), { returnCode: 4 as const })
      done(err, false)
    },
    authorizePublish: (client, packet, callback) => {
      const r: Received = {
        topic: packet.topic,
        payload: Buffer.from(packet.payload).toString('utf8'),
        qos: packet.qos,
        retain: packet.retain,
        clientId: client?.id ?? null,
        at: Date.now(),
      }
      received.push(r)
      const delay = ackDelayMs(r)
      if (delay > 0) setTimeout(() => callback(null), delay)
      else callback(null)
    },
  })
  const tcp: Server = createServer(broker.handle)
  const http: HttpServer = createHttpServer()
  const wss = new WebSocketServer({ server: http })
  wss.on('connection', (socket, req) => broker.handle(createWebSocketStream(socket), req))
  const listen = (s: Server | HttpServer) =>
    new Promise<number>((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)))
  const [mqttPort, wsPort] = await Promise.all([listen(tcp), listen(http)])
  return {
    mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
    wsUrl: `ws://127.0.0.1:${wsPort}`,
    received,
    connects,
    async close() {
      for (const c of wss.clients) c.terminate()
      await new Promise<void>((r) => broker.close(() => r()))
      await Promise.all([
        new Promise((r) => tcp.close(r)),
        new Promise((r) => wss.close(() => http.close(r))),
      ])
    },
  }
}
