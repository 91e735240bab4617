/**
 * Durable before sent, deleted only when acknowledged: every rating is in
 * the PendingStore before it is published at QoS 1 and leaves it only in the
 * publish callback, which mqtt.js calls on PUBACK. On (re)connect and on
 * reload whatever is still stored is published again with its own event id;
 * the edge dedups by that id, so a resend never counts twice.
 */
import type { Pending, PendingStore } from './store.js'

/** mqtt.js publish at QoS 1; `done` runs on PUBACK, or with an error if the client gave up on the packet. */
export type Publish = (topic: string, payload: string, done: (err?: Error) => void) => void

export interface SenderOptions {
  store: PendingStore
  publish: Publish
  now: () => number
  onAcked: (id: string) => void
  onDepth: (depth: number) => void
  /**
   * mqtt.js itself resends a packet that was in flight when the link dropped;
   * past this age without PUBACK the sender publishes it again as a safety net.
   */
  resendAfterMs?: number
}

export class PendingSender {
  private readonly inflight = new Map<string, number>()
  private readonly known = new Set<string>()
  private readonly unstored = new Map<string, Pending>()
  private connected = false
  private flushing: Promise<void> | null = null

  constructor(private readonly o: SenderOptions) {}

  /** Loads what a previous page left unsent. */
  async start(): Promise<void> {
    for (const p of await this.o.store.all()) this.known.add(p.id)
    this.o.onDepth(this.known.size)
  }

  async add(p: Pending): Promise<void> {
    // A failed write (quota, storage evicted) must not cost the citizen's rating: it is kept in memory instead.
    await this.o.store.put(p).catch(() => this.unstored.set(p.id, p))
    this.known.add(p.id)
    this.o.onDepth(this.known.size)
    if (this.connected && !this.inflight.has(p.id)) this.send(p)
  }

  setConnected(up: boolean): void {
    this.connected = up
    if (up) void this.flush()
  }

  depth(): number {
    return this.known.size
  }

  /** Publishes every stored record that is not already on its way. */
  flush(): Promise<void> {
    this.flushing ??= this.doFlush().finally(() => (this.flushing = null))
    return this.flushing
  }

  private async doFlush(): Promise<void> {
    const resendAfter = this.o.resendAfterMs ?? 30_000
    const stored = await this.o.store.all().catch(() => [])
    for (const p of [...stored, ...this.unstored.values()]) {
      if (!this.connected) return
      const sentAt = this.inflight.get(p.id)
      if (sentAt === undefined || this.o.now() - sentAt > resendAfter) this.send(p)
    }
  }

  private send(p: Pending): void {
    this.inflight.set(p.id, this.o.now())
    this.o.publish(p.topic, p.payload, (err) => {
      this.inflight.delete(p.id)
      if (err) return
      this.unstored.delete(p.id)
      // If the delete fails the record is simply published again later; the edge dedups it.
      this.o.store.delete(p.id).then(
        () => {
          this.known.delete(p.id)
          this.o.onDepth(this.known.size)
          this.o.onAcked(p.id)
        },
        () => undefined,
      )
    })
  }
}
