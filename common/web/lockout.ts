/**
 * Failed sign-ins counted per client address, so a password cannot be
 * guessed at speed: after `maxFailures` failures within `lockMs` of each
 * other the address is locked until `lockMs` after its last failure. Bounded:
 * entries are kept in order of their last failure, the expired ones at the
 * front are dropped as failures come in, and past `maxEntries` (a guesser
 * spraying addresses) the oldest go first, so memory stays flat whatever
 * the traffic.
 */
interface Failures {
  count: number
  until: number
}

export interface LockoutOptions {
  now?: () => number
  maxFailures?: number
  lockMs?: number
  maxEntries?: number
}

export class Lockout {
  private readonly failures = new Map<string, Failures>()
  private readonly now: () => number
  private readonly maxFailures: number
  private readonly lockMs: number
  private readonly maxEntries: number

  constructor(o: LockoutOptions = {}) {
    this.now = o.now ?? Date.now
    this.maxFailures = o.maxFailures ?? 5
    this.lockMs = o.lockMs ?? 60_000
    this.maxEntries = o.maxEntries ?? 10_000
  }

  locked(client: string): boolean {
    const f = this.failures.get(client)
    return f !== undefined && f.count >= this.maxFailures && f.until > this.now()
  }

  failed(client: string): void {
    const now = this.now()
    const f = this.failures.get(client)
    const count = f && f.until > now ? f.count + 1 : 1
    // Re-inserted so the map stays ordered by last failure, oldest first.
    this.failures.delete(client)
    this.failures.set(client, { count, until: now + this.lockMs })
    for (const [k, old] of this.failures) {
      if (old.until > now && this.failures.size <= this.maxEntries) break
      this.failures.delete(k)
    }
  }

  succeeded(client: string): void {
    this.failures.delete(client)
  }

  /** How many addresses are counted (for tests and a status page). */
  get size(): number {
    return this.failures.size
  }
}
