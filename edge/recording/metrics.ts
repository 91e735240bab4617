/**
 * Recording on the edge's /metrics, read at scrape time from the service's
 * status (the same figures its API shows): whether it has stopped and why,
 * the disk, and per camera whether it records and what it has written.
 * Labelled by the camera's config id only.
 */
import { Gauge, type Registry } from 'prom-client'
import { perCameraMetric } from '../health/per-camera-metric.js'
import type { RecordingCameraStatus, RecordingStatus } from './service.js'

const PAUSE_REASONS = ['disk', 'budget'] as const

export function addRecordingMetrics(registry: Registry, status: () => RecordingStatus): void {
  new Gauge({
    name: 'motcua_edge_recording_paused',
    help: 'Recording stopped: 1 for the reason (disk: free space under its reserve; budget: the video budget is full of clips kept), 0 for the other',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      const { paused } = status()
      for (const reason of PAUSE_REASONS) this.set({ reason }, paused === reason ? 1 : 0)
    },
  })
  new Gauge({
    name: 'motcua_edge_recording_kept_bytes',
    help: 'Recorded video kept on the edge disk',
    registers: [registry],
    collect() {
      this.set(status().keptBytes)
    },
  })
  new Gauge({
    name: 'motcua_edge_recording_free_bytes',
    help: 'Free space on the recording disk at its last check (absent before the first)',
    registers: [registry],
    collect() {
      this.reset()
      const free = status().freeBytes
      if (free !== null) this.set(free)
    },
  })
  const rows = () => Object.entries(status().cameras)
  const perCamera = (name: string, help: string, read: (c: RecordingCameraStatus) => number, kind: 'gauge' | 'counter' = 'gauge') =>
    perCameraMetric(registry, rows, { name, help, kind, read })
  perCamera('motcua_edge_recording_attached', '1 while the camera is recorded from its live channel', (c) => (c.attached ? 1 : 0))
  perCamera('motcua_edge_recording_segments_total', 'Segments written for the camera since the edge started', (c) => c.segments, 'counter')
  perCamera('motcua_edge_recording_last_segment_seconds', 'Unix time the camera\'s last segment ended (edge clock); 0 before any', (c) => (c.lastSegmentAt ?? 0) / 1000)
}
