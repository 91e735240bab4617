/**
 * What the public pages read, computed at most once per interval per scope:
 * requests for a scope share one computation while it runs, a fresh value is
 * answered from memory, and a stale one is answered at once while a single
 * refresh runs behind it. So a crowd on the public page, or every lobby TV of
 * a province, costs the database one read per scope per interval per hub
 * instance. A failed refresh keeps the last value; only a scope never
 * computed waits for (or fails with) its first computation.
 */
export interface Cached<T> {
  value: T
  /** When the computation that made it started, ms. */
  at: number
}

export interface SharedCache<T> {
  get(scope: string): Promise<Cached<T>>
}

export function createSharedCache<T>(o: {
  ttlMs: number
  now: () => number
  compute: (scope: string) => Promise<T>
  onRefreshError?: (scope: string, err: unknown) => void
}): SharedCache<T> {
  const values = new Map<string, Cached<T>>()
  const running = new Map<string, Promise<Cached<T>>>()

  const refresh = (scope: string): Promise<Cached<T>> => {
    let p = running.get(scope)
    if (p) return p
    const at = o.now()
    p = o
      .compute(scope)
      .then((value) => {
        const c = { value, at }
        values.set(scope, c)
        return c
      })
      .finally(() => running.delete(scope))
    running.set(scope, p)
    return p
  }

  return {
    get(scope) {
      const have = values.get(scope)
      if (!have) return refresh(scope)
      if (o.now() - have.at >= o.ttlMs) {
        refresh(scope).catch((err: unknown) => o.onRefreshError?.(scope, err))
      }
      return Promise.resolve(have)
    },
  }
}
