/**
 * Each camera's health on the edge's /metrics, read at scrape time from the
 * monitors (one source of truth with /healthz). Labelled by the camera's id
 * from the site config only: no name, address or credentials.
 */
import { Gauge, type Registry } from 'prom-client'
import type { CameraState } from '../../protocol/messages.js'
import { perCameraMetric } from '../health/per-camera-metric.js'
import type { CameraHealth } from '../health/status.js'

/** Every state a camera can be in, so each has a series (0 or 1) and a dashboard can sum by state. */
export const CAMERA_STATES: readonly (CameraState | 'unknown')[] = ['online', 'offline', 'no_stream', 'auth_failed', 'clock_skew', 'unknown']

export function addCameraMetrics(registry: Registry, cameras: () => CameraHealth[]): void {
  const rows = () => cameras().map((c) => [c.id, c] as const)
  const perCamera = (name: string, help: string, read: (c: CameraHealth) => number, kind: 'gauge' | 'counter' = 'gauge') =>
    perCameraMetric(registry, rows, { name, help, kind, read })
  new Gauge({
    name: 'motcua_edge_camera_state',
    help: 'Camera state: 1 for the state the camera is in, 0 for the others',
    labelNames: ['camera', 'state'],
    registers: [registry],
    collect() {
      this.reset()
      for (const c of cameras()) for (const state of CAMERA_STATES) this.set({ camera: c.id, state }, c.state === state ? 1 : 0)
    },
  })
  perCamera('motcua_edge_camera_state_since_seconds', 'Unix time the camera entered its state (edge clock; the edge start for unknown)', (c) => c.since / 1000)
  perCamera('motcua_edge_camera_state_duration_seconds', 'How long the camera has been in its state (monotonic clock)', (c) => c.forS)
  perCamera('motcua_edge_camera_events_subscribed', '1 while the camera\'s PullPoint event subscription is up', (c) => (c.events === 'subscribed' ? 1 : 0))
  perCamera('motcua_edge_camera_event_failures_total', 'Event subscriptions that failed and were made again', (c) => c.eventFailures, 'counter')
  perCamera('motcua_edge_camera_tamper', '1 while the camera reports tampering', (c) => (c.tamper ? 1 : 0))
  perCamera('motcua_edge_camera_motion', '1 while the camera reports motion', (c) => (c.motion ? 1 : 0))
}
