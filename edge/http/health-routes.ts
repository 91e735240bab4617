import type { Registry } from 'prom-client'
import { evaluateHealth, type HealthInputs, type HealthThresholds } from '../health/status.js'
import { NO_STORE, sendJson } from '../../common/web/answer.js'
import { mayReadHealthDetail, sendMetrics } from '../../common/web/access.js'
import type { EdgeHttp } from './server.js'

export interface HealthView {
  inputs(): HealthInputs
  connectedClients(): number
  site: string
  /** Default DEFAULT_THRESHOLDS; the edge passes its config's (`health.cameraDownS`). */
  thresholds?: HealthThresholds
}

/**
 * GET /healthz (200 ok / 503 degraded) and GET /metrics (Prometheus text).
 * Anyone may learn the status; the reasons, counts and cameras are for a
 * client on the box (`motcua-edge health`) or one with the metrics token, and
 * /metrics, with its per-officer counts, is for the token alone when one is
 * configured (common/web/access.ts).
 */
export function addHealthRoutes(http: EdgeHttp, view: HealthView, metrics: Registry, metricsToken?: string): void {
  http.route('GET', '/healthz', (req, res) => {
    const inputs = view.inputs()
    const verdict = evaluateHealth(inputs, view.thresholds)
    const status = verdict.status === 'ok' ? 200 : 503
    if (!mayReadHealthDetail(req, metricsToken)) return sendJson(res, status, { status: verdict.status }, NO_STORE)
    sendJson(res, status, {
      ...verdict,
      site: view.site,
      uptimeS: Math.floor((inputs.now - inputs.startedAt) / 1000),
      connectedDevices: view.connectedClients(),
      outbox: inputs.outbox,
      forwarder: inputs.forwarder,
      // Each camera's state and since when (`motcua-edge health`); null on a site without cameras.
      cameras: inputs.cameras ?? null,
    }, NO_STORE)
  })
  http.route('GET', '/metrics', (req, res) => sendMetrics(req, res, metrics, metricsToken, 'EDGE_METRICS_REFUSED'))
}
