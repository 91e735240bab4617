import { randomUUID } from 'node:crypto'
import type { Notification } from '../soap/events.js'

interface Waiter {
  limit: number
  resolve: (messages: Notification[]) => void
}

interface PullPoint {
  id: string
  terminationMs: number
  queue: Notification[]
  waiters: Set<Waiter>
}

export interface PullPointOptions {
  /** The camera's clock (skewed under the clock-skew fault). */
  now: () => number
  /** ONVIF Events 5.12.1 lets a device cap its pull points; clients must cope with the fault. */
  maxPullPoints?: number
  /** Messages kept per subscription when nobody pulls; the oldest are dropped first. */
  maxQueue?: number
}

/** What clients did with this camera's subscriptions, for tests that check a client gives its subscriptions back. */
export interface SubscriptionStats {
  /** Subscriptions alive now. */
  live: number
  created: number
  /** CreatePullPointSubscription refused because every slot was taken. */
  refusedFull: number
  renewed: number
  /** Renew answered with a fault although the subscription exists (the renew-message-id quirk). */
  renewRefused: number
  unsubscribed: number
  expired: number
}

/** Pull-point subscriptions (ONVIF Events 5.12): queues, long-poll waits and termination times. */
export class PullPoints {
  private readonly points = new Map<string, PullPoint>()
  private readonly maxPullPoints: number
  private readonly maxQueue: number
  private readonly counts = { created: 0, refusedFull: 0, renewed: 0, renewRefused: 0, unsubscribed: 0, expired: 0 }

  constructor(private readonly opts: PullPointOptions) {
    this.maxPullPoints = opts.maxPullPoints ?? 10
    this.maxQueue = opts.maxQueue ?? 100
  }

  /** Creates a subscription primed with `initial` (PropertyOperation=Initialized); undefined when full. */
  create(terminationMs: number, initial: Notification[]): { id: string; terminationMs: number } | undefined {
    this.expire()
    if (this.points.size >= this.maxPullPoints) {
      this.counts.refusedFull++
      return undefined
    }
    const p: PullPoint = { id: randomUUID(), terminationMs, queue: [...initial], waiters: new Set() }
    this.points.set(p.id, p)
    this.counts.created++
    return { id: p.id, terminationMs }
  }

  stats(): SubscriptionStats {
    return { live: this.size, ...this.counts }
  }

  /** Counts a Renew a client sent for a live subscription: answered, or extended but answered with a fault. */
  noteRenew(answered: boolean): void {
    if (answered) this.counts.renewed++
    else this.counts.renewRefused++
  }

  /** The subscription's termination time, or undefined if it does not exist or has expired. */
  terminationOf(id: string): number | undefined {
    this.expire()
    return this.points.get(id)?.terminationMs
  }

  renew(id: string, terminationMs: number): boolean {
    const p = this.live(id)
    if (!p) return false
    p.terminationMs = terminationMs
    return true
  }

  /** Unsubscribe by a client: removed and counted. */
  unsubscribe(id: string): boolean {
    const removed = this.remove(id)
    if (removed) this.counts.unsubscribed++
    return removed
  }

  remove(id: string): boolean {
    const p = this.points.get(id)
    if (!p) return false
    this.points.delete(id)
    for (const w of p.waiters) w.resolve([])
    return true
  }

  get size(): number {
    this.expire()
    return this.points.size
  }

  /** Queues the notifications on every live subscription and wakes waiting pulls. */
  publish(messages: Notification[]): void {
    this.expire()
    for (const p of this.points.values()) {
      p.queue.push(...messages)
      if (p.queue.length > this.maxQueue) p.queue.splice(0, p.queue.length - this.maxQueue)
      this.wake(p)
    }
  }

  /**
   * PullMessages: answers at once when messages are queued, otherwise when
   * one arrives or after `timeoutMs` with none. Undefined if the subscription
   * is unknown or expired.
   */
  pull(id: string, timeoutMs: number, limit: number, signal?: AbortSignal): Promise<Notification[]> | undefined {
    const p = this.live(id)
    if (!p) return undefined
    if (p.queue.length > 0) return Promise.resolve(p.queue.splice(0, limit))
    return new Promise((resolve) => {
      const done = (messages: Notification[]) => {
        clearTimeout(timer)
        p.waiters.delete(waiter)
        signal?.removeEventListener('abort', onAbort)
        resolve(messages)
      }
      const waiter: Waiter = { limit, resolve: done }
      const onAbort = () => done([])
      const timer = setTimeout(() => done([]), Math.max(0, timeoutMs))
      p.waiters.add(waiter)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  /** Ends every wait (simulator stop or going offline). */
  closeAll(): void {
    for (const id of [...this.points.keys()]) this.remove(id)
  }

  private wake(p: PullPoint): void {
    for (const w of [...p.waiters]) {
      if (p.queue.length === 0) break
      w.resolve(p.queue.splice(0, w.limit))
    }
  }

  private live(id: string): PullPoint | undefined {
    this.expire()
    return this.points.get(id)
  }

  private expire(): void {
    const now = this.opts.now()
    for (const p of [...this.points.values()]) {
      if (now <= p.terminationMs) continue
      this.remove(p.id)
      this.counts.expired++
    }
  }
}
