import type { EdgeRecord } from '../../protocol/records.js'
import type { Stamp } from '../clock/types.js'

/** A record before the outbox gives it its sequence number and time. */
export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never
export type NewRecord = DistributiveOmit<EdgeRecord, 'seq' | 't' | 'clock'>

export interface OutboxStats {
  depth: number
  bytes: number
  oldestAgeS: number
  shed: number
  deadLetters: number
  /** Why the outbox refuses writes right now (e.g. disk full), or null. */
  refusing: string | null
}

export interface Outbox {
  /**
   * Durably stores one record; resolves after the group commit that holds it
   * is fsynced. With a dedupKey (device id + event id) a second append of the
   * same key resolves 'duplicate' and stores nothing.
   * Rejects with MotcuaError EDGE_DISK_FULL or EDGE_STORE_FAILED.
   */
  append(record: NewRecord, stamp: Stamp, dedupKey?: string): Promise<'stored' | 'duplicate'>
  stats(): OutboxStats
  close(): Promise<void>
}

/** One queued record as the forwarder sees it; `bytes` is its share of the outbox's disk budget. */
export interface OutboxEntry {
  readonly key: string
  readonly seq: number
  readonly record: NewRecord
  /** `record` as stored (JSON); a batch body is built from it without re-serializing. */
  readonly recordJson: string
  readonly stamp: Stamp
  readonly bytes: number
}

/** What the forwarder needs besides appending. Every method persists with a synced batch before resolving. */
export interface ForwardableOutbox extends Outbox {
  /**
   * Oldest entries first, critical records (ratings, tickets) before the rest,
   * so a metrics backlog never delays a rating. `after` (the entries of the
   * previous batch, still being removed) lets the next batch be read while
   * that removal is in flight: only entries past them in each lane are returned.
   */
  peek(limit: number, after?: readonly OutboxEntry[]): Promise<OutboxEntry[]>
  /** Deletes delivered entries (as returned by peek). */
  remove(entries: readonly OutboxEntry[]): Promise<void>
  /** Moves refused entries to the dead-letter keyspace; they are kept and counted, never dropped. */
  markDead(entries: readonly OutboxEntry[], reason: string): Promise<void>
  /**
   * Moves the dead letters kept for `reason` whose point time is at or before
   * `dueBy` back to the queue, under their own sequence numbers: sent again,
   * they carry the same seq and time, so the hub's writes stay idempotent.
   * Resolves with how many moved; answers 0 without a read when none is due.
   */
  requeueDead(reason: string, dueBy: number): Promise<number>
  /** Stores new stamps (finalized times) for entries, so a replay carries identical times. */
  rewrite(entries: readonly OutboxEntry[]): Promise<OutboxEntry[]>
  /** Called after every committed append batch; returns an unsubscribe function. */
  onAppend(listener: () => void): () => void
}
