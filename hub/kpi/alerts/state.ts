/** Alert state transitions: reconcile with what the detectors found, acknowledge. */
import { MotcuaError } from '../../../common/errors.js'
import type { DutyInterval, DutySchedule } from '../duty.js'
import type { RatingFact } from '../facts.js'
import { detectCameraProblems, detectDissatisfiedRuns, detectEdgeProblems, detectLowIndex, detectOverload, detectUnstaffedCounters, type QueueEvent } from './detect.js'
import {
  ALERT_KINDS,
  ALERT_TITLES,
  DEFAULT_ALERT_THRESHOLDS,
  type Alert,
  type AlertCondition,
  type AlertKind,
  type AlertState,
  type AlertThresholds,
  type CameraHealth,
  type EdgeHealth,
} from './types.js'

export interface AlertChanges {
  state: AlertState
  raised: Alert[]
  cleared: Alert[]
}

const conditionKey = (a: { kind: AlertKind; subject: string }) => `${a.kind}:${a.subject}`

/**
 * Applies one evaluation. A condition whose kind and subject already have an
 * uncleared alert updates it (the same condition never raises twice, acknowledged
 * or not); a new one raises an alert when `raise` is set. Uncleared alerts of
 * the evaluated kinds that no condition matches are cleared. Alerts both
 * cleared and acknowledged for longer than `retainMs` are dropped.
 */
export function reconcileAlerts(
  state: AlertState,
  conditions: readonly AlertCondition[],
  now: number,
  opts: { kinds?: readonly AlertKind[]; retainMs?: number } = {},
): AlertChanges {
  const kinds = new Set(opts.kinds ?? ALERT_KINDS)
  const retainMs = opts.retainMs ?? DEFAULT_ALERT_THRESHOLDS.retainMs
  const alerts = state.alerts.map((a) => ({ ...a }))
  const open = new Map(alerts.filter((a) => a.clearedAt === null).map((a) => [conditionKey(a), a]))
  const byId = new Map(alerts.map((a) => [a.id, a]))
  const seen = new Set<string>()
  const raised: Alert[] = []
  for (const c of conditions) {
    const key = conditionKey(c)
    if (seen.has(key)) continue
    const current = open.get(key)
    if (current) {
      current.seenAt = now
      current.details = c.details
      seen.add(key)
      continue
    }
    if (!c.raise) continue
    seen.add(key)
    const id = `${key}:${c.since}`
    const reopened = byId.get(id)
    if (reopened) {
      // The same occurrence (same start) came back after a brief clear: keep its history.
      Object.assign(reopened, { seenAt: now, details: c.details, clearedAt: null })
      continue
    }
    const alert: Alert = {
      id,
      kind: c.kind,
      site: c.site,
      subject: c.subject,
      title: ALERT_TITLES[c.kind],
      since: c.since,
      raisedAt: now,
      seenAt: now,
      details: c.details,
      clearedAt: null,
      ack: null,
    }
    alerts.push(alert)
    raised.push(alert)
  }
  const cleared: Alert[] = []
  for (const a of open.values()) {
    if (kinds.has(a.kind) && !seen.has(conditionKey(a))) {
      a.clearedAt = now
      cleared.push(a)
    }
  }
  const kept = alerts.filter(
    (a) => a.clearedAt === null || a.ack === null || now - Math.max(a.clearedAt, a.ack.at) <= retainMs,
  )
  return { state: { alerts: kept }, raised, cleared }
}

export interface AlertSnapshot {
  /** Ratings of at least the longer of the run and low-index windows before `now`. */
  ratings: readonly RatingFact[]
  cameras: readonly CameraHealth[]
  edges: readonly EdgeHealth[]
  /** Today's ticket events of the sites (overload); without them overload alerts are left as they are. */
  tickets?: readonly QueueEvent[]
  /** Today's duty intervals of the sites, as dutyIntervals gives them at `now` (unstaffed counters); without them those alerts are left as they are. */
  duty?: { intervals: readonly DutyInterval[]; sites: readonly string[]; schedule: Pick<DutySchedule, 'kioskCounters' | 'hours'> }
  /** Complaint cases' deadlines near or past (hub/cases/alerts.ts, computed over the working calendar); without them those alerts are left as they are. */
  caseDeadlines?: readonly AlertCondition[]
}

/** The kinds evaluateAlerts detects from every snapshot; the others only when their facts are given. */
const BASE_KINDS: readonly AlertKind[] = ['dissatisfied_run', 'low_index', 'camera_offline', 'camera_tampered', 'edge_silent', 'edge_backlog']

/** Runs every detector the snapshot has facts for and reconciles those kinds; alerts of other kinds are left as they are. */
export function evaluateAlerts(
  state: AlertState,
  snapshot: AlertSnapshot,
  now: number,
  thresholds: AlertThresholds = DEFAULT_ALERT_THRESHOLDS,
): AlertChanges {
  const conditions = [
    ...detectDissatisfiedRuns(snapshot.ratings, now, thresholds.run),
    ...detectLowIndex(snapshot.ratings, now, thresholds.lowIndex),
    ...detectCameraProblems(snapshot.cameras, now, thresholds.camera),
    ...detectEdgeProblems(snapshot.edges, now, thresholds.edge),
    ...(snapshot.tickets ? detectOverload(snapshot.tickets, now, thresholds.overload) : []),
    ...(snapshot.duty ? detectUnstaffedCounters(snapshot.duty.intervals, snapshot.duty.sites, snapshot.duty.schedule, now, thresholds.unstaffed) : []),
    ...(snapshot.caseDeadlines ?? []),
  ]
  const kinds: AlertKind[] = [
    ...BASE_KINDS,
    ...(snapshot.tickets ? ['overload' as const] : []),
    ...(snapshot.duty ? ['counter_unstaffed' as const] : []),
    ...(snapshot.caseDeadlines ? ['case_deadline' as const] : []),
  ]
  return reconcileAlerts(state, conditions, now, { kinds, retainMs: thresholds.retainMs })
}

export const MAX_ACK_COMMENT = 1000

/** Acknowledges one alert with a comment; the alert stays listed until its condition clears too. */
export function acknowledgeAlert(
  state: AlertState,
  id: string,
  ack: { by: string; comment: string },
  now: number,
): AlertState {
  const target = state.alerts.find((a) => a.id === id)
  if (!target) throw new MotcuaError('HUB_ALERT_NOT_FOUND', id)
  const comment = ack.comment.trim()
  if (comment.length === 0 || comment.length > MAX_ACK_COMMENT) {
    throw new MotcuaError('HUB_ALERT_ACK_INVALID', `a comment of 1–${MAX_ACK_COMMENT} characters is required`)
  }
  if (ack.by.trim().length === 0) throw new MotcuaError('HUB_ALERT_ACK_INVALID', 'who acknowledges must be named')
  if (target.ack) throw new MotcuaError('HUB_ALERT_ACK_INVALID', `already acknowledged at ${new Date(target.ack.at).toISOString()}`)
  return {
    alerts: state.alerts.map((a) => (a.id === id ? { ...a, ack: { by: ack.by.trim(), at: now, comment } } : a)),
  }
}
