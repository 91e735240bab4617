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

/**
 * One camera as /healthz and /metrics show it: its id (from the site config),
 * state and since when, and why; never its name, address or credentials.
 */
export interface CameraHealth {
  id: string
  /** online, offline, no_stream, auth_failed, clock_skew, or unknown before the first check. */
  state: string
  /** When the state began (edge clock, ms); the edge's start for `unknown`. */
  since: number
  /** How long the state has lasted, in whole seconds, on the monotonic clock (a wall clock step does not change it). */
  forS: number
  /** Why, without credentials (edge/cameras/camera.ts strips them). */
  detail: string
  /** The PullPoint event subscription: subscribed, retrying or off. */
  events: string
  eventFailures: number
  tamper: boolean
  motion: boolean
}

export interface HealthInputs {
  now: number
  outbox: OutboxStats
  lastStoreFailure: StoreFailure | null
  forwarder: ForwarderStatus | null
  startedAt: number
  /** null on a site without cameras. */
  cameras?: CameraHealth[] | null
}

export interface HealthThresholds {
  /** A store failure this recent still degrades health (devices are resending). */
  storeFailureMs: number
  /** No delivery to the hub for this long, while failing, counts as "hub unreachable". */
  hubUnreachableMs: number
  /** Oldest queued record older than this is a backlog worth reporting. */
  backlogAgeS: number
  /** A camera not online for this long degrades health, named in the reason (config `health.cameraDownS`); 0: never. */
  cameraDownMs: number
}

export const DEFAULT_CAMERA_DOWN_S = 600

export const DEFAULT_THRESHOLDS: HealthThresholds = {
  storeFailureMs: 5 * 60_000, hubUnreachableMs: 10 * 60_000, backlogAgeS: 3600, cameraDownMs: DEFAULT_CAMERA_DOWN_S * 1000,
}

/** "47 s", "12 min", "3 h 05 min". */
function duration(s: number): string {
  if (s < 120) return `${Math.floor(s)} s`
  if (s < 7200) return `${Math.floor(s / 60)} min`
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`
}

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
  // One reason per camera, so the technician sees which camera and why; a camera working again clears its own.
  if (t.cameraDownMs > 0) {
    for (const c of i.cameras ?? []) {
      if (c.state === 'online' || c.forS * 1000 < t.cameraDownMs) continue
      reasons.push({ code: 'CAMERA_DOWN', message: `camera ${c.id} ${c.state} for ${duration(c.forS)}: ${c.detail.slice(0, 160)}` })
    }
  }
  return { status: reasons.length ? 'degraded' : 'ok', reasons }
}
