/**
 * Live-view soak (issue 10): many start/stop cycles of live view, through the
 * edge's own page socket and through the hub relay, interleaved with edge
 * restarts, tunnel drops and camera stalls. Every viewer must get its init
 * segment and a first media segment within the bound; afterwards no ffmpeg,
 * socket or listener may be left over (counted before and after).
 *
 * The stack is passed in (soakStack() over testkit/console-stack.ts), so the
 * suite runs a short soak and `npm run bench` a long one with the same code.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import WebSocket from 'ws'
import type { ConsoleStack } from '../../testkit/console-stack.js'
import { waitFor } from '../../testkit/wait.js'
import { summarize, type Summary } from './stats.js'

export interface SoakStack {
  /** wss://… of the hub's console live socket for the camera, and the console cookie. */
  hubLive(): Promise<{ url: string; cookie: string; ca: string }>
  /** ws://… of the edge's own supervisor live socket for the camera, and the supervisor cookie. */
  edgeLive(): Promise<{ url: string; cookie: string }>
  restartEdge(): Promise<void>
  dropTunnel(): Promise<void>
  stallCamera(ms: number): Promise<void>
  /** Resolves when the camera is online on the edge, its tunnel linked and its stream warm again. */
  settled(): Promise<void>
  /**
   * Live-view sockets and streams the servers still hold: page and console
   * viewers, relay upstreams, tunnel streams. The process's own socket count
   * also moves with keep-alive pools (InfluxDB writes, the forwarder), so it is
   * reported, and these are what must come back to zero.
   */
  liveHeld(): { edgeViewers: number; hubViewers: number; hubUpstreams: number; tunnelStreams: number }
}

export type SoakFault = 'edge_restart' | 'tunnel_drop' | 'camera_stall'

export interface SoakOptions {
  cycles: number
  /** A fault after every `faultEvery` cycles, in turn: edge restart, tunnel drop, camera stall. */
  faultEvery: number
  /** A viewer must have its first frame within this long after the socket is opened. */
  firstFrameBoundMs: number
  /** How long each viewer watches after its first frame. */
  watchMs?: number
  log?: (line: string) => void
}

export interface Leftovers {
  ffmpeg: number
  fds: number
  sockets: number
  handles: Record<string, number>
  /** stack.liveHeld(), summed: live sockets and streams the servers still hold. */
  liveHeld: number
}

export interface SoakResult {
  cycles: number
  /** Cycles whose viewer had no first frame within the bound, with what it saw. */
  failures: { cycle: number; path: 'edge' | 'hub'; after: SoakFault | null; detail: string }[]
  firstFrameMs: { edge: Summary; hub: Summary; afterFault: Summary }
  faults: Record<SoakFault, number>
  before: Leftovers
  after: Leftovers
}

/** ffmpeg processes whose parent is this process, read from /proc. */
function ffmpegChildren(): number {
  let n = 0
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8')
      const [, comm, rest] = /^\d+ \((.*)\) (.*)$/s.exec(stat) ?? []
      if (comm === 'ffmpeg' && Number(rest?.split(' ')[1]) === process.pid) n++
    } catch {
      // exited while being read
    }
  }
  return n
}

export function leftovers(stack: Pick<SoakStack, 'liveHeld'>): Leftovers {
  const fds = readdirSync('/proc/self/fd')
  let sockets = 0
  for (const fd of fds) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:')) sockets++
    } catch {
      // closed while being read
    }
  }
  const handles: Record<string, number> = {}
  for (const h of process.getActiveResourcesInfo()) handles[h] = (handles[h] ?? 0) + 1
  const held = stack.liveHeld()
  return { ffmpeg: ffmpegChildren(), fds: fds.length, sockets, handles, liveHeld: held.edgeViewers + held.hubViewers + held.hubUpstreams + held.tunnelStreams }
}

class ClosedEarly extends Error {}

/** One live socket: resolves with the ms to init + first media segment; rejects with ClosedEarly when the server closed it first. */
function attempt(url: string, headers: Record<string, string>, ca: string | undefined, opened: number, untilMs: number, watchMs: number, seen: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers, ...(ca ? { ca } : {}) })
    let init = false
    let done = false
    const finish = (err: Error | null, ms = 0) => {
      if (done) return
      done = true
      clearTimeout(timer)
      const settle = () => (err ? reject(err) : resolve(ms))
      if (ws.readyState !== ws.OPEN) {
        ws.terminate()
        return settle()
      }
      setTimeout(() => {
        if (ws.readyState === ws.CLOSED) return settle()
        ws.once('close', settle)
        ws.close()
      }, err ? 0 : watchMs)
    }
    const timer = setTimeout(() => finish(new Error(`no first frame within the bound; saw ${seen.join(', ') || 'nothing'}`)), Math.max(0, untilMs - performance.now()))
    ws.on('message', (data: Buffer, isBinary) => {
      if (!isBinary) {
        const msg = JSON.parse(data.toString()) as { type: string; reason?: string }
        seen.push(msg.reason ? `${msg.type}:${msg.reason}` : msg.type)
        if (msg.type === 'init') init = false
        return
      }
      if (!init) {
        init = true
        seen.push('init-segment')
        return
      }
      finish(null, performance.now() - opened)
    })
    // Refused by HTTP (no session, no right): the page would show its sign-in, not retry.
    ws.on('unexpected-response', (_req, res) => finish(new Error(`upgrade refused: ${res.statusCode}`)))
    ws.on('error', (err) => {
      seen.push(`error:${(err as NodeJS.ErrnoException).code ?? err.message}`)
      finish(new ClosedEarly())
    })
    ws.on('close', (code) => {
      seen.push(`close:${code}`)
      finish(new ClosedEarly())
    })
  })
}

/**
 * Opens a live view as the pages' player does (common/live/browser/player.ts):
 * a socket the server closes before the first frame (1013 while a restarted
 * edge does not know the camera yet, a refused connection while it starts) is
 * opened again after 0.5 s, doubling up to 5 s. Resolves with the ms from the
 * first open to the first media segment, or rejects once the bound is over.
 */
async function firstFrame(url: string, headers: Record<string, string>, ca: string | undefined, boundMs: number, watchMs: number): Promise<number> {
  const opened = performance.now()
  const until = opened + boundMs
  const seen: string[] = []
  let backoffMs = 500
  for (let tries = 0; tries < 100; tries++) {
    try {
      return await attempt(url, headers, ca, opened, until, watchMs, seen)
    } catch (err) {
      if (!(err instanceof ClosedEarly)) throw err
    }
    if (performance.now() + backoffMs >= until) break
    await new Promise((r) => setTimeout(r, backoffMs))
    backoffMs = Math.min(5000, backoffMs * 2)
  }
  throw new Error(`no first frame within ${boundMs} ms; saw ${seen.join(', ') || 'nothing'}`)
}

export async function runLiveSoak(stack: SoakStack, o: SoakOptions): Promise<SoakResult> {
  const say = o.log ?? (() => undefined)
  const watchMs = o.watchMs ?? 200
  await stack.settled()
  const before = leftovers(stack)
  const times = { edge: [] as number[], hub: [] as number[], afterFault: [] as number[] }
  const failures: SoakResult['failures'] = []
  const faults: Record<SoakFault, number> = { edge_restart: 0, tunnel_drop: 0, camera_stall: 0 }
  const order: SoakFault[] = ['edge_restart', 'tunnel_drop', 'camera_stall']
  let lastFault: SoakFault | null = null
  for (let cycle = 1; cycle <= o.cycles; cycle++) {
    const path = cycle % 2 === 0 ? 'hub' : 'edge'
    try {
      let ms: number
      if (path === 'hub') {
        const h = await stack.hubLive()
        ms = await firstFrame(h.url, { cookie: h.cookie }, h.ca, o.firstFrameBoundMs, watchMs)
      } else {
        const e = await stack.edgeLive()
        ms = await firstFrame(e.url, { cookie: e.cookie }, undefined, o.firstFrameBoundMs, watchMs)
      }
      ;(lastFault ? times.afterFault : times[path]).push(ms)
    } catch (err) {
      failures.push({ cycle, path, after: lastFault, detail: (err as Error).message })
      say(`cycle ${cycle} (${path}${lastFault ? `, after ${lastFault}` : ''}): ${(err as Error).message}`)
    }
    lastFault = null
    if (cycle % o.faultEvery === 0 && cycle < o.cycles) {
      const fault = order[(cycle / o.faultEvery - 1) % order.length]!
      faults[fault]++
      lastFault = fault
      if (fault === 'edge_restart') await stack.restartEdge()
      else if (fault === 'tunnel_drop') await stack.dropTunnel()
      else await stack.stallCamera(3000)
    }
    if (cycle % 50 === 0) say(`${cycle}/${o.cycles} cycles, ${failures.length} without a first frame in time`)
  }
  await stack.settled()
  // Sockets of viewers just closed finish their close handshakes; wait (bounded) for the counts to come back.
  let after = leftovers(stack)
  for (let i = 0; i < 50 && (after.ffmpeg > before.ffmpeg || after.liveHeld > 0); i++) {
    await new Promise((r) => setTimeout(r, 200))
    after = leftovers(stack)
  }
  return {
    cycles: o.cycles,
    failures,
    firstFrameMs: { edge: summarize(times.edge), hub: summarize(times.hub), afterFault: summarize(times.afterFault) },
    faults,
    before,
    after,
  }
}

/** The console stack (testkit/console-stack.ts) as the soak drives it: camera cam-hall of ct-center. */
export function soakStack(s: ConsoleStack): SoakStack {
  let hubCookie: string | null = null
  let edgeCookie: string | null = null
  return {
    async hubLive() {
      hubCookie ??= await s.login('thanhtra')
      return { url: `${s.hub.url.replace('https', 'wss')}/console/live/ct-center/cam-hall`, cookie: hubCookie, ca: s.pki.caPem }
    },
    async edgeLive() {
      edgeCookie ??= await s.edgeLogin()
      return { url: `ws://127.0.0.1:${s.edge.ports.http}/supervisor/live/cam-hall`, cookie: edgeCookie }
    },
    async restartEdge() {
      await s.restartEdge()
      edgeCookie = null
    },
    async dropTunnel() {
      await s.edge.tunnel?.stop()
      s.edge.tunnel?.start()
    },
    async stallCamera(ms) {
      await s.sim.setFault('stall')
      await new Promise((r) => setTimeout(r, ms))
      await s.sim.setFault('none')
    },
    liveHeld() {
      const live = s.edge.cameras?.live.status()['cam-hall']
      const relay = s.hub.relay.status()
      return { edgeViewers: live?.viewers ?? 0, hubViewers: relay.viewers, hubUpstreams: relay.upstreams, tunnelStreams: s.edge.tunnel?.status().streams ?? 0 }
    },
    async settled() {
      await waitFor('cam-hall online, linked to the hub and warm', () => {
        const live = s.edge.cameras?.live.status()['cam-hall']
        return (
          s.edge.cameras?.cameras.camera('cam-hall')?.state === 'online' &&
          s.hub.relay.camera('ct-center', 'cam-hall')?.edgeConnected === true &&
          live?.warm === true &&
          live.lastFragmentAt !== null &&
          Date.now() - live.lastFragmentAt < 1000
        )
      }, { timeoutMs: 60_000 })
    },
  }
}
