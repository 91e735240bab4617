/**
 * Last line of defence against orphaned ffmpeg processes: if the edge process
 * exits without stopping its streams (crash, process.exit), every child still
 * registered here is SIGKILLed synchronously from the `exit` handler.
 */
import type { ChildProcess } from 'node:child_process'

const children = new Set<ChildProcess>()
let hooked = false

function killAll(): void {
  for (const p of children) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL')
}

export function killOnExit(p: ChildProcess): void {
  children.add(p)
  if (!hooked) {
    hooked = true
    process.once('exit', killAll)
  }
}

export function forgetOnExit(p: ChildProcess): void {
  children.delete(p)
}

/** PIDs of the live ffmpeg processes this program has started and not yet seen exit. */
export function livePids(): number[] {
  return [...children].flatMap((p) => (p.pid && p.exitCode === null && p.signalCode === null ? [p.pid] : []))
}
