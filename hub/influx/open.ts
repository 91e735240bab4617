/** The configured database's writers: raw points, and the rollup's (its own retention policy on 1.x, the same bucket on 2.x). */
import type { HubConfig } from '../config/schema.js'
import { ROLLUP_SHARD_DURATION, rollupRetentionPolicy, type PointWriter, type WriterOptions } from './writer.js'
import { createV1Writer } from './writer-v1.js'
import { createV2Writer } from './writer-v2.js'

export function openWriters(config: HubConfig['influx'], opts: WriterOptions): { raw: PointWriter; rollup: PointWriter } {
  if (config.version === 2) {
    const writer = createV2Writer(config, opts)
    return { raw: writer, rollup: writer }
  }
  const rollup = createV1Writer({ ...config, retentionPolicy: rollupRetentionPolicy(config) }, { ...opts, createRetentionPolicy: ROLLUP_SHARD_DURATION })
  return { raw: createV1Writer(config, opts), rollup }
}
