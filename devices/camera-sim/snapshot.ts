import { spawn } from 'node:child_process'

export interface SnapshotGrabberOptions {
  /** RTSP URL with credentials; only ever passed to ffmpeg, never logged. */
  sourceUrl: () => string
  timeoutMs: number
  /** A grab younger than this is served again instead of starting ffmpeg. */
  reuseMs: number
  now: () => number
  ffmpegPath?: string
}

/**
 * JPEG snapshots taken from the camera's own RTSP stream with ffmpeg, so the
 * snapshot shows the same burned-in clock as the video. Concurrent requests
 * share one grab.
 */
export class SnapshotGrabber {
  private last: { at: number; jpeg: Buffer } | undefined
  private inflight: Promise<Buffer> | undefined
  private readonly children = new Set<ReturnType<typeof spawn>>()

  constructor(private readonly opts: SnapshotGrabberOptions) {}

  /** The latest grabbed frame, whatever its age (a frozen camera keeps serving it). */
  get lastJpeg(): Buffer | undefined {
    return this.last?.jpeg
  }

  grab(): Promise<Buffer> {
    if (this.last && this.opts.now() - this.last.at < this.opts.reuseMs) return Promise.resolve(this.last.jpeg)
    this.inflight ??= this.run().finally(() => { this.inflight = undefined })
    return this.inflight
  }

  /** Kills any running ffmpeg and waits for it to exit. */
  async stop(): Promise<void> {
    await Promise.all([...this.children].map((c) => new Promise<void>((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) return resolve()
      c.once('exit', () => resolve())
      c.kill('SIGKILL')
    })))
  }

  private run(): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const args = [
        '-hide_banner', '-loglevel', 'error', '-nostdin', '-rtsp_transport', 'tcp',
        '-timeout', String(this.opts.timeoutMs * 1000), '-i', this.opts.sourceUrl(),
        '-frames:v', '1', '-f', 'image2pipe', '-c:v', 'mjpeg', '-q:v', '4', 'pipe:1',
      ]
      const child = spawn(this.opts.ffmpegPath ?? 'ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] })
      this.children.add(child)
      const chunks: Buffer[] = []
      let stderr = ''
      child.stdout.on('data', (c: Buffer) => chunks.push(c))
      child.stderr.on('data', (c: Buffer) => { stderr = (stderr + c.toString()).slice(-500) })
      const timer = setTimeout(() => child.kill('SIGKILL'), this.opts.timeoutMs + 1000)
      child.once('error', (err) => { clearTimeout(timer); this.children.delete(child); reject(err) })
      child.once('exit', (code) => {
        clearTimeout(timer)
        this.children.delete(child)
        const jpeg = Buffer.concat(chunks)
        if (code === 0 && jpeg.length > 0) {
          this.last = { at: this.opts.now(), jpeg }
          resolve(jpeg)
        } else {
          // ffmpeg's message may quote the URL; keep only its last line and strip credentials.
          const reason = stderr.trim().split('\n').pop()?.replace(/rtsp:\/\/[^@\s]*@/g, 'rtsp://') ?? ''
          reject(new Error(`snapshot grab failed (exit ${code}): ${reason}`))
        }
      })
    })
  }
}
