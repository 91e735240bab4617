/**
 * The monthly satisfaction report (pure: figures in, HTML out). Vietnamese
 * first with English beneath, printable on A4; the Decision 766 figure is the
 * one the province is judged on (docs/kpi.md).
 */
import type { QueueKpis } from '../kpi/queue.js'
import type { RatingKpis } from '../kpi/ratings.js'

export interface ReportRow {
  label: string
  kpis: RatingKpis
  queue?: QueueKpis
}

export interface MonthlyReport {
  /** "2026-10" */
  month: string
  /** What the report covers, e.g. the site's or department's name. */
  subject: { vi: string; en: string; name: string }
  total: RatingKpis | null
  rowsTitle: { vi: string; en: string }
  rows: ReportRow[]
  generatedAt: number
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
const num = (v: number | null, digits = 1) => (v === null ? '—' : v.toLocaleString('vi-VN', { minimumFractionDigits: digits, maximumFractionDigits: digits }))
const pct = (v: number | null) => (v === null ? '—' : `${num(v * 100)} %`)
const mins = (s: number | null) => (s === null ? '—' : `${num(s / 60)} phút`)
const bi = (vi: string, en: string) => `${esc(vi)}<br><span class="en">${esc(en)}</span>`

function vnTime(ms: number): string {
  const d = new Date(ms + 7 * 3_600_000)
  const p = (n: number) => String(n).padStart(2, '0')
  return `${p(d.getUTCHours())}:${p(d.getUTCMinutes())} ngày ${p(d.getUTCDate())}/${p(d.getUTCMonth() + 1)}/${d.getUTCFullYear()}`
}

function kpiCells(k: RatingKpis): string {
  const d = k.decision766
  return [
    String(k.presses),
    String(k.counted),
    String(k.misuse),
    num(k.satisfactionIndex),
    pct(k.dissatisfiedShare),
    pct(d.rate),
    d.points === null ? '—' : num(d.points, 2),
  ]
    .map((c) => `<td>${c}</td>`)
    .join('')
}

const KPI_HEAD = [
  ['Lượt đánh giá', 'Presses'],
  ['Được tính', 'Counted'],
  ['Nghi lạm dụng', 'Misuse'],
  ['Chỉ số hài lòng (0–100)', 'Satisfaction index'],
  ['Tỷ lệ không hài lòng', 'Dissatisfied'],
  ['Tỷ lệ hài lòng (QĐ 766)', 'Rate (Decision 766)'],
  ['Điểm (tối đa 6)', 'Points (max 6)'],
]

/**
 * The report's own policy: its one inline style sheet and nothing else, no
 * script, no framing, no form (issue 11): a site or officer name the report
 * quotes cannot bring anything in even if escaping ever failed.
 */
export const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

export function renderMonthlyReport(r: MonthlyReport): string {
  const [year, month] = r.month.split('-')
  const hasQueue = r.rows.some((x) => x.queue)
  const head = `<tr><th>${bi(r.rowsTitle.vi, r.rowsTitle.en)}</th>${KPI_HEAD.map(([vi, en]) => `<th>${bi(vi!, en!)}</th>`).join('')}${
    hasQueue ? `<th>${bi('Chờ (trung vị)', 'Wait (median)')}</th><th>${bi('Phục vụ (trung vị)', 'Service (median)')}</th><th>${bi('Vé được đánh giá', 'Tickets rated')}</th>` : ''
  }</tr>`
  const rows = r.rows
    .map(
      (x) =>
        `<tr><th scope="row">${esc(x.label)}</th>${kpiCells(x.kpis)}${
          hasQueue ? `<td>${mins(x.queue?.waitMedianS ?? null)}</td><td>${mins(x.queue?.serviceMedianS ?? null)}</td><td>${pct(x.queue?.ratedShare ?? null)}</td>` : ''
        }</tr>`,
    )
    .join('\n')
  const t = r.total
  const d = t?.decision766
  const levels = (t?.levels ?? []).map((l) => `<li>${esc(l.vi)} <span class="en">(${esc(l.en)}, ${l.scale} mức)</span>: <b>${l.count}</b> — ${pct(l.share)}</li>`).join('')
  return `<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<title>Báo cáo mức độ hài lòng tháng ${esc(month!)}/${esc(year!)} — ${esc(r.subject.name)}</title>
<style>
  @page { size: A4 landscape; margin: 14mm }
  body { font-family: "Noto Sans", "DejaVu Sans", Arial, sans-serif; color: #1a1a1a; margin: 24px; font-size: 13px }
  h1 { font-size: 22px; margin: 0 0 4px } h2 { font-size: 16px; margin: 22px 0 8px }
  .en { color: #666; font-size: 0.85em; font-weight: normal }
  .cards { display: flex; gap: 14px; margin: 16px 0 }
  .card { border: 1px solid #c9d3e0; border-radius: 6px; padding: 10px 16px; min-width: 150px }
  .card b { display: block; font-size: 26px; color: #0b4f8a }
  table { border-collapse: collapse; width: 100% } th, td { border: 1px solid #c9d3e0; padding: 5px 8px; text-align: right }
  th { background: #eef3f9 } th[scope=row], thead th:first-child { text-align: left }
  footer { margin-top: 22px; color: #555; font-size: 11px }
</style></head>
<body>
<h1>Báo cáo mức độ hài lòng của người dân, doanh nghiệp — tháng ${esc(month!)}/${esc(year!)}</h1>
<div class="en">Citizen and business satisfaction report — ${esc(r.month)}</div>
<p><b>${esc(r.subject.vi)}:</b> ${esc(r.subject.name)} <span class="en">(${esc(r.subject.en)})</span></p>
<div class="cards">
  <div class="card">${bi('Chỉ số hài lòng', 'Satisfaction index')}<b>${num(t?.satisfactionIndex ?? null)}</b></div>
  <div class="card">${bi('Tỷ lệ hài lòng theo QĐ 766/QĐ-TTg', 'Decision 766 satisfaction rate')}<b>${pct(d?.rate ?? null)}</b></div>
  <div class="card">${bi('Điểm thành phần QĐ 766 (tối đa 6)', 'Decision 766 points (max 6)')}<b>${d?.points == null ? '—' : num(d.points, 2)}</b></div>
  <div class="card">${bi('Lượt đánh giá được tính', 'Ratings counted')}<b>${t?.counted ?? 0}</b></div>
</div>
${t && t.counted > 0 ? `<h2>${bi('Phân bố mức đánh giá', 'Ratings by level')}</h2><ul>${levels}</ul>` : `<p>${bi('Không có đánh giá nào trong tháng.', 'No ratings this month.')}</p>`}
<h2>${bi('Chi tiết', 'Details')}</h2>
<table><thead>${head}</thead><tbody>
${rows}
</tbody></table>
<footer>
  ${bi(
    'Tỷ lệ hài lòng (QĐ 766) = số hồ sơ được đánh giá không "không hài lòng" ÷ số hồ sơ được đánh giá; điểm = 6 khi tỷ lệ ≥ 90 %, còn lại tỷ lệ × 6 ÷ 90 %. Lượt bấm nghi lạm dụng (bấm liên tục, kẹt nút, vượt số vé) không được tính.',
    'Decision 766 rate = rated dossiers not dissatisfied ÷ rated dossiers; points = 6 at ≥ 90 %, otherwise rate × 6 ÷ 90 %. Presses flagged as misuse (rapid, stuck, excess) are not counted.',
  )}<br>
  Lập lúc ${vnTime(r.generatedAt)} (giờ Việt Nam) <span class="en">— generated by the motcua hub</span>
</footer>
</body></html>
`
}
