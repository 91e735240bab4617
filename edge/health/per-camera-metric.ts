/**
 * One /metrics series per camera, read at scrape time: the shape the camera
 * health and the live path's stages share (edge/cameras/metrics.ts,
 * edge/live/metrics.ts). Labelled by the camera's config id only.
 */
import { Counter, Gauge, type Registry } from 'prom-client'

export function perCameraMetric<T>(
  registry: Registry,
  rows: () => Iterable<readonly [camera: string, row: T]>,
  m: { name: string; help: string; kind: 'gauge' | 'counter'; read: (row: T) => number },
): void {
  const Metric = m.kind === 'counter' ? Counter : Gauge
  new Metric({
    name: m.name,
    help: m.help,
    labelNames: ['camera'],
    registers: [registry],
    collect() {
      this.reset()
      for (const [camera, row] of rows()) this.inc({ camera }, m.read(row))
    },
  })
}
