/**
 * Free space on the outbox's filesystem, cached briefly: statfs is cheap but
 * group commits can run hundreds of times a second.
 */
import { statfs as fsStatfs } from 'node:fs/promises'

export type StatfsFn = (dir: string) => Promise<{ bavail: number | bigint; bsize: number | bigint }>

export interface DiskGauge {
  /** Free bytes available to this process, refreshed at most every `cacheMs`. */
  freeBytes(): Promise<number>
  /** The cached value while it is fresh, else null: lets a hot path skip a promise (the outbox's append). */
  freshFreeBytes(): number | null
  /** Last known value without touching the disk (null before the first check). */
  lastFreeBytes(): number | null
  /** Forget the cached value, e.g. after ENOSPC, so the next check is fresh. */
  invalidate(): void
}

export function diskGauge(dir: string, opts: { statfs?: StatfsFn; cacheMs?: number; now: () => number }): DiskGauge {
  const statfs = opts.statfs ?? fsStatfs
  const cacheMs = opts.cacheMs ?? 1000
  let value: number | null = null
  let at = -Infinity
  let pending: Promise<number> | null = null
  const fresh = () => (value !== null && opts.now() - at < cacheMs ? value : null)
  return {
    async freeBytes() {
      const cached = fresh()
      if (cached !== null) return cached
      pending ??= statfs(dir)
        .then((s) => {
          value = Number(s.bavail) * Number(s.bsize)
          at = opts.now()
          return value
        })
        .finally(() => {
          pending = null
        })
      return pending
    },
    freshFreeBytes: fresh,
    lastFreeBytes: () => value,
    invalidate() {
      at = -Infinity
    },
  }
}
