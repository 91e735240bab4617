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
