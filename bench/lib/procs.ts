/** Child processes for benchmarks: each server runs in its own process, as it would in production. */
import { spawn, type ChildProcess } from 'node:child_process'
import { resolve } from 'node:path'
import { serviceStart } from '../../scripts/lib/units.js'

const ROOT = resolve(import.meta.dirname, '../..')
/**
 * Hubs and edges run with their packaged unit's malloc setting (the edge returns freed blocks from 128 KiB, the
 * hub from 4 MiB: docs/pi.md), and hubs with its node flags (the heap's bound: docs/reports.md); an edge's
 * flags are a Pi's (bench/pi.ts). Other processes, as a hub.
 */
const UNITS = { edge: serviceStart('edge'), hub: serviceStart('hub') }
const HUB_SCRIPTS = ['hub/main.ts', 'dist/hub.js']
const isEdge = (script: string) => script.startsWith('edge/') || script === 'dist/edge.js'

export interface Proc {
  pid: number
  /** The first stdout line that parsed as JSON and contained `marker`. */
  ready: Record<string, unknown>
  /** Last ~4 KB of stderr, to explain a crash. */
  stderr(): string
  /** The exit code, or null while it runs (or when a signal ended it). */
  exitCode(): number | null
  stop(): Promise<void>
}

/**
 * Starts `node --import tsx <script> ...args` (a `.js` script, such as the production build's dist/hub.js, without
 * tsx) and waits for a JSON stdout line containing `marker`.
 * `onLine` then gets every later JSON line (a process reporting as it goes).
 */
export async function startTsProcess(
  script: string, args: string[], marker: string, env: Record<string, string> = {}, onLine?: (line: Record<string, unknown>) => void,
  startMs = 60_000,
): Promise<Proc> {
  // BENCH_CPU_PROF=<dir>: every server writes a V8 CPU profile there when it exits (node refuses --cpu-prof in NODE_OPTIONS).
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []
  const loader = script.endsWith('.ts') ? ['--import', 'tsx'] : []
  const flags = HUB_SCRIPTS.includes(script) ? UNITS.hub.nodeFlags : []
  const child: ChildProcess = spawn(process.execPath, [...profile, ...flags, ...loader, resolve(ROOT, script), ...args], {
    cwd: ROOT,
    // As the packaged units run them: glibc returns large freed blocks.
    env: { ...process.env, LOG_LEVEL: 'warn', GLIBC_TUNABLES: (isEdge(script) ? UNITS.edge : UNITS.hub).glibcTunables, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()))
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)))
  const ready = await new Promise<Record<string, unknown>>((ok, fail) => {
    // A process that did not start is ended here: the caller never gets it to stop.
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      fail(new Error(`${script} did not start in ${startMs / 1000} s: ${stderr}`))
    }, startMs)
    let out = ''
    const onData = (d: Buffer) => {
      out += d.toString()
      for (const line of out.split('\n')) {
        if (!line.includes(marker)) continue
        try {
          const parsed = JSON.parse(line) as Record<string, unknown>
          clearTimeout(timer)
          child.stdout!.off('data', onData)
          if (onLine) followLines(child, onLine)
          else child.stdout!.resume()
          ok(parsed)
          return
        } catch {
          // a partial line; wait for more output
        }
      }
    }
    child.stdout!.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      fail(new Error(`${script} exited with ${code}: ${stderr}`))
    })
  })
  return {
    pid: child.pid!,
    ready,
    stderr: () => stderr,
    exitCode: () => child.exitCode,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      const force = setTimeout(() => child.kill('SIGKILL'), 10_000)
      child.kill('SIGTERM')
      await exited
      clearTimeout(force)
    },
  }
}

function followLines(child: ChildProcess, onLine: (line: Record<string, unknown>) => void): void {
  let rest = ''
  child.stdout!.on('data', (d: Buffer) => {
    const lines = (rest + d.toString()).split('\n')
    rest = lines.pop() ?? ''
    for (const line of lines) {
      try {
        onLine(JSON.parse(line) as Record<string, unknown>)
      } catch {
        // not a JSON line (a stray print): only JSON lines report
      }
    }
  })
}
