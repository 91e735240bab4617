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
import { LiveChannel, type Viewer } from './channel.js'
import { createRemuxer, type RemuxerOptions, type RemuxerStatus } from './remuxer.js'

export type { Viewer }

export type LiveTuning = Pick<RemuxerOptions, 'ioTimeoutMs' | 'stallMs' | 'fragmentMs' | 'backoffMinMs' | 'backoffMaxMs' | 'ffmpegPath'>

export interface LiveServiceOptions {
  log: Logger
  /** The camera's RTSP URL with credentials, or null while it is not known. */
  streamUrl(camera: string): string | null
  tuning?: LiveTuning
}

export interface LiveCameraStatus {
  viewers: number
  fragments: number
  lastFragmentAt: number | null
  remuxer: RemuxerStatus | null
}

export interface LiveService {
  /** Attaches a WebSocket as a viewer of a camera; false (and the socket closed) when there is no stream to show. */
  attach(ws: WebSocket, camera: string): boolean
  /** Attaches a viewer that is not a browser socket (the hub tunnel, edge/tunnel); returns its detach function, or null when there is no stream to show. */
  watch(camera: string, viewer: Viewer): (() => void) | null
  /** True when a live ffmpeg delivered a fragment of this camera within `withinMs`: the stream is known to work. */
  delivering(camera: string, withinMs: number): boolean
  status(): Record<string, LiveCameraStatus>
  stop(): Promise<void>
}

/** WebSocket close code for "nothing to show yet, try again later" (RFC 6455 1013). */
export const TRY_AGAIN_LATER = 1013

/** A browser WebSocket as a viewer; the hub's relay (hub/relay) serves its viewers the same way. */
export function wsViewer(ws: WebSocket): Viewer {
  const send = (data: Buffer | string) => {
    if (ws.readyState === ws.OPEN) ws.send(data)
  }
  return {
    init(codec, data) {
      send(JSON.stringify({ type: 'init', codec }))
      send(data)
    },
    fragment: (data) => send(data),
    interrupted: (reason) => send(JSON.stringify({ type: 'interrupted', reason })),
    backlog: () => ws.bufferedAmount,
  }
}

export function createLiveService(opts: LiveServiceOptions): LiveService {
  const log = opts.log.child({ module: 'live' })
  const channels = new Map<string, LiveChannel>()
  let stopped = false
  // fluent-ffmpeg asks ffmpeg for its formats before the first run; do it now, not while a supervisor waits.
  ffmpeg.getAvailableFormats(() => undefined)

  function channelFor(camera: string, url: string): LiveChannel {
    let ch = channels.get(camera)
    if (!ch) {
      const camLog = log.child({ camera })
      ch = new LiveChannel({
        makeRemuxer: (onPiece, onRunEnded) =>
          createRemuxer({ ...opts.tuning, url: opts.streamUrl(camera) ?? url, log: camLog, onPiece, onRunEnded }),
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
    delivering(camera, withinMs) {
      const at = channels.get(camera)?.lastFragmentAt
      return at !== null && at !== undefined && Date.now() - at <= withinMs
    },
    status() {
      return Object.fromEntries(
        [...channels].map(([camera, ch]) => [
          camera,
          { viewers: ch.viewerCount, fragments: ch.fragments, lastFragmentAt: ch.lastFragmentAt, remuxer: ch.status() },
        ]),
      )
    },
    async stop() {
      stopped = true
      await Promise.all([...channels.values()].map((ch) => ch.close()))
    },
  }
}
