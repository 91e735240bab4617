/**
 * Live view for every camera of the site: one LiveChannel (one ffmpeg) per
 * camera being watched, viewers attached over WebSocket. Messages to the
 * browser: text `{"type":"init","codec":...}` followed by the binary init
 * segment, binary media segments, and text `{"type":"interrupted"}` when
 * ffmpeg restarts (the page then waits for the next init).
 */
import ffmpeg from 'fluent-ffmpeg'
import type { WebSocket } from 'ws'
import type { Logger } from '../../common/log.js'
import { LiveChannel, type ChannelCounters, type Viewer } from '../../common/live/channel.js'
import type { RemuxerStatus } from '../../common/live/source.js'
import { wsViewer } from '../../common/live/ws-viewer.js'
import { createRemuxer, type RemuxerOptions } from './remuxer.js'

export type LiveTuning = Pick<RemuxerOptions, 'ioTimeoutMs' | 'stallMs' | 'fragmentMs' | 'backoffMinMs' | 'backoffMaxMs' | 'ffmpegPath'> & {
  /** A watched stream with no media segment for this long is restarted (common/live/channel.ts). */
  noMediaMs?: number
}

/**
 * Silence after which a stream is restarted. Above the remuxer's own I/O and
 * stall limits (5 s), so that ffmpeg's failures are handled by the remuxer and
 * the channel only catches what it cannot see.
 */
const NO_MEDIA_MS = 8000

/**
 * How long a camera's ffmpeg outlives its last viewer: a page reload, or the
 * hub closing and reopening its stream to heal it, finds the stream running
 * instead of waiting for a cold ffmpeg and the next keyframe.
 */
const LINGER_MS = 5000

export interface LiveServiceOptions {
  log: Logger
  /** The camera's RTSP URL with credentials, or null while it is not known. */
  streamUrl(camera: string): string | null
  tuning?: LiveTuning
}

export interface LiveCameraStatus {
  viewers: number
  /** Kept running without a viewer so that the next one starts at once (warm()). */
  warm: boolean
  fragments: number
  lastFragmentAt: number | null
  remuxer: RemuxerStatus | null
  /** Per-stage counts: camera → remuxer (bytesOut) → channel (segments) → viewers (delivered). */
  counters: ChannelCounters & { bytesOut: number }
}

export interface LiveService {
  /** Attaches a WebSocket as a viewer of a camera; false (and the socket closed) when there is no stream to show. */
  attach(ws: WebSocket, camera: string): boolean
  /** Attaches a viewer that is not a browser socket (the hub tunnel, edge/tunnel); returns its detach function, or null when there is no stream to show. */
  watch(camera: string, viewer: Viewer): (() => void) | null
  /** True when a live ffmpeg delivered a fragment of this camera within `withinMs`: the stream is known to work. */
  delivering(camera: string, withinMs: number): boolean
  /**
   * Keeps a camera's stream running with no viewer, so that a page or the hub
   * gets the cached init segment and keyframe at once instead of waiting for a
   * cold ffmpeg and the camera's next keyframe. `false` lets it stop again.
   */
  warm(camera: string, on: boolean): void
  status(): Record<string, LiveCameraStatus>
  stop(): Promise<void>
}

/** WebSocket close code for "nothing to show yet, try again later" (RFC 6455 1013). */
export const TRY_AGAIN_LATER = 1013

export function createLiveService(opts: LiveServiceOptions): LiveService {
  const log = opts.log.child({ module: 'live' })
  const channels = new Map<string, LiveChannel>()
  /** The no-op viewer that keeps each warm camera's channel running. */
  const warmers = new Map<string, () => void>()
  /** fMP4 bytes each camera's remuxers handed over, across restarts. */
  const bytesOut = new Map<string, number>()
  let stopped = false
  // fluent-ffmpeg asks ffmpeg for its formats before the first run; do it now, not while a supervisor waits.
  ffmpeg.getAvailableFormats(() => undefined)

  function channelFor(camera: string, url: string): LiveChannel {
    let ch = channels.get(camera)
    if (!ch) {
      const camLog = log.child({ camera })
      const { noMediaMs, ...tuning } = opts.tuning ?? {}
      ch = new LiveChannel({
        noMediaMs: noMediaMs ?? NO_MEDIA_MS,
        lingerMs: LINGER_MS,
        // Longer than the remuxer's own start grace (20 s), which sees a cold ffmpeg's progress better.
        startGraceMs: 25_000,
        onHeal: (silentMs) => camLog.warn({ silentMs }, 'live stream delivered nothing, restarting it'),
        makeRemuxer: (onPiece, onRunEnded) =>
          createRemuxer({
            ...tuning, url: opts.streamUrl(camera) ?? url, log: camLog, onRunEnded,
            onPiece: (p) => {
              bytesOut.set(camera, (bytesOut.get(camera) ?? 0) + p.data.length)
              onPiece(p)
            },
          }),
      })
      channels.set(camera, ch)
    }
    return ch
  }

  return {
    attach(ws, camera) {
      const url = stopped ? null : opts.streamUrl(camera)
      if (!url) {
        ws.close(TRY_AGAIN_LATER, 'stream not available')
        return false
      }
      const ch = channelFor(camera, url)
      const viewer = wsViewer(ws)
      ch.add(viewer)
      log.info({ camera, viewers: ch.viewerCount }, 'viewer joined')
      const leave = () => {
        void ch.remove(viewer)
        log.info({ camera, viewers: ch.viewerCount }, 'viewer left')
      }
      ws.once('close', leave)
      ws.once('error', () => ws.terminate())
      return true
    },
    watch(camera, viewer) {
      const url = stopped ? null : opts.streamUrl(camera)
      if (!url) return null
      const ch = channelFor(camera, url)
      ch.add(viewer)
      log.info({ camera, viewers: ch.viewerCount }, 'viewer joined')
      let attached = true
      return () => {
        if (!attached) return
        attached = false
        void ch.remove(viewer)
        log.info({ camera, viewers: ch.viewerCount }, 'viewer left')
      }
    },
    warm(camera, on) {
      const detach = warmers.get(camera)
      if (!on || stopped) {
        warmers.delete(camera)
        return detach?.()
      }
      if (detach) return
      const quiet: Viewer = { init: () => undefined, fragment: () => undefined, interrupted: () => undefined, backlog: () => 0 }
      const off = this.watch(camera, quiet)
      if (off) warmers.set(camera, off)
    },
    delivering(camera, withinMs) {
      const at = channels.get(camera)?.lastFragmentAt
      return at !== null && at !== undefined && Date.now() - at <= withinMs
    },
    status() {
      return Object.fromEntries(
        [...channels].map(([camera, ch]) => [
          camera,
          {
            viewers: ch.viewerCount - (warmers.has(camera) ? 1 : 0),
            warm: warmers.has(camera),
            fragments: ch.fragments,
            lastFragmentAt: ch.lastFragmentAt,
            remuxer: ch.status(),
            counters: { ...ch.counters, bytesOut: bytesOut.get(camera) ?? 0 },
          },
        ]),
      )
    },
    async stop() {
      stopped = true
      warmers.clear()
      await Promise.all([...channels.values()].map((ch) => ch.close()))
    },
  }
}
