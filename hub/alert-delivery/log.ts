/**
 * What was sent to whom: one point per attempt to deliver an alert's raise
 * or clear to one recipient by one channel, in InfluxDB (measurement
 * `alert_delivery`), so every hub instance and a restarted one agree on
 * what went, what is waiting for a retry, and what the rate limit held back.
 * The recipient is named by its config id; addresses (email, phone) stay in
 * the config. Administrators read it in the console and, per site, the API.
 */
import type { AlertKind } from '../kpi/alerts/types.js'
import type { Point } from '../influx/line-protocol.js'
import type { PointWriter } from '../influx/writer.js'
import { rowsOf, type InfluxQuery } from '../queries/client.js'
import { tagFilters, timeRange } from '../queries/influxql.js'

export const ALERT_DELIVERY_MEASUREMENT = 'alert_delivery'

export const ALERT_CHANNELS = ['email', 'webhook'] as const
export type AlertChannel = (typeof ALERT_CHANNELS)[number]
export type AlertTransition = 'raised' | 'cleared'

/** sent: delivered; failed: tried again at `nextAt`; gave_up: no more tries; suppressed: held back by a rate limit, never sent. */
export type AlertDeliveryStatus = 'sent' | 'failed' | 'gave_up' | 'suppressed'

export interface AlertDeliveryEntry {
  time: number
  /** `${alertId}|${transition}|${recipient}|${channel}`: the same for every attempt, and the webhook's Idempotency-Key. */
  key: string
  alertId: string
  kind: AlertKind
  site: string
  subject: string
  transition: AlertTransition
  recipient: string
  channel: AlertChannel
  status: AlertDeliveryStatus
  /** 1-based; 0 for a suppressed message. */
  attempt: number
  /** The Vietnamese text sent (names of sites and counters, never a person's data). */
  text: string
  /** The mail server's or the webhook's error, or the rate limit that held it back; never a credential. */
  error: string
  nextAt: number | null
}

export const deliveryKey = (alertId: string, transition: AlertTransition, recipient: string, channel: AlertChannel) =>
  `${alertId}|${transition}|${recipient}|${channel}`

export function alertDeliveryPoint(e: AlertDeliveryEntry, nanos: number): Point {
  return {
    measurement: ALERT_DELIVERY_MEASUREMENT,
    tags: { channel: e.channel, kind: e.kind, recipient: e.recipient, site: e.site, status: e.status },
    fields: {
      key: e.key, alert_id: e.alertId, subject: e.subject, transition: e.transition, attempt: e.attempt,
      text: e.text.slice(0, 1000), error: e.error.slice(0, 500), next_at: e.nextAt ?? 0,
    },
    // Attempts in the same millisecond keep apart (one point per series and time).
    timestampNs: `${e.time}${String(nanos % 1_000_000).padStart(6, '0')}`,
  }
}

export interface AlertDeliveryLog {
  add(e: AlertDeliveryEntry): Promise<void>
  /** Newest first, at most `limit` (1–1000), of the given sites (all when undefined). */
  list(fromMs: number, toMs: number, limit: number, sites?: readonly string[]): Promise<AlertDeliveryEntry[]>
  /** Every entry in [fromMs, toMs), oldest first: what the next round of delivery plans from. */
  since(fromMs: number, toMs: number): Promise<AlertDeliveryEntry[]>
}

const SELECT = `SELECT "key", "alert_id", "subject", "transition", "attempt", "text", "error", "next_at", "channel", "kind", "recipient", "site", "status" FROM "${ALERT_DELIVERY_MEASUREMENT}"`

function entryOf(r: Record<string, unknown>): AlertDeliveryEntry {
  return {
    time: Number(r.time),
    key: String(r.key),
    alertId: String(r.alert_id),
    kind: String(r.kind) as AlertKind,
    site: String(r.site),
    subject: String(r.subject ?? ''),
    transition: r.transition === 'cleared' ? 'cleared' : 'raised',
    recipient: String(r.recipient),
    channel: String(r.channel) as AlertChannel,
    status: String(r.status) as AlertDeliveryStatus,
    attempt: Number(r.attempt ?? 0),
    text: String(r.text ?? ''),
    error: String(r.error ?? ''),
    nextAt: Number(r.next_at) > 0 ? Number(r.next_at) : null,
  }
}

export function createAlertDeliveryLog(o: { writer: PointWriter; db: InfluxQuery }): AlertDeliveryLog {
  let nanos = 0
  const read = async (where: string[], order: string) => {
    const [series] = await o.db.run([`${SELECT} WHERE ${where.join(' AND ')} ORDER BY time ${order}`])
    return (series ?? []).flatMap(rowsOf).map(entryOf)
  }
  return {
    add: (e) => o.writer.write([alertDeliveryPoint(e, nanos++)]),
    list: (fromMs, toMs, limit, sites) =>
      sites?.length === 0
        ? Promise.resolve([])
        : read([timeRange(fromMs, toMs), ...tagFilters(sites ? { site: sites } : {})], `DESC LIMIT ${Math.max(1, Math.min(1000, Math.floor(limit)))}`),
    since: (fromMs, toMs) => read([timeRange(fromMs, toMs)], 'ASC'),
  }
}
