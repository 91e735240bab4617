/**
 * The one place benchmarks read a process's CPU time and memory, from Linux
 * /proc: CPU seconds (utime + stime), resident and proportional set sizes,
 * usage over an interval, and waiting until a process is idle.
 */
import { readFileSync } from 'node:fs'

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
