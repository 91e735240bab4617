import type { Registry } from 'prom-client'
import { evaluateHealth, type HealthInputs } from '../health/status.js'
import { NO_STORE, sendJson } from '../../common/web/answer.js'
import type { EdgeHttp } from './server.js'

export interface HealthView {
  inputs(): HealthInputs
  connectedClients(): number
  site: string
  /** Each camera's state, for the technician's `motcua-edge health`; null on a site without cameras. */
  cameras?(): { id: string; state: string; detail: string }[] | null
}

/** GET /healthz (200 ok / 503 degraded, with reasons) and GET /metrics (Prometheus text). */
export function addHealthRoutes(http: EdgeHttp, view: HealthView, metrics: Registry): void {
  http.route('GET', '/healthz', (_req, res) => {
    const inputs = view.inputs()
    const verdict = evaluateHealth(inputs)
    sendJson(res, verdict.status === 'ok' ? 200 : 503, {
      ...verdict,
      site: view.site,
      uptimeS: Math.floor((inputs.now - inputs.startedAt) / 1000),
      connectedDevices: view.connectedClients(),
      outbox: inputs.outbox,
      forwarder: inputs.forwarder,
      cameras: view.cameras?.() ?? null,
    }, NO_STORE)
  })
  http.route('GET', '/metrics', async (_req, res) => {
    const text = await metrics.metrics()
    res.writeHead(200, { 'content-type': metrics.contentType })
    res.end(text)
  })
}
