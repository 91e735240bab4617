/**
 * What the ingest API needs from a database: write a batch durably, or fail
 * loudly. The writers are in writer-v1.ts and writer-v2.ts, opened by
 * open.ts; the hub's writer wraps them with the rollup's marks
 * (hub/rollup/writer.ts), so nothing here knows of the rollup.
 */
import type { Logger } from '../../common/log.js'
import type { HubConfig } from '../config/schema.js'
import type { Point } from './line-protocol.js'

export interface PointWriter {
  /** Resolves once the database accepted every point; rejects (MotcuaError HUB_DB_UNAVAILABLE) otherwise, never retries. */
  write(points: readonly Point[]): Promise<void>
  /** Whether the database answers right now. */
  ping(): Promise<boolean>
  close(): Promise<void>
}

export interface WriterOptions {
  log: Logger
  /** Per-request limit; a hung database must turn into a 503, not a stuck edge. */
  timeoutMs?: number
  /** 1.x: create the configured retention policy (infinite, this shard duration) along with the database. */
  createRetentionPolicy?: string
}

export const rollupRetentionPolicy = (config: Extract<HubConfig['influx'], { version: 1 }>) => config.rollupRetentionPolicy ?? 'motcua_rollup'

/** Long shards: InfluxDB 1.x pays per shard and series on every query, and a year of rollup is small. */
export const ROLLUP_SHARD_DURATION = '52w'
