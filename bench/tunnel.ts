/**
 * How long a silently dead tunnel path goes unnoticed, at each end: a NAT
 * mapping that expired keeps the TCP connection open but carries nothing, so
 * only the heartbeat can tell (hub/relay/tunnels.ts: "noticed within two
 * beats"). The edge's tunnel reaches the hub's tunnel server through a
 * loopback TCP proxy that stops forwarding; no video is involved. This figure
 * was a wall-clock bound in tests/edge/tunnel.test.ts; the test now only
 * checks that the viewer is told, and the time is measured here.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { createLogger } from '../common/log.js'
import { hashSecret, newSecret } from '../common/secrets.js'
import { createTunnel } from '../edge/tunnel/client.js'
import { createEdgeAuth } from '../hub/ingest/auth.js'
import { createRelay } from '../hub/relay/relay.js'
import { createTunnelServer } from '../hub/relay/tunnels.js'
import { startBlackholeProxy } from '../testkit/blackhole-proxy.js'
import { percentile } from './lib/stats.js'

export interface DeadPathResult {
  heartbeatMs: number
  rounds: number
  /** From the path going silent until the hub's relay marks the edge gone (what its viewers are told). */
  hubNoticedMs: { medianMs: number; p95Ms: number; maxMs: number }
  /** From the path going silent until the edge's tunnel counts itself disconnected. */
  edgeNoticedMs: { medianMs: number; p95Ms: number; maxMs: number }
}

const SITE = 'bench-site'
const summary = (xs: number[]) => ({ medianMs: Math.round(percentile(xs, 50)), p95Ms: Math.round(percentile(xs, 95)), maxMs: Math.round(Math.max(...xs)) })

/** Polls `check` every 5 ms; the time it first held, or an error after `timeoutMs`. */
async function when(what: string, check: () => boolean, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`tunnel bench: ${what} not seen within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 5))
  }
  return performance.now()
}

export async function benchTunnelDeadPath(opts: { rounds?: number; heartbeatMs?: number } = {}): Promise<DeadPathResult> {
  const rounds = opts.rounds ?? 10
  const heartbeatMs = opts.heartbeatMs ?? 500
  const log = createLogger('bench', 'silent')
  const token = newSecret()
  const relay = createRelay({ log })
  const tunnels = createTunnelServer({ siteOf: createEdgeAuth([{ site: SITE, tokenHash: hashSecret(token) }]), events: relay.events, log, heartbeatMs })
  const server = http.createServer((_req, res) => res.writeHead(404).end())
  server.on('upgrade', (req, socket, head) => {
    if (!tunnels.upgrade(req, socket, head)) socket.destroy()
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  // Closed while a cut is timed: an edge that noticed first must not relink before the hub noticed too.
  const proxy = await startBlackholeProxy((server.address() as AddressInfo).port)
  const tunnel = createTunnel({
    hubUrl: proxy.url,
    token,
    site: SITE,
    log,
    live: { watch: () => null },
    cameras: () => [{ id: 'cam-1', name: 'cam-1', counter: null }],
    backoffMinMs: 50,
    backoffMaxMs: 200,
    heartbeatMs,
  })
  const linked = () => relay.camera(SITE, 'cam-1')?.edgeConnected === true
  const hub: number[] = []
  const edge: number[] = []
  tunnel.start()
  try {
    for (let i = 0; i < rounds; i++) {
      await when('the edge linked', () => linked() && tunnel.status().connected, 30_000)
      // Let a random part of a heartbeat pass, so the cut falls anywhere in the beat.
      await new Promise((r) => setTimeout(r, Math.random() * heartbeatMs))
      proxy.accepting = false
      const closeDead = proxy.blackholeLatest()
      const cut = performance.now()
      const [hubAt, edgeAt] = await Promise.all([
        when('the hub noticing', () => !linked(), 20 * heartbeatMs),
        when('the edge noticing', () => !tunnel.status().connected, 20 * heartbeatMs),
      ])
      proxy.accepting = true
      hub.push(hubAt - cut)
      edge.push(edgeAt - cut)
      closeDead()
    }
  } finally {
    await tunnel.stop()
    tunnels.close()
    await relay.close()
    await proxy.close()
    server.closeAllConnections()
    await new Promise((r) => server.close(r))
  }
  return { heartbeatMs, rounds, hubNoticedMs: summary(hub), edgeNoticedMs: summary(edge) }
}
