/**
 * One camera's live stream shared by all its viewers: the remuxer starts with
 * the first viewer and stops when the last one leaves. A late joiner gets the
 * cached init segment and the fragments since the last keyframe at once (its
 * player skips ahead to the live edge), then the live fragments. When ffmpeg
 * restarts the init segment changes, so every viewer is told to reset.
 *
 * The channel also heals what its source does not notice: a stream that hands
 * over no media segment for `noMediaMs` while its source reports no failure
 * (an RTSP server that accepts and sends nothing, a tunnel stream the edge
 * never answered) is restarted and its viewers told `no_media`. Each restart
 * in a row doubles the window (up to 8×), so a source that is only slow — a
 * cold ffmpeg on a loaded box — is given the time it needs instead of being
 * restarted for ever. With `lingerMs` the source outlives its last viewer that
 * long, so a page reload or a relay that reopens its stream finds it running.
 */
import type { Fmp4Piece } from './fmp4.js'
import type { Remuxer, RemuxerStatus } from './source.js'

export interface Viewer {
  /** A new stream begins: set up a fresh decoder for this codec with this init segment. */
  init(codec: string | null, data: Buffer): void
  fragment(data: Buffer): void
  /** The stream was interrupted; a new init() follows when it is back. */
  interrupted(reason: string): void
  /** Bytes queued towards the viewer and not yet sent (WebSocket bufferedAmount). */
  backlog(): number
}

export interface ChannelOptions {
  makeRemuxer(onPiece: (p: Fmp4Piece) => void, onRunEnded: (reason: string) => void): Remuxer
  /** A viewer further behind than this skips fragments until the next keyframe. */
  maxBacklogBytes?: number
  /** Restart a stream that delivered no segment and reported no failure for this long (0: never). */
  noMediaMs?: number
  now?: () => number
  /** Told when a silent stream is restarted (for the log). */
  onHeal?(silentMs: number): void
  /** Keep the source running this long after the last viewer left (0: stop at once). */
  lingerMs?: number
  /** Before a source's first segment (a cold start) the silence allowed is at least this. */
  startGraceMs?: number
}

/** Per-stage counts since the channel was made, for /metrics and the soak. */
export interface ChannelCounters {
  /** Sources (remuxers or relay upstreams) started. */
  runs: number
  /** Media segments the source handed over. */
  segments: number
  /** Segments written to viewers (one per viewer). */
  delivered: number
  /** Segments a slow viewer skipped to catch up at the next keyframe. */
  skipped: number
  /** Silent streams restarted by the channel. */
  heals: number
}

/** Why viewers of a healed stream were interrupted; the pages word it like any restart. */
export const NO_MEDIA = 'no_media'

/** A camera with a very long keyframe interval must not make the cache grow without bound. */
const MAX_GOP_BYTES = 8 * 1024 * 1024

interface ViewerState {
  /** Init segment sent for the current ffmpeg run, waiting for a keyframe. */
  waitingKeyframe: boolean
  initSent: boolean
}

export class LiveChannel {
  private readonly viewers = new Map<Viewer, ViewerState>()
  private remuxer: Remuxer | null = null
  private stopping: Promise<void> = Promise.resolve()
  private init: { codec: string | null; data: Buffer } | null = null
  /** Fragments since the last keyframe, for late joiners. */
  private gop: Buffer[] = []
  private gopBytes = 0
  private readonly maxBacklog: number
  private readonly now: () => number
  private watchdog: NodeJS.Timeout | null = null
  /** Start of the current silence window: the last segment, the source's start, or its last reported failure. */
  private quietSince = 0
  /** Restarts since the last segment: each one doubles the silence allowed next. */
  private healsInARow = 0
  /** The current source has handed over a segment since it started or last failed. */
  private flowing = false
  private linger: NodeJS.Timeout | null = null
  /** Fragments delivered to at least one viewer since the channel was made. */
  fragments = 0
  lastFragmentAt: number | null = null
  readonly counters: ChannelCounters = { runs: 0, segments: 0, delivered: 0, skipped: 0, heals: 0 }

  constructor(private readonly opts: ChannelOptions) {
    this.maxBacklog = opts.maxBacklogBytes ?? 4 * 1024 * 1024
    this.now = opts.now ?? Date.now
  }

  get viewerCount(): number {
    return this.viewers.size
  }

  status(): RemuxerStatus | null {
    return this.remuxer?.status() ?? null
  }

  add(viewer: Viewer): void {
    if (this.linger) clearTimeout(this.linger)
    this.linger = null
    this.viewers.set(viewer, { waitingKeyframe: true, initSent: false })
    if (this.init) this.sendInit(viewer)
    if (!this.remuxer) this.startSource()
  }

  private startSource(): void {
    // A remuxer still exiting (its stop gave up waiting) must not feed the channel its successor now serves.
    const remuxer: Remuxer = this.opts.makeRemuxer(
      (p) => {
        if (this.remuxer === remuxer) this.onPiece(p)
      },
      (reason) => {
        if (this.remuxer === remuxer) this.onRunEnded(reason)
      },
    )
    this.remuxer = remuxer
    this.counters.runs++
    this.flowing = false
    this.quietSince = this.now()
    this.armWatchdog()
    // A previous remuxer may still be exiting; never run two ffmpegs for one camera.
    void this.stopping.then(() => {
      if (this.remuxer !== remuxer) return
      this.quietSince = this.now()
      remuxer.start()
    })
  }

  private armWatchdog(): void {
    const limit = this.opts.noMediaMs ?? 0
    if (limit <= 0 || this.watchdog) return
    this.watchdog = setInterval(() => {
      const silentMs = this.now() - this.quietSince
      const allowed = this.flowing ? limit : Math.max(limit, this.opts.startGraceMs ?? 0)
      if (this.remuxer && silentMs > allowed * 2 ** Math.min(this.healsInARow, 3)) this.heal(silentMs)
    }, Math.min(1000, Math.max(50, limit / 4)))
    this.watchdog.unref()
  }

  /** The source looks alive but hands over nothing: replace it, and tell the viewers. */
  private heal(silentMs: number): void {
    const stuck = this.remuxer
    if (!stuck) return
    this.counters.heals++
    this.healsInARow++
    this.opts.onHeal?.(silentMs)
    this.remuxer = null
    this.stopping = this.stopping.then(() => stuck.stop())
    this.onRunEnded(NO_MEDIA)
    this.startSource()
  }

  /** Removes a viewer; stops ffmpeg when it was the last (after `lingerMs`). Resolves once a stopped ffmpeg has exited. */
  remove(viewer: Viewer): Promise<void> {
    this.viewers.delete(viewer)
    if (this.viewers.size > 0 || !this.remuxer) return this.stopping
    const lingerMs = this.opts.lingerMs ?? 0
    if (lingerMs <= 0) return this.close()
    if (!this.linger) {
      this.linger = setTimeout(() => {
        this.linger = null
        if (this.viewers.size === 0) void this.close()
      }, lingerMs)
      this.linger.unref()
    }
    return this.stopping
  }

  close(): Promise<void> {
    const r = this.remuxer
    this.remuxer = null
    if (this.linger) clearTimeout(this.linger)
    this.linger = null
    if (this.watchdog) clearInterval(this.watchdog)
    this.watchdog = null
    this.init = null
    this.gop = []
    this.gopBytes = 0
    if (r) this.stopping = this.stopping.then(() => r.stop())
    return this.stopping
  }

  private sendInit(viewer: Viewer): void {
    const state = this.viewers.get(viewer)
    if (!state || !this.init) return
    viewer.init(this.init.codec, this.init.data)
    state.initSent = true
    state.waitingKeyframe = this.gop.length === 0
    for (const f of this.gop) viewer.fragment(f)
    this.counters.delivered += this.gop.length
  }

  private onPiece(p: Fmp4Piece): void {
    if (p.kind === 'init') {
      this.init = { codec: p.codec, data: p.data }
      this.gop = []
      this.gopBytes = 0
      for (const v of this.viewers.keys()) this.sendInit(v)
      return
    }
    this.counters.segments++
    this.healsInARow = 0
    this.flowing = true
    this.quietSince = this.now()
    if (p.keyframe || this.gopBytes + p.data.length > MAX_GOP_BYTES) {
      this.gop = []
      this.gopBytes = 0
    }
    if (p.keyframe || this.gop.length > 0) {
      this.gop.push(p.data)
      this.gopBytes += p.data.length
    }
    for (const [v, state] of this.viewers) {
      if (!state.initSent) continue
      if (state.waitingKeyframe && !p.keyframe) continue
      if (v.backlog() > this.maxBacklog) {
        // A slow viewer would fall ever further behind; drop until it can resume cleanly.
        state.waitingKeyframe = true
        this.counters.skipped++
        continue
      }
      state.waitingKeyframe = false
      v.fragment(p.data)
      this.counters.delivered++
    }
    this.fragments++
    this.lastFragmentAt = Date.now()
  }

  private onRunEnded(reason: string): void {
    // The source noticed its failure and restarts by itself: give the restart a full window.
    this.quietSince = this.now()
    this.flowing = false
    this.init = null
    this.gop = []
    this.gopBytes = 0
    for (const [v, state] of this.viewers) {
      state.initSent = false
      state.waitingKeyframe = true
      v.interrupted(reason)
    }
  }
}
