/**
 * Remote live view through the edge tunnels. One upstream per camera,
 * however many people watch it: the first viewer makes the hub send `open`
 * to the camera's edge, the last one leaving sends `close`. The per-camera
 * fan-out is the same LiveChannel as the edge's (common/live/channel.ts) fed by the
 * tunnel instead of ffmpeg, so late joiners get the cached init segment and
 * the fragments since the last keyframe, and a slow viewer skips to the next
 * keyframe instead of holding the others back.
 */
import type { WebSocket } from 'ws'
import type { Logger } from '../../common/log.js'
import type { TunnelCamera } from '../../protocol/tunnel.js'
import { LiveChannel, type ChannelCounters, type Viewer } from '../../common/live/channel.js'
import type { Fmp4Piece } from '../../common/live/fmp4.js'
import type { RemuxerStatus } from '../../common/live/source.js'
import { wsViewer } from '../../common/live/ws-viewer.js'
import type { EdgeLink, LinkEvents } from './tunnels.js'

/** Reasons a viewer is told about, besides the edge's own (ffmpeg restarts); the page words them. */
export const EDGE_DISCONNECTED = 'edge_disconnected'
export const CAMERA_UNAVAILABLE = 'camera_unavailable'

export interface RelayCamera extends TunnelCamera {
  site: string
  /** The site's edge has a tunnel to this hub instance right now. */
  edgeConnected: boolean
  viewers: number
}

export interface Relay {
  /** Feed for the tunnel server (hub/relay/tunnels.ts). */
  readonly events: LinkEvents
  /** Cameras of every site whose edge has linked to this instance since it started. */
  cameras(): RelayCamera[]
  camera(site: string, camera: string): RelayCamera | null
  /** Adds a browser socket as a viewer; returns a function that detaches it (also called on socket close). */
  attach(ws: WebSocket, site: string, camera: string): void
  /** Adds any viewer (an HTTP stream for another video system, hub/api/live.ts); returns the function that removes it. */
  watch(site: string, camera: string, viewer: Viewer): () => void
  status(): { upstreams: number; viewers: number }
  /** Per-stage counts over every camera: tunnel → relay (segments) → viewers (delivered), and silent upstreams reopened (heals). */
  counters(): ChannelCounters
  close(): Promise<void>
}

export interface RelayOptions {
  log: Logger
  /** Delay before asking again for a stream the edge refused (camera still starting). */
  retryMs?: number
  /**
   * An upstream that brought no media for this long, with no word from the
   * edge, is closed and opened again (a lost `open`, a stream the edge forgot).
   * Above the edge's own limit (8 s), which heals what the edge can see.
   */
  noMediaMs?: number
}

const keyOf = (site: string, camera: string) => `${site}/${camera}`

export function createRelay(o: RelayOptions): Relay {
  const log = o.log.child({ module: 'relay' })
  const retryMs = o.retryMs ?? 1000
  const noMediaMs = o.noMediaMs ?? 10_000
  const links = new Map<string, EdgeLink>()
  const known = new Map<string, readonly TunnelCamera[]>()
  const channels = new Map<string, LiveChannel>()
  const upstreams = new Map<string, Set<Upstream>>()
  const byStream = new Map<number, Upstream>()
  let nextStream = 1

  class Upstream {
    stream: number | null = null
    running = false
    interrupted = false
    private retry: NodeJS.Timeout | undefined
    private readonly st: RemuxerStatus = { running: false, pid: null, runs: 0, consecutiveFailures: 0, lastFailure: null, lastProgressAt: null, bytesOut: 0 }

    constructor(
      readonly site: string,
      readonly camera: string,
      private readonly onPiece: (p: Fmp4Piece) => void,
      private readonly onRunEnded: (reason: string) => void,
    ) {}

    start(): void {
      this.running = true
      this.open()
    }

    open(): void {
      if (!this.running || this.stream !== null) return
      const link = links.get(this.site)
      if (!link) return this.fail(EDGE_DISCONNECTED)
      this.stream = nextStream++
      if (nextStream > 0xffffffff) nextStream = 1
      byStream.set(this.stream, this)
      this.st.runs++
      this.st.running = true
      link.send({ type: 'open', stream: this.stream, camera: this.camera })
    }

    piece(p: Fmp4Piece): void {
      this.interrupted = false
      this.st.consecutiveFailures = 0
      this.st.lastProgressAt = Date.now()
      this.st.bytesOut += p.data.length
      this.onPiece(p)
    }

    /** The edge's stream broke but stays open: ffmpeg restarts on the edge and a new init follows. */
    fail(reason: string): void {
      this.st.lastFailure = reason
      this.st.consecutiveFailures++
      if (this.interrupted) return
      this.interrupted = true
      this.onRunEnded(reason)
    }

    lost(reason: string, again: boolean): void {
      if (this.stream !== null) byStream.delete(this.stream)
      this.stream = null
      this.st.running = false
      this.fail(reason)
      clearTimeout(this.retry)
      if (again && this.running) this.retry = setTimeout(() => this.open(), retryMs)
    }

    stop(): Promise<void> {
      this.running = false
      clearTimeout(this.retry)
      if (this.stream !== null) {
        links.get(this.site)?.send({ type: 'close', stream: this.stream })
        byStream.delete(this.stream)
      }
      this.stream = null
      this.st.running = false
      upstreams.get(keyOf(this.site, this.camera))?.delete(this)
      return Promise.resolve()
    }

    status(): RemuxerStatus {
      return { ...this.st }
    }
  }

  function channelFor(site: string, camera: string): LiveChannel {
    const key = keyOf(site, camera)
    let ch = channels.get(key)
    if (!ch) {
      ch = new LiveChannel({
        noMediaMs,
        // An edge starting a cold ffmpeg may take its full start grace (25 s) before the first segment.
        startGraceMs: 30_000,
        onHeal: (silentMs) => log.warn({ site, camera, silentMs }, 'relayed stream brought nothing, opening it again'),
        makeRemuxer: (onPiece, onRunEnded) => {
          const up = new Upstream(site, camera, onPiece, onRunEnded)
          let set = upstreams.get(key)
          if (!set) upstreams.set(key, (set = new Set()))
          set.add(up)
          return up
        },
      })
      channels.set(key, ch)
    }
    return ch
  }

  const upstreamsOf = (site: string) => [...upstreams.entries()].filter(([k]) => k.startsWith(`${site}/`)).flatMap(([, s]) => [...s])

  const events: LinkEvents = {
    linked(link) {
      links.set(link.site, link)
      known.set(link.site, link.cameras)
      for (const up of upstreamsOf(link.site)) up.open()
    },
    unlinked(link) {
      if (links.get(link.site) !== link) return
      links.delete(link.site)
      for (const up of upstreamsOf(link.site)) up.lost(EDGE_DISCONNECTED, false)
    },
    piece(link, stream, piece) {
      const up = byStream.get(stream)
      if (up && up.site === link.site) up.piece(piece)
    },
    control(link, msg) {
      const up = byStream.get(msg.stream)
      if (!up || up.site !== link.site) return
      if (msg.type === 'interrupted') up.fail(msg.reason)
      else {
        log.warn({ site: link.site, camera: up.camera, reason: msg.reason }, 'edge refused a stream')
        up.lost(CAMERA_UNAVAILABLE, true)
      }
    },
  }

  const view = (site: string, cam: TunnelCamera): RelayCamera => ({
    ...cam,
    site,
    edgeConnected: links.has(site),
    viewers: channels.get(keyOf(site, cam.id))?.viewerCount ?? 0,
  })

  return {
    events,
    cameras: () => [...known].flatMap(([site, cams]) => cams.map((c) => view(site, c))),
    camera(site, camera) {
      const cam = known.get(site)?.find((c) => c.id === camera)
      return cam ? view(site, cam) : null
    },
    attach(ws, site, camera) {
      const ch = channelFor(site, camera)
      const viewer = wsViewer(ws)
      ch.add(viewer)
      log.info({ site, camera, viewers: ch.viewerCount }, 'relay viewer joined')
      ws.once('close', () => {
        void ch.remove(viewer)
        log.info({ site, camera, viewers: ch.viewerCount }, 'relay viewer left')
      })
      ws.once('error', () => ws.terminate())
    },
    watch(site, camera, viewer) {
      const ch = channelFor(site, camera)
      ch.add(viewer)
      return () => void ch.remove(viewer)
    },
    status() {
      let viewers = 0
      for (const ch of channels.values()) viewers += ch.viewerCount
      return { upstreams: byStream.size, viewers }
    },
    counters() {
      const sum: ChannelCounters = { runs: 0, segments: 0, delivered: 0, skipped: 0, heals: 0 }
      for (const ch of channels.values()) for (const k of Object.keys(sum) as (keyof ChannelCounters)[]) sum[k] += ch.counters[k]
      return sum
    },
    async close() {
      await Promise.all([...channels.values()].map((ch) => ch.close()))
      channels.clear()
    },
  }
}
