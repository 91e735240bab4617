/**
 * The report as a printable page (pure: figures in, HTML out), Vietnamese
 * first with English beneath, on A4 landscape. The same page is what the
 * hub prints to PDF (pdf.ts). The Decision 766 figure is the one the
 * province is judged on (docs/kpi.md).
 */
import type { Report, ReportRow, RowKpis, SheetLevel } from './build.js'
import { periodTitle, REPORT_KIND } from './period-title.js'

/**
 * The report's own policy: its one inline style sheet and nothing else, no
 * script, no framing, no form (issue 11): a name the report quotes cannot
 * bring anything in even if escaping ever failed.
 */
export const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

export const SHEET_TITLES: Record<SheetLevel, { vi: string; en: string }> = {
  branch: { vi: 'Theo chi nhánh', en: 'By branch' },
  site: { vi: 'Theo điểm tiếp nhận', en: 'By site' },
  department: { vi: 'Theo sở, ngành', en: 'By department' },
  counter: { vi: 'Theo quầy', en: 'By counter' },
  officer: { vi: 'Theo cán bộ', en: 'By officer' },
}

export const SUBJECT_TITLES = {
  province: { vi: 'Tỉnh, thành phố', en: 'Province' },
  branch: { vi: 'Chi nhánh', en: 'Branch' },
  site: { vi: 'Điểm tiếp nhận', en: 'Site' },
  department: { vi: 'Sở, ngành', en: 'Department' },
} as const

/** Shown for the province's own Center, which belongs to no branch. */
export const NO_BRANCH_NAME = { vi: 'Trung tâm tỉnh (không thuộc chi nhánh)', en: 'Provincial Center (no branch)' }
export const NO_OFFICER_NAME = { vi: 'Không có cán bộ đăng nhập', en: 'No officer signed in' }

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
export const num = (v: number | null, digits = 1) =>
  v === null ? '—' : v.toLocaleString('vi-VN', { minimumFractionDigits: digits, maximumFractionDigits: digits })
export const pct = (v: number | null) => (v === null ? '—' : `${num(v * 100)} %`)
const mins = (s: number | null | undefined) => (s === null || s === undefined ? '—' : `${num(s / 60)} phút`)
const signed = (v: number | null) => (v === null ? '—' : `${v > 0 ? '+' : ''}${num(v)}`)
const bi = (vi: string, en: string) => `${esc(vi)}<br><span class="en">${esc(en)}</span>`
/** The change of the satisfaction index from the previous period; null when either is unknown. */
export const change = (now: RowKpis | null, before: RowKpis | null) =>
  now?.satisfactionIndex == null || before?.satisfactionIndex == null ? null : now.satisfactionIndex - before.satisfactionIndex

export function vnTime(ms: number): string {
  const d = new Date(ms + 7 * 3_600_000)
  const p = (n: number) => String(n).padStart(2, '0')
  return `${p(d.getUTCHours())}:${p(d.getUTCMinutes())} ngày ${p(d.getUTCDate())}/${p(d.getUTCMonth() + 1)}/${d.getUTCFullYear()}`
}

/** The report's title, Vietnamese or English: "Báo cáo mức độ hài lòng ... — quý IV năm 2026". */
export function reportTitle(r: Pick<Report, 'period'>, lang: 'vi' | 'en'): string {
  return lang === 'vi'
    ? `Báo cáo mức độ hài lòng của người dân, doanh nghiệp — ${periodTitle(r.period, 'vi')}`
    : `Citizen and business satisfaction report — ${periodTitle(r.period, 'en')}`
}

/** "Báo cáo quý" / "Quarterly report"; empty for a day or week. */
export function reportKind(r: Pick<Report, 'period'>, lang: 'vi' | 'en'): string {
  const u = r.period.unit
  return u === 'month' || u === 'quarter' || u === 'half' || u === 'year' ? REPORT_KIND[u][lang] : ''
}

export function rowName(level: SheetLevel, row: Pick<ReportRow, 'id' | 'name'>, lang: 'vi' | 'en'): string {
  if (level === 'branch' && row.name === '') return NO_BRANCH_NAME[lang]
  if (level === 'officer' && row.name === '') return NO_OFFICER_NAME[lang]
  return row.name
}

function table(level: SheetLevel, rows: readonly ReportRow[], queueTimes: boolean, maxRows: number): string {
  const placed = level === 'counter' || level === 'officer'
  const head = [
    bi(SHEET_TITLES[level].vi.replace(/^Theo /, '').replace(/^./, (c) => c.toUpperCase()), SHEET_TITLES[level].en.replace(/^By /, '')),
    ...(placed ? [bi('Điểm tiếp nhận', 'Site')] : []),
    ...(level === 'counter' ? [bi('Sở, ngành', 'Department')] : []),
    bi('Lượt đánh giá', 'Presses'), bi('Được tính', 'Counted'), bi('Nghi lạm dụng', 'Misuse'),
    bi('Chỉ số hài lòng', 'Satisfaction index'), bi('Kỳ trước', 'Previous period'), bi('Thay đổi', 'Change'),
    bi('Tỷ lệ không hài lòng', 'Dissatisfied'), bi('Tỷ lệ hài lòng (QĐ 766)', 'Rate (Decision 766)'), bi('Điểm (tối đa 6)', 'Points (max 6)'),
    ...(level === 'officer' ? [] : [bi('Vé đã phục vụ', 'Tickets served')]),
    ...(queueTimes && level !== 'officer' ? [bi('Chờ (trung vị)', 'Wait (median)'), bi('Phục vụ (trung vị)', 'Service (median)')] : []),
  ]
  const body = rows.slice(0, maxRows).map((x) => {
    const k = x.current
    const cells = [
      ...(placed ? [esc(x.site ?? '')] : []),
      ...(level === 'counter' ? [esc(x.department ?? '')] : []),
      String(k?.presses ?? 0), String(k?.counted ?? 0), String(k?.misuse ?? 0),
      num(k?.satisfactionIndex ?? null), num(x.previous?.satisfactionIndex ?? null), signed(change(k, x.previous)),
      pct(k?.dissatisfiedShare ?? null), pct(k?.decision766.rate ?? null), k?.decision766.points == null ? '—' : num(k.decision766.points, 2),
      ...(level === 'officer' ? [] : [k?.ticketsServed == null ? '—' : String(k.ticketsServed)]),
      ...(queueTimes && level !== 'officer' ? [mins(x.queue?.waitMedianS), mins(x.queue?.serviceMedianS)] : []),
    ]
    return `<tr><th scope="row">${esc(rowName(level, x, 'vi'))}</th>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`
  })
  const cut = rows.length > maxRows
    ? `<p class="note">${bi(`Trang in có ${maxRows} trên ${rows.length} dòng; tệp Excel có đủ.`, `The printed page shows ${maxRows} of ${rows.length} rows; the Excel file has them all.`)}</p>`
    : ''
  return `<section id="sheet-${level}"><h2>${bi(SHEET_TITLES[level].vi, SHEET_TITLES[level].en)}</h2>
<table><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>
${body.join('\n')}
</tbody></table>${cut}</section>`
}

const hours = (min: number) => num(min / 60, 2)

/** Officer duty (issue 15, seed 003): per officer hours on duty, lateness, absence, ratings per hour; per counter unstaffed opening time. */
function dutySection(d: NonNullable<Report['duty']>, maxRows: number): string {
  const head = (cols: [string, string][]) => `<thead><tr>${cols.map(([vi, en]) => `<th>${bi(vi, en)}</th>`).join('')}</tr></thead>`
  const officers = d.officers.slice(0, maxRows).map((o) =>
    `<tr data-officer="${esc(o.officer)}"><th scope="row">${esc(o.officerName)}${o.scheduled ? '' : ' <span class="en">(ngoài lịch / not scheduled)</span>'}</th>` +
    [esc(o.siteName), String(o.daysOnDuty), hours(o.minutesOnDuty), hours(o.minutesInOpeningHours), String(o.daysLate), String(o.lateMinutes), String(o.daysAbsent),
      String(o.ratings), o.ratingsPerHour === null ? '—' : num(o.ratingsPerHour, 2)].map((c) => `<td>${c}</td>`).join('') + '</tr>')
  const counters = d.counters.slice(0, maxRows).map((c) =>
    `<tr data-counter="${esc(c.counter)}"><th scope="row">${esc(c.counterName)}</th>` +
    [esc(c.siteName), esc(c.departmentName ?? ''), String(c.openMinutes), String(c.unstaffedMinutes), pct(c.openMinutes > 0 ? c.unstaffedMinutes / c.openMinutes : null)]
      .map((x) => `<td>${x}</td>`).join('') + '</tr>')
  const cut = (n: number) => (n > maxRows ? `<p class="note">${bi(`Trang in có ${maxRows} trên ${n} dòng; tệp Excel có đủ.`, `The printed page shows ${maxRows} of ${n} rows; the Excel file has them all.`)}</p>` : '')
  return `<section id="duty"><h2>${bi('Giờ làm việc của cán bộ: đi muộn, vắng mặt', 'Officer duty: lateness, absence')}</h2>
<table>${head([['Cán bộ', 'Officer'], ['Điểm tiếp nhận', 'Site'], ['Ngày làm việc', 'Days on duty'], ['Giờ làm việc', 'Hours on duty'], ['Trong giờ tiếp dân (giờ)', 'In opening hours (h)'],
    ['Số ngày đi muộn', 'Days late'], ['Đi muộn (phút)', 'Late (min)'], ['Số ngày vắng', 'Days absent'], ['Lượt đánh giá', 'Ratings'], ['Lượt đánh giá / giờ', 'Ratings per hour']])}<tbody>
${officers.join('\n')}
</tbody></table>${cut(d.officers.length)}
<h2>${bi('Quầy không có cán bộ trong giờ tiếp dân', 'Counters unstaffed during opening hours')}</h2>
<table>${head([['Quầy', 'Counter'], ['Điểm tiếp nhận', 'Site'], ['Sở, ngành', 'Department'], ['Giờ tiếp dân (phút)', 'Opening time (min)'], ['Không có cán bộ (phút)', 'Unstaffed (min)'], ['Tỷ lệ', 'Share']])}<tbody>
${counters.join('\n')}
</tbody></table>${cut(d.counters.length)}</section>`
}

export interface RenderOptions {
  /** Rows per level on the page; the Excel file carries every row (a province has thousands of counters). */
  maxRowsPerSheet?: number
}

export function renderReportHtml(r: Report, opts: RenderOptions = {}): string {
  const t = r.total.current
  const before = r.total.previous
  const d = t?.decision766
  const levels = (t?.levels ?? []).map((l) => `<li>${esc(l.vi)} <span class="en">(${esc(l.en)}, ${l.scale} mức)</span>: <b>${l.count}</b> — ${pct(l.share)}</li>`).join('')
  const subject = SUBJECT_TITLES[r.scope.level]
  const subjectName = r.scope.level === 'branch' && r.subject === '' ? NO_BRANCH_NAME.vi : r.subject
  const card = (vi: string, en: string, big: string, sub = '') => `<div class="card">${bi(vi, en)}<b>${big}</b>${sub ? `<small>${sub}</small>` : ''}</div>`
  const q = r.total.queue
  return `<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP.replace(/; frame-ancestors 'none'/, '')}">
<title>${esc(reportTitle(r, 'vi'))} — ${esc(subjectName)}</title>
<style>
  @page { size: A4 landscape; margin: 12mm }
  body { font-family: "Noto Sans", "DejaVu Sans", Arial, sans-serif; color: #1a1a1a; margin: 20px; font-size: 12px }
  h1 { font-size: 20px; margin: 0 0 4px } h2 { font-size: 15px; margin: 20px 0 6px; break-after: avoid }
  .kind { font-weight: bold; letter-spacing: 0.04em; margin-bottom: 6px }
  .en { color: #666; font-size: 0.85em; font-weight: normal }
  .cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 14px 0 }
  .card { border: 1px solid #c9d3e0; border-radius: 6px; padding: 8px 14px; min-width: 140px }
  .card b { display: block; font-size: 24px; color: #0b4f8a } .card small { color: #555 }
  table { border-collapse: collapse; width: 100% } th, td { border: 1px solid #c9d3e0; padding: 4px 6px; text-align: right }
  thead { display: table-header-group } tr { break-inside: avoid }
  th { background: #eef3f9 } th[scope=row], thead th:first-child { text-align: left } .note { color: #555 }
  footer { margin-top: 20px; color: #555; font-size: 10px }
</style></head>
<body>
<div class="kind">${esc(reportKind(r, 'vi').toUpperCase())} <span class="en">${esc(reportKind(r, 'en'))}</span></div>
<h1>${esc(reportTitle(r, 'vi'))}</h1>
<div class="en">${esc(reportTitle(r, 'en'))}</div>
<p><b>${esc(subject.vi)}:</b> ${esc(subjectName)} <span class="en">(${esc(subject.en)})</span><br>
${bi(`So sánh với ${periodTitle(r.previous, 'vi')}`, `Compared with ${periodTitle(r.previous, 'en')}`)}</p>
<div class="cards">
  ${card('Chỉ số hài lòng', 'Satisfaction index', num(t?.satisfactionIndex ?? null), `kỳ trước ${num(before?.satisfactionIndex ?? null)} (${signed(change(t, before))})`)}
  ${card('Tỷ lệ hài lòng theo QĐ 766/QĐ-TTg', 'Decision 766 satisfaction rate', pct(d?.rate ?? null), `kỳ trước ${pct(before?.decision766.rate ?? null)}`)}
  ${card('Điểm thành phần QĐ 766 (tối đa 6)', 'Decision 766 points (max 6)', d?.points == null ? '—' : num(d.points, 2))}
  ${card('Lượt đánh giá được tính', 'Ratings counted', String(t?.counted ?? 0), `kỳ trước ${before?.counted ?? 0}`)}
  ${card('Vé đã phục vụ', 'Tickets served', t?.ticketsServed == null ? '—' : String(t.ticketsServed))}
  ${r.queueTimes ? card('Thời gian chờ (trung vị)', 'Waiting time (median)', mins(q?.waitMedianS)) + card('Thời gian phục vụ (trung vị)', 'Service time (median)', mins(q?.serviceMedianS)) : ''}
</div>
${t && t.counted > 0 ? `<h2>${bi('Phân bố mức đánh giá', 'Ratings by level')}</h2><ul>${levels}</ul>` : `<p>${bi('Không có đánh giá nào trong kỳ.', 'No ratings in this period.')}</p>`}
${r.sheets.map((s) => table(s.level, s.rows, r.queueTimes, opts.maxRowsPerSheet ?? Infinity)).join('\n')}
${r.leftOut.length ? `<p class="note">${bi(
    `Bản in không có các cấp ${r.leftOut.map((l) => SHEET_TITLES[l].vi.replace(/^Theo /, '')).join(', ')}: phạm vi có nhiều điểm tiếp nhận; tệp Excel có đủ các cấp.`,
    `The printed report leaves out ${r.leftOut.map((l) => SHEET_TITLES[l].en.replace(/^By /, '')).join(', ')}: the scope has many sites; the Excel file has every level.`,
  )}</p>` : ''}
${r.duty ? dutySection(r.duty, opts.maxRowsPerSheet ?? Infinity) : ''}
<footer>
  ${bi(
    'Tỷ lệ hài lòng (QĐ 766) = số hồ sơ được đánh giá không "không hài lòng" ÷ số hồ sơ được đánh giá; điểm = 6 khi tỷ lệ ≥ 90 %, còn lại tỷ lệ × 6 ÷ 90 %. Lượt bấm nghi lạm dụng (bấm liên tục, kẹt nút, vượt số vé) không được tính. Thời gian chờ = từ lúc lấy số đến lần gọi đầu; thời gian phục vụ = từ lần gọi cuối đến khi xong.',
    'Decision 766 rate = rated dossiers not dissatisfied ÷ rated dossiers; points = 6 at ≥ 90 %, otherwise rate × 6 ÷ 90 %. Presses flagged as misuse (rapid, stuck, excess) are not counted. Waiting = ticket issued to first call; service = last call to finish.',
  )}<br>
  Lập lúc ${vnTime(r.generatedAt)} (giờ Việt Nam) <span class="en">— generated by the motcua hub</span>
</footer>
</body></html>
`
}
