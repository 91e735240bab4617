/** What the ingest API needs from a database: write a batch durably, or fail loudly. */
import type { Logger } from '../../common/log.js'
import type { HubConfig } from '../config/schema.js'
import { createMarkingWriter, type MarkingWriter } from '../rollup/writer.js'
import type { Point } from './line-protocol.js'
import { createV1Writer } from './writer-v1.js'
import { createV2Writer } from './writer-v2.js'

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

/** The hub's writer: raw points, then the rollup's marks (hub/rollup/writer.ts). */
export function createWriter(config: HubConfig['influx'], opts: WriterOptions): MarkingWriter {
  if (config.version === 2) {
    const writer = createV2Writer(config, opts)
    return createMarkingWriter(writer, writer)
  }
  const rollup = createV1Writer(
    { ...config, retentionPolicy: rollupRetentionPolicy(config) },
    { ...opts, createRetentionPolicy: ROLLUP_SHARD_DURATION },
  )
  return createMarkingWriter(createV1Writer(config, opts), rollup)
}

export const rollupRetentionPolicy = (config: Extract<HubConfig['influx'], { version: 1 }>) => config.rollupRetentionPolicy ?? 'motcua_rollup'

/** Long shards: InfluxDB 1.x pays per shard and series on every query, and a year of rollup is small. */
export const ROLLUP_SHARD_DURATION = '52w'
