import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { Logger } from '../../../common/log.js'
import type { StreamSettings } from '../types.js'

const SCRIPT = fileURLToPath(new URL('./rtsp_server.py', import.meta.url))

export interface RtspProcessOptions {
  host: string
  path: string
  user: string
  password: string
  stream: StreamSettings
  log: Logger
  /** Debian's python3 (python3-gi lives there, not in a pyenv/venv interpreter). */
  python?: string
  startTimeoutMs?: number
}

interface PendingSnapshot {
  resolve(jpeg: Buffer): void
  reject(err: Error): void
  timer: NodeJS.Timeout
}

/**
 * The GStreamer RTSP server child: start on a port, pause (SIGSTOP), resume, stop without leaving a zombie.
 * It also encodes snapshots: the camera's picture as a JPEG, from the renderer that feeds the stream.
 */
export class RtspProcess {
  private child: ChildProcessWithoutNullStreams | undefined
  private exited: Promise<void> = Promise.resolve()
  private paused = false
  private readonly pending = new Map<number, PendingSnapshot>()
  private nextSnapshot = 1
  port = 0

  constructor(private readonly opts: RtspProcessOptions) {}

  get pid(): number | undefined {
    return this.child?.pid
  }

  get running(): boolean {
    return this.child !== undefined
  }

  /** Starts the server (on `port`, 0 for a free one) and resolves with the bound port. */
  async start(port = this.port): Promise<number> {
    if (this.child) return this.port
    const s = this.opts.stream
    const args = [SCRIPT, '--host', this.opts.host, '--port', String(port), '--path', this.opts.path,
      '--width', String(s.width), '--height', String(s.height),
      '--fps', String(s.fps), '--gop', String(s.gop), '--bitrate', String(s.bitrateKbps)]
    // Credentials go by environment, not argv, which every local user can read with ps.
    const env = { ...process.env, CAMSIM_RTSP_USER: this.opts.user, CAMSIM_RTSP_PASSWORD: this.opts.password }
    const child = spawn(this.opts.python ?? '/usr/bin/python3', args, { stdio: ['pipe', 'pipe', 'pipe'], env })
    this.child = child
    this.paused = false
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => {
      if (this.child === child) {
        this.child = undefined
        this.opts.log.warn({ code, signal }, 'rtsp server exited')
      }
      this.failPending(new Error('rtsp server exited'))
      resolve()
    }))
    // A command written as the child dies fails with EPIPE; its exit is reported above.
    child.stdin.on('error', (err) => this.opts.log.debug({ err: err.message }, 'rtsp server stdin closed'))
    const lines = createInterface({ input: child.stdout, crlfDelay: Infinity })
    lines.on('line', (line) => this.onSnapshotLine(line))
    let stderrTail = ''
    child.stderr.on('data', (c: Buffer) => {
      stderrTail = (stderrTail + c.toString()).slice(-600)
      const text = c.toString().slice(0, 300)
      // A stream that stopped pushing is frozen for every client still on it: worth a warning.
      if (text.includes('stream push stopped')) this.opts.log.warn({ stderr: text }, 'simulated camera stream stopped')
      else this.opts.log.debug({ stderr: text }, 'rtsp server stderr')
    })
    const bound = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('rtsp server did not start in time')), this.opts.startTimeoutMs ?? 15_000)
      const onLine = (line: string) => {
        const m = /^ready (\d+)$/.exec(line)
        if (m) {
          clearTimeout(timer)
          lines.off('line', onLine)
          resolve(Number(m[1]))
        } else if (line.startsWith('error ')) {
          clearTimeout(timer)
          reject(new Error(`rtsp server failed: ${line.trim()}`))
        }
      }
      lines.on('line', onLine)
      // Typically python3-gi or the GStreamer RTSP typelib missing: say so instead of a bare exit code.
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`rtsp server exited during start (code ${code}): ${stderrTail.trim()}`)) })
    }).catch(async (err: unknown) => {
      await this.stop()
      throw err
    })
    this.port = bound
    return bound
  }

  /**
   * The current picture as a JPEG, encoded by the child in milliseconds (no RTSP session, no ffmpeg).
   * Rejects when the child is gone, or gives no answer within `timeoutMs` (it is SIGSTOPped under `stall`).
   */
  snapshot(timeoutMs: number): Promise<Buffer> {
    const child = this.child
    if (!child) return Promise.reject(new Error('rtsp server not running'))
    const id = this.nextSnapshot++
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new Error(`no snapshot within ${timeoutMs} ms`))
      }, timeoutMs)
      this.pending.set(id, { resolve, reject, timer })
      child.stdin.write(`snapshot ${id}\n`)
    })
  }

  private onSnapshotLine(line: string): void {
    const m = /^snapshot (\d+) (.*)$/.exec(line)
    if (!m) return
    const p = this.pending.get(Number(m[1]))
    if (!p) return // answered after its timeout (a stall ended): nobody waits for it any more
    this.pending.delete(Number(m[1]))
    clearTimeout(p.timer)
    const body = m[2]!
    if (body.startsWith('error ')) p.reject(new Error(`snapshot failed: ${body.slice(6)}`))
    else p.resolve(Buffer.from(body, 'base64'))
  }

  private failPending(err: Error): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer)
      p.reject(err)
    }
    this.pending.clear()
  }

  setPassword(password: string): void {
    this.child?.stdin.write(`password ${password}\n`)
  }

  /** Freezes the whole server: connections stay open and no packet flows, like a hung encoder. */
  pause(): void {
    if (this.child && !this.paused) {
      this.child.kill('SIGSTOP')
      this.paused = true
    }
  }

  resume(): void {
    if (this.child && this.paused) {
      this.child.kill('SIGCONT')
      this.paused = false
    }
  }

  async stop(): Promise<void> {
    const child = this.child
    if (!child) return this.exited
    this.child = undefined
    child.kill('SIGKILL') // also ends a SIGSTOPped process, which would not act on SIGTERM until continued
    this.paused = false
    await this.exited
  }
}
