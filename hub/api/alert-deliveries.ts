/**
 * GET /api/v1/alerts/deliveries (docs/api.md "Alert deliveries"): what was
 * sent to whom, newest first, of the sites the key may read. Recipients are
 * named by their config id; addresses are not in the log.
 */
import { sendJson } from '../../common/web/answer.js'
import { createAlertDeliveryLog, type AlertDeliveryLog } from '../alert-delivery/log.js'
import { scopeSites } from './auth.js'
import type { ApiDeps, ApiHandler } from './context.js'
import { idList, int, range } from './params.js'

export function alertDeliveriesApi(): ApiHandler {
  let log: AlertDeliveryLog | null = null
  const logOf = (deps: ApiDeps) => (log ??= createAlertDeliveryLog({ writer: deps.writer, db: deps.db }))
  return async ({ res, key, query, pathSite }, deps) => {
    const sites = scopeSites(key, pathSite ? [pathSite] : idList(query, 'site'))
    const { from, to } = range(query, deps.now() + 1, (t) => t - 7 * 86_400_000)
    const limit = int(query, 'limit', 1, 1000, 200)
    const entries = await logOf(deps).list(from, to, limit, sites)
    sendJson(res, 200, { data: entries, meta: { from, to, limit } })
  }
}
