/**
 * Which alert messages go now (pure): the raises and clears of the last
 * `maxAgeMin`, to each recipient subscribed to their kind and site, by each
 * of the recipient's channels, once. The past attempts (log.ts) decide the
 * rest: a key already sent, given up or suppressed is done; a failed one
 * waits for its `nextAt`; a new one passes the rate limits or is suppressed
 * (and logged so, never considered again). Retries double their pause as
 * the scheduled reports' do (hub/delivery/plan.ts retryDelayMs).
 */
import type { AlertDeliveryConfig, AlertRecipient } from '../config/alerts.js'
import type { Alert } from '../kpi/alerts/types.js'
import { deliveryKey, type AlertChannel, type AlertDeliveryEntry, type AlertTransition } from './log.js'

export interface DeliveryJob {
  key: string
  alert: Alert
  transition: AlertTransition
  /** When the transition happened (raisedAt or clearedAt). */
  at: number
  recipient: AlertRecipient
  channel: AlertChannel
  /** The attempt this send is, 1-based. */
  attempt: number
}

export interface DeliveryPlan {
  send: DeliveryJob[]
  /** New messages the rate limits hold back, with the limit that did. */
  suppress: (DeliveryJob & { reason: string })[]
}

const HOUR_MS = 3_600_000

/** Whether the recipient wants alerts of this kind and site (their role's sites are in `sites`). */
export function subscribed(r: AlertRecipient, alert: Pick<Alert, 'kind' | 'site'>): boolean {
  return (r.kinds === undefined || r.kinds.includes(alert.kind)) && (r.sites === undefined || r.sites.includes(alert.site))
}

export const channelsOf = (r: AlertRecipient): AlertChannel[] => [...(r.email ? ['email' as const] : []), ...(r.webhook ? ['webhook' as const] : [])]

/** How far back the log must be read for planDeliveries: the age limit and both rate-limit windows. */
export const lookBackMs = (cfg: AlertDeliveryConfig) => Math.max(cfg.maxAgeMin * 60_000, cfg.limits.perSubjectMin * 60_000, HOUR_MS) + 60_000

export function planDeliveries(alerts: readonly Alert[], cfg: AlertDeliveryConfig, past: readonly AlertDeliveryEntry[], now: number): DeliveryPlan {
  const maxAge = cfg.maxAgeMin * 60_000
  const byKey = new Map<string, AlertDeliveryEntry[]>()
  for (const e of past) {
    const list = byKey.get(e.key)
    if (list) list.push(e)
    else byKey.set(e.key, [e])
  }
  const transitions: { alert: Alert; transition: AlertTransition; at: number }[] = []
  for (const a of alerts) {
    if (now - a.raisedAt <= maxAge && a.raisedAt <= now) transitions.push({ alert: a, transition: 'raised', at: a.raisedAt })
    if (a.clearedAt !== null && now - a.clearedAt <= maxAge && a.clearedAt <= now) transitions.push({ alert: a, transition: 'cleared', at: a.clearedAt })
  }
  transitions.sort((x, y) => x.at - y.at || (x.alert.id < y.alert.id ? -1 : x.alert.id > y.alert.id ? 1 : 0))

  // What the rate limits count: every message admitted (sent, failed, given up), by its first attempt.
  const admitted = [...byKey.values()]
    .filter((list) => list[0]!.status !== 'suppressed')
    .map((list) => list[0]!)
  const plan: DeliveryPlan = { send: [], suppress: [] }
  for (const t of transitions) {
    for (const recipient of cfg.recipients) {
      if (!subscribed(recipient, t.alert)) continue
      for (const channel of channelsOf(recipient)) {
        if (t.transition === 'cleared') {
          // A clear only to whom the raise went: "it is over" means nothing to someone never told it began.
          if (!recipient.cleared) continue
          const raise = byKey.get(deliveryKey(t.alert.id, 'raised', recipient.id, channel))
          if (!raise?.some((e) => e.status === 'sent')) continue
        }
        const key = deliveryKey(t.alert.id, t.transition, recipient.id, channel)
        const tried = byKey.get(key) ?? []
        const last = tried.at(-1)
        const job: DeliveryJob = { key, alert: t.alert, transition: t.transition, at: t.at, recipient, channel, attempt: tried.length + 1 }
        if (last) {
          if (last.status === 'failed' && (last.nextAt === null || last.nextAt <= now)) plan.send.push(job)
          continue
        }
        const mine = admitted.filter((e) => e.recipient === recipient.id && e.channel === channel)
        const sameSubject = mine.some(
          (e) => e.transition === 'raised' && e.kind === t.alert.kind && e.subject === t.alert.subject && now - e.time < cfg.limits.perSubjectMin * 60_000,
        )
        if (t.transition === 'raised' && sameSubject) {
          plan.suppress.push({ ...job, attempt: 0, reason: `one message per ${cfg.limits.perSubjectMin} min for ${t.alert.kind} ${t.alert.subject}` })
          continue
        }
        if (mine.filter((e) => now - e.time < HOUR_MS).length >= cfg.limits.perRecipientPerHour) {
          plan.suppress.push({ ...job, attempt: 0, reason: `at most ${cfg.limits.perRecipientPerHour} messages an hour` })
          continue
        }
        plan.send.push(job)
        admitted.push({ time: now, key, alertId: t.alert.id, kind: t.alert.kind, site: t.alert.site, subject: t.alert.subject, transition: t.transition, recipient: recipient.id, channel, status: 'sent', attempt: 1, text: '', error: '', nextAt: null })
      }
    }
  }
  return plan
}
