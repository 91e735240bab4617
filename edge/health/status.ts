/**
 * /healthz verdict from the edge's state, as pure data: "ok", or "degraded"
 * with every reason, so a field technician's curl tells them what to fix.
 */
import type { StoreFailure } from '../broker/stats.js'
import type { ForwarderStatus } from '../forwarder/forwarder.js'
import type { OutboxStats } from '../outbox/types.js'

export interface HealthReason {
  code: string
  message: string
}

export interface HealthInputs {
  now: number
  outbox: OutboxStats
  lastStoreFailure: StoreFailure | null
  forwarder: ForwarderStatus | null
  startedAt: number
}

export interface HealthThresholds {
  /** A store failure this recent still degrades health (devices are resending). */
  storeFailureMs: number
  /** No delivery to the hub for this long, while failing, counts as "hub unreachable". */
  hubUnreachableMs: number
  /** Oldest queued record older than this is a backlog worth reporting. */
  backlogAgeS: number
}

export const DEFAULT_THRESHOLDS: HealthThresholds = { storeFailureMs: 5 * 60_000, hubUnreachableMs: 10 * 60_000, backlogAgeS: 3600 }

export function evaluateHealth(i: HealthInputs, t: HealthThresholds = DEFAULT_THRESHOLDS): { status: 'ok' | 'degraded'; reasons: HealthReason[] } {
  const reasons: HealthReason[] = []
  if (i.outbox.refusing) reasons.push({ code: 'OUTBOX_REFUSING', message: `outbox refuses new records: ${i.outbox.refusing}` })
  const f = i.lastStoreFailure
  if (f && i.now - f.at < t.storeFailureMs)
    reasons.push({ code: f.code, message: `a device message could not be stored ${Math.round((i.now - f.at) / 1000)} s ago: ${f.message}` })
  const fw = i.forwarder
  if (fw) {
    if (!fw.running) reasons.push({ code: 'FORWARDER_STOPPED', message: 'the forwarder is not running' })
    const since = fw.lastSuccessAt ?? i.startedAt
    if (fw.consecutiveFailures > 0 && i.now - since > t.hubUnreachableMs)
      reasons.push({
        code: fw.lastErrorCode ?? 'HUB_UNREACHABLE',
        message: `no batch delivered to the hub for ${Math.round((i.now - since) / 60_000)} min (${fw.consecutiveFailures} failures in a row)`,
      })
  }
  if (i.outbox.oldestAgeS > t.backlogAgeS)
    reasons.push({ code: 'OUTBOX_BACKLOG', message: `${i.outbox.depth} records waiting, the oldest for ${Math.round(i.outbox.oldestAgeS / 60)} min` })
  return { status: reasons.length ? 'degraded' : 'ok', reasons }
}
