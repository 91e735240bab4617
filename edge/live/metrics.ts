/**
 * The live path's stages on the edge's /metrics, per camera: bytes out of
 * ffmpeg (camera → remuxer), segments cut (remuxer → channel), segments
 * written to viewers (channel → pages and tunnel), and pieces sent to the hub
 * (tunnel). A stalled view shows as the first stage that stops counting.
 */
import { Counter, Gauge, type Registry } from 'prom-client'
import { perCameraMetric } from '../health/per-camera-metric.js'
import type { TunnelStatus } from '../tunnel/client.js'
import type { LiveCameraStatus, LiveService } from './service.js'

export function addLiveMetrics(registry: Registry, live: Pick<LiveService, 'status'>, tunnel: () => TunnelStatus | null): void {
  const rows = () => Object.entries(live.status())
  const perCamera = (name: string, help: string, read: (s: LiveCameraStatus) => number, kind: 'counter' | 'gauge' = 'counter') =>
    perCameraMetric(registry, rows, { name, help, kind, read })
  perCamera('motcua_edge_live_remuxer_bytes_total', 'fMP4 bytes the remuxer cut from ffmpeg output, across restarts', (s) => s.counters.bytesOut)
  perCamera('motcua_edge_live_remuxer_runs_total', 'Remuxers started (first viewer, warm start, or a restart after silence)', (s) => s.counters.runs)
  perCamera('motcua_edge_live_segments_total', 'Media segments cut from ffmpeg output', (s) => s.counters.segments)
  perCamera('motcua_edge_live_delivered_total', 'Media segments written to viewers, the hub tunnel included (one per viewer)', (s) => s.counters.delivered)
  perCamera('motcua_edge_live_skipped_total', 'Media segments a slow viewer skipped to catch up', (s) => s.counters.skipped)
  perCamera('motcua_edge_live_heals_total', 'Silent streams restarted by the channel watchdog', (s) => s.counters.heals)
  perCamera('motcua_edge_live_viewers', 'Pages and hub streams watching the camera', (s) => s.viewers, 'gauge')
  new Counter({
    name: 'motcua_edge_tunnel_pieces_sent_total',
    help: 'Media pieces sent to the hub through the camera tunnel',
    registers: [registry],
    collect() {
      this.reset()
      this.inc(tunnel()?.piecesSent ?? 0)
    },
  })
  new Gauge({
    name: 'motcua_edge_tunnel_connected',
    help: '1 while the camera tunnel to the hub is open',
    registers: [registry],
    collect() {
      this.set(tunnel()?.connected ? 1 : 0)
    },
  })
}
