/**
 * Live MSE player for one camera, in the edge's supervisor page and the
 * hub's console: fragmented MP4 over a WebSocket, framed as
 * common/live/ws-viewer.ts writes it. Each `init` message starts a fresh
 * MediaSource (ffmpeg restarted: new timeline); appends are queued; playback
 * is kept close to the live edge (a supervisor wants now, not a growing
 * delay); the socket reconnects with capped backoff.
 */
export type PlayerStatus = 'connecting' | 'playing' | 'reconnecting' | 'unsupported'

/** Behind the live edge by more than this, jump forward. */
const MAX_LAG_S = 0.8
/** Keep this much played video in the buffer; older data is removed. */
const KEEP_S = 10

export class LivePlayer {
  private ws: WebSocket | null = null
  private ms: MediaSource | null = null
  private sb: SourceBuffer | null = null
  private queue: ArrayBuffer[] = []
  private backoffMs = 500
  private closed = false
  private retry: number | undefined
  private readonly tick: number

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly url: string,
    /** `reason` is the server's word for an interruption (the hub relay says "edge_disconnected"). */
    private readonly onStatus: (s: PlayerStatus, reason?: string) => void,
  ) {
    this.tick = window.setInterval(() => this.keepLive(), 500)
    this.connect()
  }

  close(): void {
    this.closed = true
    window.clearInterval(this.tick)
    window.clearTimeout(this.retry)
    this.ws?.close()
    this.reset()
  }

  private connect(): void {
    if (this.closed) return
    const ws = new WebSocket(this.url)
    ws.binaryType = 'arraybuffer'
    this.ws = ws
    ws.onmessage = (m) => {
      if (typeof m.data === 'string') this.control(JSON.parse(m.data) as { type: string; codec?: string | null; reason?: string })
      else this.append(m.data as ArrayBuffer)
    }
    ws.onclose = () => {
      if (this.ws !== ws || this.closed) return
      this.onStatus('reconnecting')
      this.retry = window.setTimeout(() => this.connect(), this.backoffMs)
      this.backoffMs = Math.min(5000, this.backoffMs * 2)
    }
  }

  private control(msg: { type: string; codec?: string | null; reason?: string }): void {
    if (msg.type === 'init') {
      this.reset()
      const type = `video/mp4; codecs="${msg.codec ?? 'avc1.42E01E'}"`
      if (!('MediaSource' in window) || !MediaSource.isTypeSupported(type)) {
        this.onStatus('unsupported')
        return
      }
      const ms = new MediaSource()
      this.ms = ms
      this.video.src = URL.createObjectURL(ms)
      ms.addEventListener('sourceopen', () => {
        if (this.ms !== ms) return
        URL.revokeObjectURL(this.video.src)
        const sb = ms.addSourceBuffer(type)
        // Fragments carry their own times; "sequence" would hide a restart's discontinuity less honestly.
        sb.mode = 'segments'
        sb.addEventListener('updateend', () => {
          this.flush()
          // Start at the live edge as soon as there is something to show, not at the next tick.
          if (this.video.paused) this.keepLive()
        })
        this.sb = sb
        this.flush()
      })
    } else if (msg.type === 'interrupted') {
      this.onStatus('reconnecting', msg.reason)
      this.reset()
    }
  }

  private append(data: ArrayBuffer): void {
    this.queue.push(data)
    if (this.queue.length > 200) this.queue.splice(0, this.queue.length - 200)
    this.flush()
  }

  private flush(): void {
    const sb = this.sb
    if (!sb || sb.updating || this.queue.length === 0 || !this.ms || this.ms.readyState !== 'open') return
    const next = this.queue.shift() as ArrayBuffer
    try {
      sb.appendBuffer(next)
    } catch (err) {
      // QuotaExceededError: drop old data and try again on the next fragment.
      if (sb.buffered.length && !sb.updating) sb.remove(0, Math.max(0, this.video.currentTime - 1))
      console.error('append failed', err)
    }
  }

  private keepLive(): void {
    const v = this.video
    const sb = this.sb
    if (!sb || v.buffered.length === 0) return
    const end = v.buffered.end(v.buffered.length - 1)
    const start = v.buffered.start(v.buffered.length - 1)
    if (v.currentTime < start || end - v.currentTime > MAX_LAG_S) v.currentTime = Math.max(start, end - 0.15)
    if (v.paused) void v.play().catch(() => undefined)
    if (!v.paused && v.readyState >= 2) {
      this.backoffMs = 500
      this.onStatus('playing')
    }
    if (!sb.updating && v.currentTime - v.buffered.start(0) > KEEP_S * 2) sb.remove(0, v.currentTime - KEEP_S)
  }

  private reset(): void {
    this.queue = []
    this.sb = null
    if (this.ms) {
      this.ms = null
      this.video.removeAttribute('src')
      this.video.load()
    }
  }
}
