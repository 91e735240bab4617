/**
 * The delivery log: one point per attempt to email a scheduled report, in
 * InfluxDB (measurement `report_delivery`), so every hub instance and a
 * restarted one see what was sent, what failed and why. The console shows
 * it to administrators.
 */
import type { Point } from '../influx/line-protocol.js'
import type { PointWriter } from '../influx/writer.js'
import { rowsOf, type InfluxQuery } from '../queries/client.js'
import { quote, timeRange } from '../queries/influxql.js'

export const DELIVERY_MEASUREMENT = 'report_delivery'

/** sent: delivered; failed: tried again later; gave_up: no more tries (maxAttempts reached). */
export type DeliveryStatus = 'sent' | 'failed' | 'gave_up'

export interface DeliveryEntry {
  time: number
  schedule: string
  period: string
  status: DeliveryStatus
  attempt: number
  recipients: number
  formats: string
  /** The SMTP server's or the report's error; never a credential. */
  error: string
  /** When the next attempt is planned (failed only), ms. */
  nextAt: number | null
}

export function deliveryPoint(e: DeliveryEntry, nanos: number): Point {
  return {
    measurement: DELIVERY_MEASUREMENT,
    tags: { period: e.period, schedule: e.schedule, status: e.status },
    fields: { attempt: e.attempt, recipients: e.recipients, formats: e.formats, error: e.error.slice(0, 500), next_at: e.nextAt ?? 0 },
    timestampNs: `${e.time}${String(nanos % 1_000_000).padStart(6, '0')}`,
  }
}

export interface DeliveryLog {
  add(e: DeliveryEntry): Promise<void>
  /** Newest first. */
  list(fromMs: number, toMs: number, limit: number): Promise<DeliveryEntry[]>
  /** Every attempt for one schedule's period, oldest first. */
  attempts(schedule: string, period: string, sinceMs: number, toMs: number): Promise<DeliveryEntry[]>
}

const SELECT = `SELECT "attempt", "recipients", "formats", "error", "next_at", "schedule", "period", "status" FROM "${DELIVERY_MEASUREMENT}"`

function entryOf(r: Record<string, unknown>): DeliveryEntry {
  return {
    time: Number(r.time),
    schedule: String(r.schedule),
    period: String(r.period),
    status: String(r.status) as DeliveryStatus,
    attempt: Number(r.attempt),
    recipients: Number(r.recipients),
    formats: String(r.formats ?? ''),
    error: String(r.error ?? ''),
    nextAt: Number(r.next_at) > 0 ? Number(r.next_at) : null,
  }
}

export function createDeliveryLog(o: { writer: PointWriter; db: InfluxQuery }): DeliveryLog {
  let nanos = 0
  const read = async (where: string, order: string) => {
    const [series] = await o.db.run([`${SELECT} WHERE ${where} ORDER BY time ${order}`])
    return (series ?? []).flatMap(rowsOf).map(entryOf)
  }
  return {
    add: (e) => o.writer.write([deliveryPoint(e, nanos++)]),
    list: (fromMs, toMs, limit) => read(timeRange(fromMs, toMs), `DESC LIMIT ${Math.max(1, Math.min(1000, Math.floor(limit)))}`),
    attempts: (schedule, period, sinceMs, toMs) =>
      read(`${timeRange(sinceMs, toMs)} AND "schedule" = ${quote(schedule)} AND "period" = ${quote(period)}`, 'ASC'),
  }
}
