/**
 * One camera's RTSP stream remuxed (never transcoded) to fragmented MP4 by
 * ffmpeg, driven through fluent-ffmpeg. fluent-ffmpeg is archived upstream and
 * reports a stalled RTSP source as a normal `end`, so this wrapper owns the
 * failure handling: an I/O timeout on the socket, a progress watchdog, any end
 * of the stream treated as a failure, restarts with capped backoff, and the
 * process killed by PID (SIGKILL) and its exit awaited on stop, for up to
 * STOP_WAIT_MS, so no ffmpeg outlives the edge and no stop blocks forever.
 */
import { PassThrough } from 'node:stream'
import type { ChildProcess } from 'node:child_process'
import ffmpeg from 'fluent-ffmpeg'
import { secretsOf, stripCredentials } from '../../common/credentials.js'
import type { Logger } from '../../common/log.js'
import { Fmp4Splitter, type Fmp4Piece } from '../../common/live/fmp4.js'
import type { Remuxer } from '../../common/live/source.js'
import { forgetOnExit, killOnExit } from './reaper.js'


/** How long stop() waits to hear that the killed ffmpeg exited. */
const STOP_WAIT_MS = 5000
export interface RemuxerOptions {
  /** RTSP URL, credentials included; never logged as is. */
  url: string
  log: Logger
  onPiece(piece: Fmp4Piece): void
  /** Called when a run ends (for any reason but stop()), before the restart is scheduled. */
  onRunEnded?(reason: string): void
  /** ffmpeg's socket I/O timeout (RTSP demuxer `-timeout`). */
  ioTimeoutMs?: number
  /** No progress (stats line or output bytes) for this long → kill and restart. */
  stallMs?: number
  /**
   * Before a run's first media segment the watchdog allows this long instead:
   * a cold ffmpeg on a loaded box needs the RTSP handshake, the probe and the
   * camera's next keyframe, which took 5.5–7.6 s under load against the
   * simulator, longer than `stallMs`. Killed at `stallMs`, every restart
   * died the same way and the view never started for as long as the load lasted.
   */
  startGraceMs?: number
  /** Target fragment length; shorter means lower latency and more boxes. */
  fragmentMs?: number
  backoffMinMs?: number
  backoffMaxMs?: number
  ffmpegPath?: string
  now?: () => number
}

/**
 * ffmpeg arguments for one run. The short probe saves ~1 s before the first
 * frame, but on a loaded box it can end before the stream's parameters are
 * known; the run after such a failure probes longer.
 */
export function remuxArgs(fragmentMs: number, ioTimeoutMs: number, longProbe = false): { input: string[]; output: string[] } {
  return {
    input: [
      // No progress lines: stderr keeps only what explains a failure.
      '-nostats',
      '-rtsp_transport', 'tcp',
      // ffmpeg 5.1's RTSP demuxer: socket I/O timeout in microseconds (`-stimeout` is gone).
      '-timeout', String(ioTimeoutMs * 1000),
      '-fflags', 'nobuffer',
      '-flags', 'low_delay',
      '-analyzeduration', longProbe ? '2000000' : '100000',
      '-probesize', longProbe ? '1000000' : '32768',
    ],
    output: [
      '-map', '0:v:0',
      '-c:v', 'copy',
      '-an',
      '-f', 'mp4',
      '-movflags', 'frag_keyframe+empty_moov+default_base_moof',
      '-frag_duration', String(fragmentMs * 1000),
    ],
  }
}

export function createRemuxer(opts: RemuxerOptions): Remuxer {
  const log = opts.log.child({ module: 'remuxer' })
  const now = opts.now ?? Date.now
  const stallMs = opts.stallMs ?? 5000
  const startGraceMs = Math.max(stallMs, opts.startGraceMs ?? 20_000)
  const ioTimeoutMs = opts.ioTimeoutMs ?? 5000
  const backoffMin = opts.backoffMinMs ?? 500
  const backoffMax = opts.backoffMaxMs ?? 5000
  /** The last run failed because the short probe did not learn the stream's parameters. */
  let longProbe = false
  const secrets = secretsOf(opts.url)
  const strip = (text: string) => stripCredentials(text, secrets)
  const safeUrl = strip(opts.url)

  let stopped = true
  let proc: ChildProcess | null = null
  /** Resolves when the current run's ffmpeg is gone (fluent-ffmpeg emits end/error only after exit). */
  let runDone: Promise<void> = Promise.resolve()
  let restartTimer: NodeJS.Timeout | null = null
  let watchdog: NodeJS.Timeout | null = null
  const st = { runs: 0, consecutiveFailures: 0, lastFailure: null as string | null, lastProgressAt: null as number | null, bytesOut: 0 }

  function run(): void {
    restartTimer = null
    if (stopped) return
    st.runs++
    const splitter = new Fmp4Splitter()
    const out = new PassThrough()
    let runStartedAt = now()
    let delivered = false
    let ended = false
    let stderrTail: string[] = []
    let killReason: string | null = null
    let markDone = (): void => undefined
    runDone = new Promise((resolve) => (markDone = resolve))
    const cmd = ffmpeg(opts.url)
    if (opts.ffmpegPath) cmd.setFfmpegPath(opts.ffmpegPath)
    const args = remuxArgs(opts.fragmentMs ?? 100, ioTimeoutMs, longProbe)
    cmd.inputOptions(args.input).outputOptions(args.output)

    const finish = (reason: string): void => {
      if (ended) return
      ended = true
      if (watchdog) clearInterval(watchdog)
      watchdog = null
      out.destroy()
      if (proc) forgetOnExit(proc)
      proc = null
      markDone()
      if (stopped) return
      st.consecutiveFailures = delivered ? 1 : st.consecutiveFailures + 1
      st.lastFailure = strip(killReason ?? reason)
      const probedShort = !longProbe
      longProbe = !delivered && stderrTail.some((l) => /codec parameters|Could not write header|unspecified size/i.test(l))
      const delay = Math.min(backoffMax, backoffMin * 2 ** (st.consecutiveFailures - 1))
      const detail = { url: safeUrl, reason: st.lastFailure, restartInMs: delay, tail: stderrTail.slice(-6).map(strip) }
      // A short probe that missed the parameters of a stream that has just
      // started is expected and mended by the next, longer probe: not a warning.
      if (probedShort && longProbe) log.info(detail, 'short probe missed the stream parameters, probing longer')
      else log.warn(detail, 'live stream ended, restarting')
      opts.onRunEnded?.(st.lastFailure)
      restartTimer = setTimeout(run, delay)
    }

    cmd.on('start', () => {
      proc = (cmd as unknown as { ffmpegProc?: ChildProcess }).ffmpegProc ?? null
      runStartedAt = now()
      st.lastProgressAt = runStartedAt
      if (proc) killOnExit(proc)
      // stop() may have come while fluent-ffmpeg was still probing capabilities.
      if (stopped) killProc()
      else log.info({ url: safeUrl, pid: proc?.pid }, 'live ffmpeg started')
    })
    cmd.on('progress', () => {
      st.lastProgressAt = now()
    })
    cmd.on('stderr', (line: string) => {
      stderrTail = [...stderrTail.slice(-9), line]
    })
    // fluent-ffmpeg says `end` when a stalled or closed source made ffmpeg exit 0: for a live stream that is a failure too.
    cmd.on('end', () => finish('stream ended'))
    // fluent-ffmpeg appends ffmpeg's whole stderr to the message; the tail is logged apart.
    cmd.on('error', (err: Error) => finish(err.message.split('\n')[0] ?? err.message))

    out.on('data', (chunk: Buffer) => {
      st.lastProgressAt = now()
      st.bytesOut += chunk.length
      let pieces: Fmp4Piece[]
      try {
        pieces = splitter.push(chunk)
      } catch (err) {
        log.warn({ url: safeUrl, err: strip((err as Error).message) }, 'unusable ffmpeg output, killing it')
        killReason = `unusable output: ${(err as Error).message}`
        killProc()
        return
      }
      for (const piece of pieces) {
        if (piece.kind === 'segment' && !delivered) {
          delivered = true
          st.consecutiveFailures = 0
        }
        opts.onPiece(piece)
      }
    })
    out.on('error', () => undefined)

    watchdog = setInterval(() => {
      const last = st.lastProgressAt ?? runStartedAt
      const limit = delivered ? stallMs : startGraceMs
      if (now() - last > limit) {
        log.warn({ url: safeUrl, silentMs: now() - last, started: delivered }, 'live ffmpeg made no progress, killing it')
        st.lastProgressAt = now()
        killReason = delivered ? `no progress for ${stallMs} ms` : `no media segment within ${startGraceMs} ms of its start`
        killProc()
      }
    }, Math.min(1000, Math.max(100, stallMs / 4)))
    cmd.pipe(out, { end: true })
  }

  function killProc(): void {
    const p = proc
    if (p && p.exitCode === null && p.signalCode === null) p.kill('SIGKILL')
  }

  return {
    start() {
      if (!stopped) return
      stopped = false
      run()
    },
    async stop() {
      stopped = true
      if (restartTimer) clearTimeout(restartTimer)
      restartTimer = null
      if (watchdog) clearInterval(watchdog)
      watchdog = null
      killProc()
      // fluent-ffmpeg reports an exit only once its pipes close: a stop that never hears of it must not block the next viewer's ffmpeg.
      let timer: NodeJS.Timeout | undefined
      const gaveUp = await Promise.race([runDone.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), STOP_WAIT_MS)))])
      clearTimeout(timer)
      if (gaveUp) log.warn({ url: safeUrl, pid: proc?.pid ?? null }, 'live ffmpeg did not report its exit after SIGKILL; going on')
    },
    status: () => ({
      running: proc !== null,
      pid: proc?.pid ?? null,
      runs: st.runs,
      consecutiveFailures: st.consecutiveFailures,
      lastFailure: st.lastFailure,
      lastProgressAt: st.lastProgressAt,
      bytesOut: st.bytesOut,
    }),
  }
}
