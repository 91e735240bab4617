import { spawn, type ChildProcess } from 'node:child_process'
import { waitFor } from './wait.js'

/** A child process whose last stderr/stdout lines are kept for error messages. */
export interface Child {
  proc: ChildProcess
  /** Last ~4 KB of output, to explain a failed start. */
  tail(): string
  exited: Promise<number | null>
}

export function spawnChild(cmd: string, args: string[]): Child {
  // Its own process group: a Ctrl-C in the terminal reaches only our process,
  // which then stops its servers in order (hub before the database it writes to).
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  let out = ''
  const keep = (b: Buffer) => {
    out = (out + b.toString()).slice(-4096)
  }
  proc.stdout?.on('data', keep)
  proc.stderr?.on('data', keep)
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)))
  // A crashed test worker must not leave servers behind.
  const onExit = () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL')
  }
  process.once('exit', onExit)
  void exited.then(() => process.removeListener('exit', onExit))
  return { proc, tail: () => out, exited }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function killChild(child: Child, graceMs = 5000): Promise<void> {
  const { proc } = child
  if (proc.exitCode !== null || proc.signalCode !== null) return
  // A stopped (SIGSTOP) process cannot handle SIGTERM until continued.
  proc.kill('SIGCONT')
  proc.kill('SIGTERM')
  const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs)
  await child.exited
  clearTimeout(timer)
}

/** Polls `ready` every 100 ms until it is true, the child exits, or `timeoutMs` passes. */
export async function waitReady(child: Child, ready: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  let gone = false
  void child.exited.then(() => (gone = true))
  await waitFor(() => `${what} to be ready; its output:\n${child.tail()}`, async () => gone || (await ready()), { timeoutMs, everyMs: 100 })
  if (gone) throw new Error(`${what} exited during start:\n${child.tail()}`)
}

export async function httpStatus(url: string, init?: RequestInit): Promise<number> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(2000) })
  await res.arrayBuffer()
  return res.status
}
