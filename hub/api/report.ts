/** GET /api/v1/reports/monthly?month=2026-10&site=… | department=… — printable HTML. */
import { queryQueueKpis } from '../queries/queue.js'
import { queryRatingKpis } from '../queries/ratings.js'
import { parsePeriodLabel } from '../kpi/time.js'
import { renderMonthlyReport, REPORT_CSP, type ReportRow } from '../reports/monthly.js'
import { scopeSites } from './auth.js'
import type { ApiHandler } from './context.js'
import { filters, idList, invalid } from './params.js'

export const monthlyReport: ApiHandler = async ({ res, key, query, pathSite }, deps) => {
  const month = query.get('month') ?? ''
  const bucket = /^\d{4}-\d{2}$/.test(month) ? parsePeriodLabel(month) : null
  if (!bucket) throw invalid('month: expected YYYY-MM, e.g. 2026-10')
  const site = pathSite ?? idList(query, 'site')?.[0]
  const department = idList(query, 'department')?.[0]
  if ((site === undefined) === (department === undefined)) throw invalid('give exactly one of site or department')
  const period = { unit: 'month' as const, fromMs: bucket.start, toMs: bucket.end }
  const { db, dir } = deps
  let html: string
  if (site !== undefined) {
    scopeSites(key, [site])
    const filter = { site: [site] }
    const [total, byCounter, queue] = await Promise.all([
      queryRatingKpis(db, dir, { groupBy: ['site'], period, filter }),
      queryRatingKpis(db, dir, { groupBy: ['counter', 'department'], period, filter }),
      queryQueueKpis(db, dir, { groupBy: ['counter'], period, filter }),
    ])
    const queueOf = new Map(queue.map((g) => [g.key.counter, g.kpis]))
    const rows: ReportRow[] = byCounter.map((g) => ({ label: `${g.key.counter} — ${g.key.department}`, kpis: g.kpis, queue: queueOf.get(g.key.counter ?? '') }))
    html = renderMonthlyReport({
      month,
      subject: { vi: 'Đơn vị', en: 'Site', name: dir.site(site).name },
      total: total[0]?.kpis ?? null,
      rowsTitle: { vi: 'Quầy — lĩnh vực', en: 'Counter — department' },
      rows,
      generatedAt: deps.now(),
    })
  } else {
    const q = new URLSearchParams({ department: department! })
    const filter = filters(q, key, dir)
    const [total, bySite] = await Promise.all([
      filter.site?.length === 0 ? [] : queryRatingKpis(db, dir, { groupBy: ['department'], period, filter }),
      filter.site?.length === 0 ? [] : queryRatingKpis(db, dir, { groupBy: ['site'], period, filter }),
    ])
    html = renderMonthlyReport({
      month,
      subject: { vi: 'Sở, ngành', en: 'Department', name: department! },
      total: total[0]?.kpis ?? null,
      rowsTitle: { vi: 'Đơn vị', en: 'Site' },
      rows: bySite.map((g) => ({ label: dir.site(g.key.site ?? '').name, kpis: g.kpis })),
      generatedAt: deps.now(),
    })
  }
  res.writeHead(200, {
    'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html),
    'content-security-policy': REPORT_CSP, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer',
  })
  res.end(html)
}
