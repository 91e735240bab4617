process.env.LOG_LEVEL ??= 'silent'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket, { WebSocketServer } from 'ws'
import { createLogger } from '../../common/log.js'
import { hashSecret, newSecret } from '../../common/secrets.js'
import { startCameraSim, type CameraSim } from '../../devices/camera-sim/index.js'
import { createLiveService, type LiveService } from '../../edge/live/service.js'
import { createTunnel, type EdgeTunnel } from '../../edge/tunnel/client.js'
import { createEdgeAuth } from '../../hub/ingest/auth.js'
import { createRelay, type Relay } from '../../hub/relay/relay.js'
import { createTunnelServer, type TunnelServer } from '../../hub/relay/tunnels.js'
import { startBlackholeProxy, type BlackholeProxy } from '../../testkit/blackhole-proxy.js'
import { waitFor } from '../../testkit/wait.js'

const log = createLogger('test')
const TOKEN = newSecret()
const HEARTBEAT_MS = 300

let sim: CameraSim
let live: LiveService
let relay: Relay
let tunnels: TunnelServer
let server: http.Server
let proxy: BlackholeProxy
let hubUrl: string
let proxyUrl: string
/** When each upgrade request arrived. */
const upgrades: number[] = []
let viewers: WebSocketServer
const tunnelsToStop: EdgeTunnel[] = []

beforeAll(async () => {
  sim = await startCameraSim({ password: 'cam-pw-1234', discovery: false })
  const rtsp = new URL(sim.rtspUrl)
  rtsp.username = sim.user
  rtsp.password = 'cam-pw-1234'
  live = createLiveService({ log, streamUrl: (id) => (id === 'cam-1' ? rtsp.href : null), tuning: { backoffMinMs: 200, backoffMaxMs: 1000 } })
  relay = createRelay({ log, retryMs: 300 })
  tunnels = createTunnelServer({ siteOf: createEdgeAuth([{ site: 'site-a', tokenHash: hashSecret(TOKEN) }]), events: relay.events, log, heartbeatMs: HEARTBEAT_MS })
  // Viewers attach straight to the relay here; the console's role checks are tested in tests/hub.
  viewers = new WebSocketServer({ noServer: true })
  server = http.createServer((_req, res) => res.writeHead(404).end())
  server.on('upgrade', (req, socket, head) => {
    upgrades.push(performance.now())
    if (tunnels.upgrade(req, socket, head)) return
    const [, , site = '', camera = ''] = (req.url ?? '').split('/')
    viewers.handleUpgrade(req, socket, head, (ws) => relay.attach(ws, site, camera))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  hubUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  proxy = await startBlackholeProxy((server.address() as AddressInfo).port)
  proxyUrl = proxy.url
})

afterAll(async () => {
  for (const t of tunnelsToStop) await t.stop()
  tunnels?.close()
  await relay?.close()
  await live?.stop()
  for (const ws of viewers?.clients ?? []) ws.terminate()
  await proxy?.close()
  server?.closeAllConnections()
  await new Promise((r) => server?.close(r))
  await sim?.stop()
})

function tunnel(url: string, token = TOKEN): EdgeTunnel {
  const t = createTunnel({
    hubUrl: url, token, site: 'site-a', log, live,
    cameras: () => [{ id: 'cam-1', name: 'Sảnh', counter: null }, { id: 'cam-2', name: 'Quầy 2', counter: null }],
    backoffMinMs: 100, backoffMaxMs: 400, heartbeatMs: HEARTBEAT_MS,
  })
  tunnelsToStop.push(t)
  t.start()
  return t
}

function viewer(camera: string) {
  const ws = new WebSocket(`${hubUrl.replace('http', 'ws')}/live/site-a/${camera}`)
  const seen = { texts: [] as { type: string; reason?: string }[], binaries: 0 }
  ws.on('message', (data: Buffer, isBinary) => (isBinary ? seen.binaries++ : seen.texts.push(JSON.parse(data.toString()) as { type: string })))
  return { ws, seen }
}

describe('edge tunnel', () => {
  it('a wrong token is refused and retried with growing delays, never connected', async () => {
    const before = upgrades.length
    const t = tunnel(hubUrl, 'a-token-nobody-issued-0001')
    await waitFor('five tries with the wrong token', () => upgrades.length >= before + 5)
    await t.stop()
    const tries = upgrades.slice(before, before + 5)
    expect(t.status()).toMatchObject({ connected: false, connects: 0, lastError: 'hub answered 401' })
    // At least 100, 200, 400, 400 ms apart (jitter shortens each by at most a fifth): the delay grows, and
    // there are never hundreds of tries. A busy machine only stretches the gaps, so they have no upper bound.
    const gaps = tries.slice(1, 5).map((at, i) => at - tries[i]!)
    ;[100, 200, 400, 400].forEach((backoff, i) => expect(gaps[i]).toBeGreaterThanOrEqual(0.8 * backoff - 1))
  })

  it('a camera the edge cannot stream is refused and the viewer told, while the tunnel stays up', async () => {
    const t = tunnel(hubUrl)
    await waitFor('the hub to learn the edge\'s cameras', () => relay.camera('site-a', 'cam-2')?.edgeConnected === true)
    const v = viewer('cam-2')
    await waitFor('the viewer to be told the camera is unavailable', () => v.seen.texts.some((m) => m.reason === 'camera_unavailable'))
    expect(t.status().connected).toBe(true)
    v.ws.close()
    await t.stop()
  })

  it('a path that silently stops carrying bytes is noticed by the heartbeat on both ends; the edge comes back and the stream resumes', async () => {
    const t = tunnel(proxyUrl)
    await waitFor('the hub to learn the edge\'s cameras', () => relay.camera('site-a', 'cam-1')?.edgeConnected === true)
    const v = viewer('cam-1')
    // The first video needs a cold ffmpeg to probe the camera: slow on a busy runner, and not what is tested here.
    await waitFor('three fragments', () => v.seen.binaries >= 3, { timeoutMs: 60_000 })
    const connects = t.status().connects
    // Counted before the cut: the new init can arrive in the same instant as the reconnect (the edge's stream is still running).
    const inits = v.seen.texts.filter((m) => m.type === 'init').length
    const closeDead = proxy.blackholeLatest()
    // Noticed by the heartbeat, not a TCP timeout of minutes; how fast is measured by `npm run bench -- tunnel`.
    await waitFor('the viewer to be told the edge is gone', () => v.seen.texts.some((m) => m.reason === 'edge_disconnected'))
    await waitFor('the edge to reconnect', () => t.status().connects > connects && t.status().connected)
    await waitFor('a new init segment after the reconnect', () => v.seen.texts.filter((m) => m.type === 'init').length > inits, { timeoutMs: 30_000 })
    v.ws.close()
    closeDead()
    await t.stop()
    // The edge's own channel stops once the tunnel was its last viewer.
    await waitFor("the edge's channel to lose its last viewer", () => (live.status()['cam-1']?.viewers ?? 0) === 0)
  }, 120_000)
})
