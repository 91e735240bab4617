/**
 * Batch checks (pure): the envelope first, then each record on its own, so
 * one bad record is reported back instead of blocking the rest of the batch
 * (the edge keeps it as a dead letter).
 */
import { formatIssues } from '../../common/config.js'
import { stripCredentials } from '../../common/credentials.js'
import { ERRORS } from '../../common/errors.js'
import { batchSchema, edgeRecord, type BatchAck, type EdgeRecord } from '../../protocol/records.js'
import type { Point } from '../influx/line-protocol.js'
import { MAX_POINT_MS, toPoint } from '../influx/points.js'

export type Envelope = { ok: true; site: string; records: unknown[] } | { ok: false; message: string }

export function parseEnvelope(body: unknown): Envelope {
  const r = batchSchema.safeParse(body)
  if (!r.success) return { ok: false, message: formatIssues(r.error.issues).slice(0, 5).join('; ') }
  return { ok: true, site: r.data.site, records: r.data.records }
}

export interface MappedRecords {
  points: Point[]
  rejected: BatchAck['rejected']
}

/**
 * `latestMs`: the hub's clock plus the allowed skew. A record later than it is
 * refused (HUB_RECORD_FUTURE) rather than stored: the live stream follows the
 * newest point, so one point dated next year would hold it until next year.
 */
export function mapRecords(site: string, records: readonly unknown[], latestMs = MAX_POINT_MS): MappedRecords {
  const points: Point[] = []
  const rejected: BatchAck['rejected'] = []
  records.forEach((raw, index) => {
    const r = edgeRecord.safeParse(raw)
    if (!r.success) {
      rejected.push({ index, code: 'HUB_RECORD_INVALID', message: `${ERRORS.HUB_RECORD_INVALID}: ${formatIssues(r.error.issues).join('; ')}` })
    } else if (r.data.t > MAX_POINT_MS) {
      // InfluxDB would refuse the whole write for one point past year 2262.
      rejected.push({ index, code: 'HUB_RECORD_INVALID', message: `${ERRORS.HUB_RECORD_INVALID}: t: later than InfluxDB can store` })
    } else if (r.data.t > latestMs) {
      rejected.push({ index, code: 'HUB_RECORD_FUTURE', message: `${ERRORS.HUB_RECORD_FUTURE}: t ${new Date(r.data.t).toISOString()} is after ${new Date(latestMs).toISOString()}` })
    } else {
      points.push(toPoint(site, withoutCredentials(r.data)))
    }
  })
  return { points, rejected }
}

/** A camera's detail goes to InfluxDB and every dashboard: an edge from before issue 11 may still send one with a password in it. */
const withoutCredentials = (r: EdgeRecord): EdgeRecord => (r.kind === 'camera_status' ? { ...r, detail: stripCredentials(r.detail) } : r)
