/**
 * The one way tests wait for something to happen: poll a check until it
 * returns a truthy value, or throw an error that names what never happened
 * (with the last value the check returned, or the last error it threw).
 *
 * The timeout is an "it happens at all" bound on a busy 2-core machine, not a
 * latency target: how fast things happen is measured under bench/, not here.
 */
import { inspect } from 'node:util'

export interface WaitOptions {
  /** Give up after this long; default 20 s. */
  timeoutMs?: number
  /** Pause between checks; default 50 ms. */
  everyMs?: number
}

export async function waitFor<T>(
  what: string | (() => string),
  check: () => T | Promise<T>,
  opts: WaitOptions = {},
): Promise<NonNullable<T>> {
  const { timeoutMs = 20_000, everyMs = 50 } = opts
  const deadline = Date.now() + timeoutMs
  let last: { value: T } | { error: unknown } | undefined
  for (;;) {
    try {
      const value = await check()
      if (value) return value as NonNullable<T>
      last = { value }
    } catch (error) {
      last = { error }
    }
    if (Date.now() >= deadline) break
    await new Promise((r) => setTimeout(r, Math.min(everyMs, Math.max(0, deadline - Date.now()))))
  }
  const name = typeof what === 'function' ? what() : what
  const seen = last === undefined ? '' : 'error' in last ? `; the check last threw: ${inspect(last.error)}` : `; the check last returned ${inspect(last.value)}`
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${name}${seen}`)
}
