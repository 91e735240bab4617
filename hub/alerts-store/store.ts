/**
 * Alerts, stored so every hub instance sees the same list and an alert that
 * cleared before anyone looked stays listed until it is acknowledged. Each
 * evaluation reads the stored alerts of the sites in question, runs hub/kpi's
 * detectors and state machine over recent data. The background evaluation
 * (every `everyMs`, every site) and an acknowledgement write back every alert
 * they keep (one point per alert, so instances evaluating the same data write
 * the same point); a list only reads (issue 11, finding 5: a GET wrote to
 * InfluxDB on every call). The background result is kept and handed to its
 * listeners, so event streams share one evaluation per instance instead of
 * running the statements each. Acknowledgements are points of their own; the
 * earliest for an id wins if two instances race.
 */
import { MotcuaError } from '../../common/errors.js'
import type { Logger } from '../../common/log.js'
import type { Point } from '../influx/line-protocol.js'
import type { PointWriter } from '../influx/writer.js'
import { caseDeadlineConditions } from '../cases/alerts.js'
import { workCalendar } from '../cases/calendar.js'
import type { CasesConfig } from '../cases/config.js'
import { readCases } from '../cases/store.js'
import type { QueueEvent } from '../kpi/alerts/detect.js'
import { acknowledgeAlert, evaluateAlerts } from '../kpi/alerts/state.js'
import { dutyIntervals, localDayStart, type DutyEvent, type DutyInterval } from '../kpi/duty.js'
import { ALERT_KINDS, ALERT_TITLES, DEFAULT_ALERT_THRESHOLDS, type Alert, type AlertDetails, type AlertKind, type AlertThresholds } from '../kpi/alerts/types.js'
import { rowsOf, type InfluxQuery } from '../queries/client.js'
import type { Directory } from '../queries/directory.js'
import { queryDutyEvents } from '../queries/duty.js'
import { readFacts, ratingFactsStatement } from '../queries/facts.js'
import { querySiteHealth } from '../queries/health.js'
import { tagFilters, timeRange } from '../queries/influxql.js'
import { TICKET_EVENTS } from '../../protocol/messages.js'

/** Ratings this far back feed the detectors: a run may have started well before the run window. */
const RATING_LOOKBACK_MS = 4 * 3_600_000

/**
 * Ticket events of the sites in [fromMs, toMs), only what the overload alert reads: a province's morning is
 * hundreds of thousands of events, read every evaluation, so one field and the tags it groups by.
 */
export async function queryQueueEvents(db: InfluxQuery, sites: readonly string[] | undefined, fromMs: number, toMs: number): Promise<QueueEvent[]> {
  if (sites?.length === 0) return []
  const where = [timeRange(fromMs, toMs), ...tagFilters(sites ? { site: sites } : {})].join(' AND ')
  const [series] = await db.run([`SELECT "ticket" FROM "ticket" WHERE ${where} GROUP BY "site", "event"`])
  const out: QueueEvent[] = []
  for (const s of series ?? []) {
    const { site, event } = s.tags ?? {}
    if (!site || !(TICKET_EVENTS as readonly string[]).includes(event ?? '')) continue
    for (const r of rowsOf(s)) out.push({ t: Number(r.time), site, ticket: String(r.ticket), event: event as QueueEvent['event'] })
  }
  return out
}

/** dutyIntervals site by site: it keeps every open interval in view at each event, so a province at once is quadratic. */
function intervalsBySite(events: readonly DutyEvent[], now: number): DutyInterval[] {
  const bySite = new Map<string, DutyEvent[]>()
  for (const e of events) {
    const list = bySite.get(e.site)
    if (list) list.push(e)
    else bySite.set(e.site, [e])
  }
  return [...bySite.values()].flatMap((list) => dutyIntervals(list, now))
}

export interface AlertStore {
  /**
   * Evaluates the sites' alerts now, without writing, and returns what is listed: open alerts, and cleared ones
   * not yet acknowledged or within retention. An alert not yet stored shows this evaluation's `raisedAt` until the
   * background evaluation stores it.
   */
  list(sites: readonly string[] | undefined, now: number): Promise<Alert[]>
  acknowledge(id: string, ack: { by: string; comment: string }, now: number): Promise<Alert>
  /** Evaluates every site every `everyMs` and stores the changes, so alerts are raised while nobody is looking. */
  start(everyMs: number, now: () => number, log: Logger): void
  stop(): void
  /** Every site's alerts as the last background evaluation left them; null before the first one. */
  latest(): readonly Alert[] | null
  /** Called with every site's alerts after each background evaluation; returns how to stop listening. */
  onEvaluated(listener: (alerts: readonly Alert[]) => void): () => void
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

/** An alert as stored; `acked_at` is written as 0 only when the alert is first raised, so an evaluation never undoes an acknowledgement. */
export function alertPoint(a: Alert, raised: boolean): Point {
  return {
    measurement: 'alert',
    tags: { kind: a.kind, site: a.site, subject: a.subject },
    fields: {
      alert_id: a.id,
      raised_at: a.raisedAt,
      seen_at: a.seenAt,
      cleared_at: a.clearedAt ?? 0,
      details: JSON.stringify(a.details),
      ...(raised ? { acked_at: 0 } : {}),
    },
    timestampNs: `${a.since}000000`,
  }
}

export function createAlertStore(deps: { db: InfluxQuery; writer: PointWriter; dir: Directory; thresholds?: AlertThresholds; cases?: CasesConfig }): AlertStore {
  const { db, writer, dir } = deps
  const thresholds = deps.thresholds ?? DEFAULT_ALERT_THRESHOLDS
  const calendar = deps.cases ? workCalendar(deps.cases.calendar) : null
  let timer: NodeJS.Timeout | null = null
  let latest: readonly Alert[] | null = null
  const listeners = new Set<(alerts: readonly Alert[]) => void>()

  /** Stored alerts still listed: open, or cleared but unacknowledged, or either within retention. */
  async function stored(sites: readonly string[] | undefined, now: number): Promise<Alert[]> {
    const filter = sites ? { site: sites } : {}
    const recent = now - thresholds.retainMs
    const listed = `("cleared_at" = 0 OR "acked_at" = 0 OR "cleared_at" > ${recent} OR "acked_at" > ${recent})`
    const [series] = await db.run([`SELECT * FROM "alert" WHERE ${[listed, ...tagFilters(filter)].join(' AND ')} GROUP BY "kind", "site", "subject"`])
    const alerts: Alert[] = []
    for (const s of series ?? []) {
      const kind = s.tags?.kind as AlertKind
      if (!ALERT_KINDS.includes(kind)) continue
      for (const r of rowsOf(s)) {
        alerts.push({
          id: String(r.alert_id),
          kind,
          site: s.tags!.site!,
          subject: s.tags!.subject!,
          title: ALERT_TITLES[kind],
          since: Number(r.time),
          raisedAt: Number(r.raised_at),
          seenAt: Number(r.seen_at),
          details: JSON.parse(String(r.details ?? '{}')) as AlertDetails,
          clearedAt: Number(r.cleared_at) || null,
          ack: null,
        })
      }
    }
    if (!alerts.length) return alerts
    const since = Math.min(...alerts.map((a) => a.since))
    const [acks] = await db.run([`SELECT "alert_id", "by", "comment" FROM "alert_ack" WHERE ${[timeRange(since, now + 1), ...tagFilters(filter)].join(' AND ')}`])
    const ackById = new Map<string, Alert['ack']>()
    for (const s of acks ?? []) {
      for (const r of rowsOf(s)) {
        const id = String(r.alert_id)
        if (!ackById.has(id)) ackById.set(id, { by: String(r.by), comment: String(r.comment), at: Number(r.time) })
      }
    }
    return alerts.map((a) => ({ ...a, ack: ackById.get(a.id) ?? null }))
  }

  async function evaluate(sites: readonly string[] | undefined, now: number, store: boolean): Promise<Alert[]> {
    const filter = sites ? { site: sites } : {}
    const today = localDayStart(now)
    const siteIds = sites ?? dir.sites.map((s) => s.id)
    const [before, facts, tickets, health, duty, cases] = await Promise.all([
      stored(sites, now),
      readFacts(db, dir, { ratings: ratingFactsStatement(now - RATING_LOOKBACK_MS, now + 1, filter) }),
      // The queue now: tickets issued today, and not so long ago that their citizen has left (overload).
      queryQueueEvents(db, sites, Math.max(today, now - thresholds.overload.abandonAfterMs), now + 1),
      querySiteHealth(db, dir, sites, now - thresholds.lowIndex.windowMs, now + 1),
      // Duty intervals end by local midnight, so today's sign-ins and sign-outs say who is at a counter now.
      queryDutyEvents(db, siteIds, today, now + 1),
      // Complaint cases (issue 16) are few: each evaluation reads them whole to see which deadlines are near.
      calendar ? readCases(db, sites) : null,
    ])
    // Only the sites evaluated: alerts of other sites are neither seen nor cleared here.
    const { state, raised } = evaluateAlerts(
      { alerts: before },
      {
        ratings: facts.ratings, cameras: health.cameras, edges: health.edges, tickets,
        // Only counters the site's config posts a sign-in officer at: a spare counter or one whose officer has no PIN
        // is not meant to be signed in at, and alerting on it every morning would bury the alerts that matter.
        duty: { intervals: intervalsBySite(duty, now), sites: siteIds, schedule: { hours: (s) => dir.openingHours(s), kioskCounters: (s) => dir.dutySetup(s).postedCounters } },
        ...(cases && calendar && deps.cases ? { caseDeadlines: caseDeadlineConditions(cases, calendar, now, deps.cases.dueSoonDays) } : {}),
      },
      now,
      thresholds,
    )
    const fresh = new Set(raised.map((a) => a.id))
    if (store) await writer.write(state.alerts.map((a) => alertPoint(a, fresh.has(a.id))))
    return state.alerts
      .filter((a) => sites === undefined || sites.includes(a.site))
      .sort((a, b) => b.since - a.since || (a.id < b.id ? -1 : 1))
  }

  return {
    list: (sites, now) => evaluate(sites, now, false),
    async acknowledge(id, ack, now) {
      const where = alertSite(id)
      if (!where) throw new MotcuaError('HUB_ALERT_NOT_FOUND', id)
      const alerts = await evaluate([where.site], now, true)
      // acknowledgeAlert checks existence, the comment and "only once" against what every instance sees.
      const next = acknowledgeAlert({ alerts }, id, ack, now)
      const acked = next.alerts.find((a) => a.id === id)!
      await writer.write([
        ackPoint(acked, acked.ack!.by, acked.ack!.comment, now),
        { ...alertPoint(acked, false), fields: { alert_id: acked.id, acked_at: now } },
      ])
      return acked
    },
    start(everyMs, now, log) {
      if (timer) return
      let busy = false
      timer = setInterval(() => {
        if (busy) return
        busy = true
        evaluate(undefined, now(), true)
          .then((alerts) => {
            latest = alerts
            for (const listener of listeners) {
              // One listener failing (a stream gone bad) must not keep the others from the result.
              try {
                listener(alerts)
              } catch (err) {
                log.warn({ err: (err as Error).message }, 'alert listener failed')
              }
            }
          })
          .catch((err: unknown) => log.warn({ err: (err as Error).message }, 'alert evaluation failed'))
          .finally(() => (busy = false))
      }, everyMs)
      timer.unref()
    },
    stop() {
      if (timer) clearInterval(timer)
      timer = null
    },
    latest: () => latest,
    onEvaluated(listener) {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    },
  }
}
