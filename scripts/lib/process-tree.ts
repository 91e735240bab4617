/**
 * Processes as Linux's /proc shows them: who descends from whom, when a
 * process started (so a PID reused by another program is told apart), and
 * stopping a set of PIDs without leaving any behind. Synchronous on purpose:
 * the last handlers of a dying process (uncaught exception, `exit`) cannot
 * wait for promises.
 */
import { readdirSync, readFileSync } from 'node:fs'

/** Fields of /proc/<pid>/stat after the command name, which may itself hold spaces and parentheses. */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  } catch {
    return null
  }
}

/** Whether the process exists and has not exited (a zombie waiting for its parent counts as gone). */
export function isRunning(pid: number): boolean {
  const state = statFields(pid)?.[0]
  return state !== undefined && state !== 'Z' && state !== 'X'
}

/** When the process started, in clock ticks since boot; null once it is gone. With the boot id it names one process for good. */
export function startTicks(pid: number): number | null {
  const ticks = Number(statFields(pid)?.[19])
  return Number.isFinite(ticks) ? ticks : null
}

export function bootId(): string {
  return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()
}

/** The command line, arguments separated by spaces; "" once the process is gone. */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()
  } catch {
    return ''
  }
}

/** Every running process as pid → parent pid. */
function parents(): Map<number, number> {
  const out = new Map<number, number>()
  for (const name of readdirSync('/proc')) {
    const pid = Number(name)
    if (!Number.isInteger(pid)) continue
    const fields = statFields(pid)
    if (fields && fields[0] !== 'Z') out.set(pid, Number(fields[1]))
  }
  return out
}

/** PIDs of every live descendant of `root` (children, their children…), parents before children. */
export function descendants(root: number = process.pid): number[] {
  const byParent = new Map<number, number[]>()
  for (const [pid, ppid] of parents()) byParent.set(ppid, [...(byParent.get(ppid) ?? []), pid])
  const out: number[] = []
  for (let queue = [root]; queue.length; ) {
    const next: number[] = []
    for (const pid of queue) next.push(...(byParent.get(pid) ?? []))
    out.push(...next)
    queue = next
  }
  return out
}

/** PIDs of running processes, this one aside, whose command line passes `match`. */
export function findProcesses(match: (commandLine: string) => boolean): number[] {
  return [...parents().keys()].filter((pid) => pid !== process.pid && match(commandLine(pid)))
}

const pause = new Int32Array(new SharedArrayBuffer(4))
/** Blocks this thread (no event loop runs meanwhile). */
export function sleepSync(ms: number): void {
  Atomics.wait(pause, 0, 0, ms)
}

const signal = (pid: number, sig: NodeJS.Signals) => {
  try {
    process.kill(pid, sig)
  } catch {
    // Gone already, or not ours to signal.
  }
}

/**
 * SIGTERM to each (SIGCONT first: a stopped process cannot act on it), then
 * SIGKILL to whatever still runs after `graceMs`. Returns the PIDs that had to
 * be killed.
 */
export function stopProcessesSync(pids: readonly number[], graceMs = 5000): number[] {
  const live = pids.filter(isRunning)
  for (const pid of live) {
    signal(pid, 'SIGCONT')
    signal(pid, 'SIGTERM')
  }
  const deadline = Date.now() + graceMs
  while (live.some(isRunning) && Date.now() < deadline) sleepSync(20)
  const stubborn = live.filter(isRunning)
  for (const pid of stubborn) signal(pid, 'SIGKILL')
  return stubborn
}
