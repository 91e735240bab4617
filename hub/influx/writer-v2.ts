/**
 * InfluxDB 2.x (and compatible: VictoriaMetrics) writer through
 * @influxdata/influxdb-client. The client's own retry buffer is switched off:
 * the edge's outbox is the durable retry queue, so a failure must surface as
 * a 503 at once instead of being held in this stateless process's memory.
 */
import { InfluxDB, setLogger } from '@influxdata/influxdb-client'
import { MotcuaError } from '../../common/errors.js'
import { MAX_BATCH_RECORDS } from '../../protocol/records.js'
import type { HubConfig } from '../config/schema.js'
import type { Point } from './line-protocol.js'
import { toLines } from './points.js'
import type { PointWriter, WriterOptions } from './writer.js'

type V2Config = Extract<HubConfig['influx'], { version: 2 }>

export function createV2Writer(config: V2Config, { log, timeoutMs = 30_000 }: WriterOptions): PointWriter {
  // The client logs to the console by default; its failures already reach us as rejections.
  setLogger({
    error: (message, err) => log.debug({ err, message }, 'influxdb client error'),
    warn: (message, err) => log.debug({ err, message }, 'influxdb client warning'),
  })
  const client = new InfluxDB({ url: config.url, token: config.token || undefined, timeout: timeoutMs })
  const writeOptions = {
    maxRetries: 0,
    maxBufferLines: 0,
    flushInterval: 0,
    // Larger than any batch so the client never flushes on its own (it would swallow that flush's error).
    batchSize: MAX_BATCH_RECORDS + 1,
    maxBatchBytes: Number.MAX_SAFE_INTEGER,
  }
  const pingUrl = new URL('/ping', config.url)

  return {
    async write(points: readonly Point[]) {
      if (points.length === 0) return
      // One WriteApi per batch, so concurrent batches never share a buffer or a flush.
      const api = client.getWriteApi(config.org, config.bucket, 'ns', writeOptions)
      api.writeRecords(toLines(points))
      try {
        await api.flush()
      } catch (err) {
        throw new MotcuaError('HUB_DB_UNAVAILABLE', (err as Error).message, { cause: err })
      } finally {
        api.dispose()
      }
    },
    async ping() {
      try {
        const res = await fetch(pingUrl, { signal: AbortSignal.timeout(Math.min(timeoutMs, 2000)) })
        await res.arrayBuffer()
        return res.ok
      } catch {
        return false
      }
    },
    async close() {},
  }
}
