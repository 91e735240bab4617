/**
 * Makes a long-running script own its children: whatever ends it, no child
 * outlives it. Every way out ends the same: the script's own orderly stop
 * (bounded), then every descendant still running — influxd, the camera
 * simulator's RTSP servers, the edge's ffmpeg — is stopped by PID.
 *
 * - SIGINT (Ctrl-C, which npm also forwards), SIGTERM (a service manager,
 *   `timeout`, npm forwarding its own), SIGHUP (a closed terminal): orderly
 *   stop, exit 0. Repeats of the signal while stopping change nothing.
 * - The parent going away (npm killed, its shell gone): noticed within
 *   `watchParentMs`, then the same.
 * - An uncaught exception or unhandled rejection: no orderly stop (the
 *   script's state is unknown); descendants are stopped synchronously, exit 1.
 * - Any other exit (process.exit anywhere): descendants still running are
 *   SIGKILLed in the `exit` handler.
 * Only SIGKILL of the script itself gets past all of this; the data folder's
 * lock (site-lock.ts) then cleans up at the next start.
 */
import { descendants, stopProcessesSync } from './process-tree.js'

export interface OwnChildrenOptions {
  /** The script's orderly stop: servers in order, the database last. */
  stop: () => Promise<void>
  /** Bound on the orderly stop; what is left is stopped by PID after it. Default 20 s. */
  stopTimeoutMs?: number
  /** SIGTERM → SIGKILL grace for descendants stopped by PID. Default 5 s. */
  graceMs?: number
  /** How often the parent is checked. Default 1 s. */
  watchParentMs?: number
  /** Runs last on every way out, synchronously (release a lock). */
  atExit?: () => void
}

export interface OwnedChildren {
  /** Orderly stop, then every descendant, then exit with `code`. Idempotent: later calls get the first one's promise. */
  shutdown(code: number, why: string): Promise<void>
}

export function ownChildren(opts: OwnChildrenOptions): OwnedChildren {
  const { stopTimeoutMs = 20_000, graceMs = 5000, watchParentMs = 1000 } = opts
  let stopping: Promise<void> | null = null
  let finished = false

  /** Synchronous: stops what is left and releases what must be released. */
  const finish = (grace: number) => {
    if (finished) return
    finished = true
    const left = descendants()
    const killed = stopProcessesSync(left, grace)
    // At exit (grace 0) everything left is killed at once, the TypeScript loader's esbuild with it: nothing to report.
    if (killed.length && grace > 0) console.error(`killed ${killed.length} process(es) that did not stop within ${grace} ms: ${killed.join(', ')}`)
    opts.atExit?.()
  }

  const shutdown = (code: number, why: string): Promise<void> => {
    stopping ??= (async () => {
      console.log(`\nĐang dừng / stopping (${why})…`)
      let timer: NodeJS.Timeout | undefined
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), stopTimeoutMs)))
      const result = await Promise.race([
        opts.stop().then(
          () => 'stopped' as const,
          (err: unknown) => console.error(`stop failed: ${(err as Error).message}`),
        ),
        late,
      ])
      clearTimeout(timer)
      if (result === 'late') console.error(`not stopped after ${stopTimeoutMs / 1000} s; stopping what is left by PID`)
      finish(graceMs)
      process.exit(code)
    })()
    return stopping
  }

  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(0, signal))

  // npm (or the shell) gone: this process now has another parent (init or a subreaper).
  const parent = process.ppid
  const watch = setInterval(() => {
    if (process.ppid !== parent) void shutdown(0, `parent process ${parent} is gone`)
  }, watchParentMs)
  watch.unref()

  const crash = (err: unknown) => {
    console.error(`crashed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)
    finish(graceMs)
    process.exit(1)
  }
  process.on('uncaughtException', crash)
  process.on('unhandledRejection', crash)
  // The last word on every exit that did not go through the above: no waiting possible here.
  process.on('exit', () => finish(0))
  // A closed terminal must not turn a clean stop into a crash.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined)

  return { shutdown }
}
