/**
 * GET /api/v1/reports/monthly?month=2026-10&site=… | department=… — the
 * printable report (hub/reports) for a site or a department across the
 * sites the key may read; `period=2026-Q3` (any month, quarter, half-year or
 * year label) in place of `month` for the other reports. People download the
 * same reports, as Excel and PDF too, from the console (docs/reports.md).
 */
import { parsePeriodLabel } from '../kpi/time.js'
import { buildReport, REPORT_UNITS, type ReportUnit } from '../reports/build.js'
import { renderReportHtml, REPORT_CSP } from '../reports/html.js'
import { scopeSites } from './auth.js'
import type { ApiHandler } from './context.js'
import { filters, idList, invalid } from './params.js'

export const monthlyReport: ApiHandler = async ({ res, key, query, pathSite }, deps) => {
  const month = query.get('month')
  const label = month ?? query.get('period') ?? ''
  const bucket = month !== null ? (/^\d{4}-\d{2}$/.test(month) ? parsePeriodLabel(month) : null) : parsePeriodLabel(label)
  if (!bucket || !REPORT_UNITS.includes(bucket.unit as ReportUnit)) throw invalid('month: expected YYYY-MM, e.g. 2026-10 (or period: 2026-10, 2026-Q3, 2026-H1, 2026)')
  const site = pathSite ?? idList(query, 'site')?.[0]
  const department = idList(query, 'department')?.[0]
  if ((site === undefined) === (department === undefined)) throw invalid('give exactly one of site or department')
  const { db, dir } = deps
  let sites: readonly string[]
  if (site !== undefined) {
    scopeSites(key, [site])
    sites = [site]
  } else {
    sites = filters(new URLSearchParams({ department: department! }), key, dir).site ?? dir.sites.map((s) => s.id)
  }
  const report = await buildReport(db, dir, {
    period: bucket,
    scope: site !== undefined ? { level: 'site', id: site } : { level: 'department', id: department! },
    sites,
    officers: false,
    nowMs: deps.now(),
  })
  const html = renderReportHtml(report)
  res.writeHead(200, {
    'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html),
    'content-security-policy': REPORT_CSP, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer',
  })
  res.end(html)
}
