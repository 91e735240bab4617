/**
 * Publishes QoS 1 messages from several real MQTT clients with a bounded
 * window of unacknowledged messages each, and measures acknowledged msgs/s.
 * The same generator drives bare aedes and the edge, so their ratio is fair.
 */
import mqtt, { type MqttClient } from 'mqtt'

export interface LoadClient {
  username?: string
  password?: string
  topic: string
  /** Builds the i-th payload of this client. */
  payload: (i: number) => string
}

export interface LoadResult {
  acked: number
  failed: number
  elapsedMs: number
  perSecond: number
  /** Per client, the payload indexes that got PUBACK. */
  ackedIndexes: number[][]
}

async function connect(url: string, c: LoadClient, id: string): Promise<MqttClient> {
  const client = mqtt.connect(url, {
    clientId: id,
    username: c.username,
    password: c.password,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
  })
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve())
    client.once('error', reject)
  })
  return client
}

export async function runMqttLoad(opts: {
  url: string
  clients: LoadClient[]
  perClient: number
  window: number
  timeoutMs: number
}): Promise<LoadResult> {
  const conns = await Promise.all(opts.clients.map((c, i) => connect(opts.url, c, `bench-${process.pid}-${i}`)))
  const ackedIndexes: number[][] = opts.clients.map(() => [])
  let failed = 0
  const start = performance.now()
  const deadline = start + opts.timeoutMs
  await Promise.all(
    conns.map(
      (conn, ci) =>
        new Promise<void>((resolve) => {
          const spec = opts.clients[ci]!
          let next = 0
          let inflight = 0
          const pump = () => {
            while (inflight < opts.window && next < opts.perClient && performance.now() < deadline) {
              const i = next++
              inflight++
              conn.publish(spec.topic, spec.payload(i), { qos: 1 }, (err) => {
                inflight--
                if (err) failed++
                else ackedIndexes[ci]!.push(i)
                if ((next >= opts.perClient || performance.now() >= deadline) && inflight === 0) resolve()
                else pump()
              })
            }
          }
          pump()
        }),
    ),
  )
  const elapsedMs = performance.now() - start
  await Promise.all(conns.map((c) => c.endAsync(true)))
  const acked = ackedIndexes.reduce((n, a) => n + a.length, 0)
  return { acked, failed, elapsedMs, perSecond: (acked / elapsedMs) * 1000, ackedIndexes }
}
