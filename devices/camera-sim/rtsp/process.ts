import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
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

/** The GStreamer RTSP server child: start on a port, pause (SIGSTOP), resume, stop without leaving a zombie. */
export class RtspProcess {
  private child: ChildProcessWithoutNullStreams | undefined
  private exited: Promise<void> = Promise.resolve()
  private paused = false
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
      resolve()
    }))
    let stderrTail = ''
    child.stderr.on('data', (c: Buffer) => {
      stderrTail = (stderrTail + c.toString()).slice(-600)
      this.opts.log.debug({ stderr: c.toString().slice(0, 300) }, 'rtsp server stderr')
    })
    const bound = await new Promise<number>((resolve, reject) => {
      let out = ''
      const timer = setTimeout(() => reject(new Error('rtsp server did not start in time')), this.opts.startTimeoutMs ?? 15_000)
      const onData = (c: Buffer) => {
        out += c.toString()
        const m = /^ready (\d+)$/m.exec(out)
        if (m) {
          clearTimeout(timer)
          child.stdout.off('data', onData)
          resolve(Number(m[1]))
        } else if (/^error /m.test(out)) {
          clearTimeout(timer)
          reject(new Error(`rtsp server failed: ${out.trim()}`))
        }
      }
      child.stdout.on('data', onData)
      // Typically python3-gi or the GStreamer RTSP typelib missing: say so instead of a bare exit code.
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`rtsp server exited during start (code ${code}): ${stderrTail.trim()}`)) })
    }).catch(async (err: unknown) => {
      await this.stop()
      throw err
    })
    this.port = bound
    return bound
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
