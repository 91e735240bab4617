/** Folds one camera's status and event records into what the camera alerts need. */
import type { z } from 'zod'
import type { CameraState } from '../../../protocol/messages.js'
import type { cameraEventRecord, cameraStatusRecord } from '../../../protocol/records.js'
import type { CameraHealth } from './types.js'

type StatusRecord = Pick<z.infer<typeof cameraStatusRecord>, 'kind' | 't' | 'state'>
type EventRecord = Pick<z.infer<typeof cameraEventRecord>, 'kind' | 't' | 'event' | 'state'>

/**
 * States in which supervisors get no picture. `clock_skew` still streams
 * (only its timestamps are wrong), so it is not "offline".
 */
export const CAMERA_DOWN_STATES: ReadonlySet<CameraState> = new Set(['offline', 'no_stream', 'auth_failed'])

/**
 * `offlineSince` is the first record of the current run of down states (a
 * change from offline to auth_failed is still one outage); `tamperedSince`
 * is the last tamper-on event not followed by a tamper-off.
 */
export function cameraHealth(
  site: string,
  camera: string,
  records: readonly (StatusRecord | EventRecord)[],
): CameraHealth {
  let offlineSince: number | null = null
  let tamperedSince: number | null = null
  for (const r of [...records].sort((a, b) => a.t - b.t)) {
    if (r.kind === 'camera_status') {
      if (!CAMERA_DOWN_STATES.has(r.state)) offlineSince = null
      else offlineSince ??= r.t
    } else if (r.event === 'tamper') {
      tamperedSince = r.state ? (tamperedSince ?? r.t) : null
    }
  }
  return { site, camera, offlineSince, tamperedSince }
}
