/**
 * Alerts without hub state. Each request evaluates hub/kpi's detectors over
 * recent data (every instance derives the same ids from the same data), then
 * lays the acknowledgements read from the `alert_ack` measurement over them.
 * An acknowledgement is a point written once; the earliest one for an id wins
 * if two instances race.
 */
import { MotcuaError } from '../../common/errors.js'
import type { Point } from '../influx/lineProtocol.js'
import type { PointWriter } from '../influx/writer.js'
import { acknowledgeAlert, evaluateAlerts } from '../kpi/alerts/state.js'
import { ALERT_KINDS, DEFAULT_ALERT_THRESHOLDS, EMPTY_ALERT_STATE, type Alert, type AlertKind, type AlertThresholds } from '../kpi/alerts/types.js'
import { rowsOf, type InfluxQuery } from '../queries/client.js'
import type { Directory } from '../queries/directory.js'
import { readFacts, ratingFactsStatement } from '../queries/facts.js'
import { querySiteHealth } from '../queries/health.js'
import { tagFilters, timeRange } from '../queries/influxql.js'

/** Ratings this far back feed the detectors: a run may have started well before the run window. */
const RATING_LOOKBACK_MS = 4 * 3_600_000
/** Acknowledgements older than this belong to alerts long gone. */
const ACK_LOOKBACK_MS = 30 * 86_400_000

export interface AlertStore {
  list(sites: readonly string[] | undefined, now: number): Promise<Alert[]>
  acknowledge(id: string, ack: { by: string; comment: string }, now: number): Promise<Alert>
}

/** The site an alert id names: ids are `kind:subject:since`, subject `site/…` or `site`. */
export function alertSite(id: string): { kind: AlertKind; site: string } | null {
  const m = /^([a-z_]+):([a-z0-9][a-z0-9-]{0,31})(?:\/[a-z0-9][a-z0-9-]{0,31})?:\d{1,15}$/.exec(id)
  if (!m || !(ALERT_KINDS as readonly string[]).includes(m[1]!)) return null
  return { kind: m[1] as AlertKind, site: m[2]! }
}

export function ackPoint(alert: Pick<Alert, 'id' | 'kind' | 'site'>, by: string, comment: string, now: number): Point {
  return { measurement: 'alert_ack', tags: { kind: alert.kind, site: alert.site }, fields: { alert_id: alert.id, by, comment }, timestampNs: `${now}000000` }
}

export function createAlertStore(deps: { db: InfluxQuery; writer: PointWriter; dir: Directory; thresholds?: AlertThresholds }): AlertStore {
  const { db, writer, dir } = deps
  const thresholds = deps.thresholds ?? DEFAULT_ALERT_THRESHOLDS

  async function current(sites: readonly string[] | undefined, now: number): Promise<Alert[]> {
    const filter = sites ? { site: sites } : {}
    const [facts, health, acks] = await Promise.all([
      readFacts(db, dir, { ratings: ratingFactsStatement(now - RATING_LOOKBACK_MS, now + 1, filter) }),
      querySiteHealth(db, dir, sites, now - thresholds.lowIndex.windowMs, now + 1),
      db.run([
        `SELECT "alert_id", "by", "comment" FROM "alert_ack" WHERE ${[timeRange(now - ACK_LOOKBACK_MS, now + 1), ...tagFilters(filter)].join(' AND ')}`,
      ]),
    ])
    const { state } = evaluateAlerts(EMPTY_ALERT_STATE, { ratings: facts.ratings, cameras: health.cameras, edges: health.edges }, now, thresholds)
    const ackById = new Map<string, Alert['ack']>()
    for (const s of acks[0] ?? []) {
      for (const r of rowsOf(s)) {
        const id = String(r.alert_id)
        if (!ackById.has(id)) ackById.set(id, { by: String(r.by), comment: String(r.comment), at: Number(r.time) })
      }
    }
    return state.alerts
      .filter((a) => sites === undefined || sites.includes(a.site))
      .map((a) => ({ ...a, ack: ackById.get(a.id) ?? null }))
      .sort((a, b) => b.since - a.since || (a.id < b.id ? -1 : 1))
  }

  return {
    list: current,
    async acknowledge(id, ack, now) {
      const where = alertSite(id)
      if (!where) throw new MotcuaError('HUB_ALERT_NOT_FOUND', id)
      const alerts = await current([where.site], now)
      // acknowledgeAlert checks existence, the comment and "only once" against what every instance sees.
      const next = acknowledgeAlert({ alerts }, id, ack, now)
      const acked = next.alerts.find((a) => a.id === id)!
      await writer.write([ackPoint(acked, acked.ack!.by, acked.ack!.comment, now)])
      return acked
    },
  }
}
