/**
 * A camera's health from one round of checks. Pure: the I/O lives in
 * camera.ts. A camera is online only when ONVIF answers AND its RTSP stream
 * delivers frames; a wrong password or a skewed clock is named as such
 * because the fix on site differs (re-enter credentials, fix NTP) from a
 * dead camera (power, cable).
 */
import type { CameraState } from '../../protocol/messages.js'
import type { OnvifFailure } from './onvif-errors.js'

export interface CheckResult {
  /** null: ONVIF answered, authenticated calls included. */
  onvifFailure: OnvifFailure | null
  onvifDetail: string
  /** null: not checked this round (keep the last known answer). */
  stream: boolean | null
  streamDetail: string
  /** Camera clock − edge clock, when GetSystemDateAndTime answered. */
  offsetMs: number | null
}

export interface Verdict {
  state: CameraState
  onvif: boolean
  stream: boolean
  detail: string
}

export interface HealthPolicy {
  /** |camera − edge| beyond this is a skewed clock (evidence timestamps wrong, WS-Security refused). */
  maxSkewMs: number
  /** Consecutive unanswered rounds before an online camera is declared offline (one lost packet is not an outage). */
  failuresToOffline: number
}

export const DEFAULT_HEALTH_POLICY: HealthPolicy = { maxSkewMs: 30_000, failuresToOffline: 2 }

const fmtSkew = (ms: number) => `camera clock ${ms > 0 ? 'ahead' : 'behind'} by ${Math.round(Math.abs(ms) / 1000)} s`

/** State for one round of checks; `lastStream` is the last known stream answer when this round did not check it. */
export function judge(r: CheckResult, lastStream: boolean, policy: HealthPolicy = DEFAULT_HEALTH_POLICY): Verdict {
  const skewed = r.offsetMs !== null && Math.abs(r.offsetMs) > policy.maxSkewMs
  const stream = r.stream ?? lastStream
  if (r.onvifFailure === 'auth') {
    // A camera refusing our WS-Security Created time looks like a wrong password; the clock tells them apart.
    if (skewed) return { state: 'clock_skew', onvif: false, stream, detail: `${fmtSkew(r.offsetMs ?? 0)}; credentials refused` }
    return { state: 'auth_failed', onvif: false, stream, detail: r.onvifDetail || 'credentials refused' }
  }
  if (r.onvifFailure !== null) return { state: 'offline', onvif: false, stream: r.stream ?? false, detail: r.onvifDetail }
  if (skewed) return { state: 'clock_skew', onvif: true, stream, detail: fmtSkew(r.offsetMs ?? 0) }
  if (!stream) return { state: 'no_stream', onvif: true, stream: false, detail: r.streamDetail || 'no frames from RTSP' }
  return { state: 'online', onvif: true, stream: true, detail: 'ok' }
}

/**
 * Hysteresis for "offline": a camera that was reachable stays in its state
 * until `failuresToOffline` rounds in a row went unanswered. Every other
 * state is taken at once.
 */
export function nextState(current: CameraState | null, verdict: Verdict, failuresInARow: number, policy: HealthPolicy = DEFAULT_HEALTH_POLICY): CameraState {
  if (verdict.state !== 'offline' || current === null || current === 'offline') return verdict.state
  return failuresInARow >= policy.failuresToOffline ? 'offline' : current
}
