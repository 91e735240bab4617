/**
 * The one place benchmarks read a process's CPU time and memory, from Linux
 * /proc: CPU seconds (utime + stime), resident and proportional set sizes,
 * usage over an interval, and waiting until a process is idle.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const CLK_TCK = 100

/** User + system CPU seconds a process has used so far; throws once it is gone. */
export function cpuSeconds(pid: number): number {
  // Fields after the parenthesised command name (which may hold spaces): utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(f[11]) + Number(f[12])) / CLK_TCK
}

/** A `field: N kB` line of a /proc file, in bytes; NaN when the line is missing (a zombie has no VmRSS). */
function kiB(file: string, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(file, 'utf8'))
  return m ? Number(m[1]) * 1024 : NaN
}

/** Resident memory of a process in MB (MiB); NaN without a VmRSS line; throws once it is gone. */
export function rssMb(pid: number): number {
  return kiB(`/proc/${pid}/status`, 'VmRSS') / 1024 / 1024
}

export interface ProcessUsage {
  pid: number
  /** Share of one core over the interval, in percent. */
  cpuPercent: number
  rssBytes: number
  /** Proportional set size: shared libraries (libavcodec...) split among the ffmpegs that map them. */
  pssBytes: number
}

const orNull = (read: () => number): number | null => {
  try {
    return read()
  } catch {
    return null
  }
}

/** CPU (percent of one core) and RSS of each process over `intervalMs`; NaN CPU and 0 bytes for a process that exited meanwhile. */
export async function processUsage(pids: number[], intervalMs = 5000): Promise<ProcessUsage[]> {
  const before = pids.map((pid) => orNull(() => cpuSeconds(pid)))
  const t0 = Date.now()
  await new Promise((r) => setTimeout(r, intervalMs))
  const seconds = (Date.now() - t0) / 1000
  const bytes = (file: string, field: string) => orNull(() => kiB(file, field)) || 0
  return pids.map((pid, i) => {
    const a = before[i]
    const b = orNull(() => cpuSeconds(pid))
    return {
      pid,
      cpuPercent: a === null || a === undefined || b === null ? NaN : ((b - a) / seconds) * 100,
      rssBytes: bytes(`/proc/${pid}/status`, 'VmRSS'),
      pssBytes: bytes(`/proc/${pid}/smaps_rollup`, 'Pss'),
    }
  })
}

/**
 * Resolves once a process has used under 10% of a core over 5 s, or after
 * 3 minutes whatever it does (the caller's log says which).
 */
export async function untilIdle(pid: () => number | undefined, log: (line: string) => void): Promise<void> {
  const began = Date.now()
  for (let last = cpuSeconds(pid()!); Date.now() - began < 180_000; ) {
    await new Promise((r) => setTimeout(r, 5000))
    const now = cpuSeconds(pid()!)
    if (now - last < 0.5) return log(`database idle after ${Math.round((Date.now() - began) / 1000)} s`)
    last = now
  }
  log('database still busy after 180 s; timing anyway')
}

/** Peak resident memory of a process since its start or its last `resetPeakRss`, in MB (VmHWM). */
export function peakRssMb(pid: number): number {
  return kiB(`/proc/${pid}/status`, 'VmHWM') / 1024 / 1024
}

/** Sets a process's peak resident memory back to what it holds now (Linux ≥ 4.0: "5" to clear_refs), so the next peak is one task's. */
export function resetPeakRss(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5')
}

/** Every process below `pid` (children, theirs...), from the parent ids in /proc. */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const ppid = orNull(() => {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
    })
    if (ppid !== null) children.set(ppid, [...(children.get(ppid) ?? []), Number(name)])
  }
  const out: number[] = []
  for (let queue = [pid]; queue.length; ) {
    const next = children.get(queue.shift()!) ?? []
    out.push(...next)
    queue.push(...next)
  }
  return out
}

/**
 * Watches a process while a task runs: its own peak RSS (VmHWM, reset at the
 * start) and the largest sum of its descendants' PSS seen every `everyMs`
 * (a Chromium it spawns: its processes share most of their pages, so their
 * RSS would count those many times). A descendant that lives between two
 * looks is missed.
 */
export function watchPeaks(pid: number, everyMs = 100): { stop(): { peakMb: number; childrenPeakMb: number } } {
  resetPeakRss(pid)
  let childrenPeakMb = 0
  const look = () => {
    const sum = descendants(pid).reduce((mb, child) => mb + (orNull(() => kiB(`/proc/${child}/smaps_rollup`, 'Pss') / 1024 / 1024) || 0), 0)
    childrenPeakMb = Math.max(childrenPeakMb, sum)
  }
  const timer = setInterval(look, everyMs)
  return {
    stop() {
      clearInterval(timer)
      look()
      return { peakMb: peakRssMb(pid), childrenPeakMb }
    },
  }
}
