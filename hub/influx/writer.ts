/** What the ingest API needs from a database: write a batch durably, or fail loudly. */
import type { Logger } from '../../common/log.js'
import type { HubConfig } from '../config/schema.js'
import type { Point } from './lineProtocol.js'
import { createV1Writer } from './writerV1.js'
import { createV2Writer } from './writerV2.js'

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
}

export function createWriter(config: HubConfig['influx'], opts: WriterOptions): PointWriter {
  return config.version === 1 ? createV1Writer(config, opts) : createV2Writer(config, opts)
}
