/**
 * The report as an Excel workbook (exceljs): a summary sheet and one sheet
 * per level (branches, sites, departments, counters, officers) and, for
 * readers who may see officers, one of officer duty, headers in
 * Vietnamese with English beneath. Counts and the satisfaction index are
 * values; shares, the Decision 766 rate and points and the change from the
 * previous period are formulas over those values, each carrying its result,
 * so a reader can follow them and a program reading the file sees numbers.
 *
 * Written with exceljs's streaming writer, each level row committed as soon
 * as it is filled: a province's quarter (12,000 counters and as many
 * officers) built as a whole workbook took ~680 MB and 13 s (bench reports);
 * streamed, ~90 MB and 5 s on a loaded machine.
 */
import { PassThrough } from 'node:stream'
import ExcelJS from 'exceljs'
import type { Report, ReportRow, RowKpis, SheetLevel } from './build.js'
import { change, reportKind, reportTitle, rowName, SHEET_TITLES, SUBJECT_TITLES, NO_BRANCH_NAME } from './html.js'
import { periodTitle } from './period-title.js'

/** Sheet names (Excel: at most 31 characters, none of : \ / ? * [ ]). */
export const SHEET_NAMES: Record<SheetLevel | 'summary' | 'duty', string> = {
  summary: 'Tổng hợp',
  branch: 'Chi nhánh',
  site: 'Điểm tiếp nhận',
  department: 'Sở, ngành',
  counter: 'Quầy',
  officer: 'Cán bộ',
  duty: 'Giờ làm việc',
}

/** The first row of figures on a level sheet (rows 1–3 title, 5–6 headers). */
export const FIRST_DATA_ROW = 7

interface Column {
  key: string
  vi: string
  en: string
  width: number
  /** A value, or a formula over the row's other cells with its result. */
  cell(row: ReportRow, at: (key: string) => string): ExcelJS.CellValue
  /** Excel number format. */
  format?: string
}

const value = (v: number | null | undefined): ExcelJS.CellValue => (v === null || v === undefined ? null : v)
const formula = (f: string, result: number | null): ExcelJS.CellValue => ({ formula: f, result: result ?? '' })
const cur = (r: ReportRow): RowKpis | null => r.current
const minutes = (s: number | null | undefined) => (s === null || s === undefined ? null : s / 60)

function columns(level: SheetLevel, queueTimes: boolean): Column[] {
  const placed = level === 'counter' || level === 'officer'
  const cols: (Column | false)[] = [
    { key: 'id', vi: 'Mã', en: 'Id', width: 22, cell: (r) => r.id },
    { key: 'name', vi: 'Tên', en: 'Name', width: 34, cell: (r) => rowName(level, r, 'vi') },
    placed && { key: 'site', vi: 'Điểm tiếp nhận', en: 'Site', width: 30, cell: (r) => r.site ?? '' },
    level === 'counter' && { key: 'department', vi: 'Sở, ngành', en: 'Department', width: 26, cell: (r) => r.department ?? '' },
    { key: 'presses', vi: 'Lượt đánh giá', en: 'Presses', width: 12, cell: (r) => cur(r)?.presses ?? 0 },
    { key: 'counted', vi: 'Được tính', en: 'Counted', width: 11, cell: (r) => cur(r)?.counted ?? 0 },
    { key: 'misuse', vi: 'Nghi lạm dụng', en: 'Misuse', width: 11, cell: (r) => cur(r)?.misuse ?? 0 },
    { key: 'dissatisfied', vi: 'Không hài lòng', en: 'Dissatisfied', width: 12, cell: (r) => cur(r)?.dissatisfied ?? 0 },
    { key: 'index', vi: 'Chỉ số hài lòng (0–100)', en: 'Satisfaction index', width: 14, format: '0.0', cell: (r) => value(cur(r)?.satisfactionIndex) },
    {
      key: 'dissatisfiedShare', vi: 'Tỷ lệ không hài lòng', en: 'Dissatisfied share', width: 13, format: '0.0%',
      cell: (r, at) => formula(`IF(${at('counted')}=0,"",${at('dissatisfied')}/${at('counted')})`, cur(r)?.dissatisfiedShare ?? null),
    },
    { key: 'rated766', vi: 'Hồ sơ được đánh giá (QĐ 766)', en: 'Rated (Decision 766)', width: 14, cell: (r) => cur(r)?.decision766.rated ?? 0 },
    { key: 'ok766', vi: 'Không "không hài lòng"', en: 'Not dissatisfied', width: 14, cell: (r) => cur(r)?.decision766.notDissatisfied ?? 0 },
    {
      key: 'rate766', vi: 'Tỷ lệ hài lòng (QĐ 766)', en: 'Rate (Decision 766)', width: 13, format: '0.0%',
      cell: (r, at) => formula(`IF(${at('rated766')}=0,"",${at('ok766')}/${at('rated766')})`, cur(r)?.decision766.rate ?? null),
    },
    {
      // Compared in whole numbers, as hub/kpi/decision766.ts does: 90 % exactly earns the full 6 points.
      key: 'points766', vi: 'Điểm QĐ 766 (tối đa 6)', en: 'Points (max 6)', width: 12, format: '0.00',
      cell: (r, at) => formula(
        `IF(${at('rated766')}=0,"",IF(${at('ok766')}*10>=${at('rated766')}*9,6,${at('ok766')}*60/(${at('rated766')}*9)))`,
        cur(r)?.decision766.points ?? null,
      ),
    },
    level !== 'officer' && { key: 'served', vi: 'Vé đã phục vụ', en: 'Tickets served', width: 11, cell: (r) => value(cur(r)?.ticketsServed) },
    queueTimes && level !== 'officer' && { key: 'wait', vi: 'Chờ, trung vị (phút)', en: 'Wait, median (min)', width: 12, format: '0.0', cell: (r) => value(minutes(r.queue?.waitMedianS)) },
    queueTimes && level !== 'officer' && { key: 'service', vi: 'Phục vụ, trung vị (phút)', en: 'Service, median (min)', width: 12, format: '0.0', cell: (r) => value(minutes(r.queue?.serviceMedianS)) },
    { key: 'prevCounted', vi: 'Kỳ trước: được tính', en: 'Previous: counted', width: 12, cell: (r) => r.previous?.counted ?? 0 },
    { key: 'prevIndex', vi: 'Kỳ trước: chỉ số hài lòng', en: 'Previous: satisfaction index', width: 14, format: '0.0', cell: (r) => value(r.previous?.satisfactionIndex) },
    {
      key: 'change', vi: 'Thay đổi chỉ số', en: 'Change of index', width: 12, format: '+0.0;-0.0;0.0',
      cell: (r, at) => formula(`IF(OR(${at('index')}="",${at('prevIndex')}=""),"",${at('index')}-${at('prevIndex')})`, change(r.current, r.previous)),
    },
  ]
  return cols.filter((c): c is Column => c !== false)
}

/** The columns of a level sheet by key, in order: for readers of the file (tests, scripts). */
export const columnKeys = (level: SheetLevel, queueTimes: boolean): string[] => columns(level, queueTimes).map((c) => c.key)

function titleRows(ws: ExcelJS.Worksheet, r: Report, what: string): void {
  const subject = SUBJECT_TITLES[r.scope.level]
  const name = r.scope.level === 'branch' && r.subject === '' ? NO_BRANCH_NAME.vi : r.subject
  ws.getCell('A1').value = `${reportKind(r, 'vi')} — ${reportTitle(r, 'vi')}`
  ws.getCell('A1').font = { bold: true, size: 14 }
  ws.getCell('A2').value = `${reportKind(r, 'en')} — ${reportTitle(r, 'en')}`
  ws.getCell('A2').font = { italic: true, color: { argb: 'FF666666' } }
  ws.getCell('A3').value = `${subject.vi} / ${subject.en}: ${name} · ${what} · so sánh với ${periodTitle(r.previous, 'vi')} / compared with ${periodTitle(r.previous, 'en')}`
}

function levelSheet(wb: ExcelJS.Workbook, r: Report, level: SheetLevel, rows: readonly ReportRow[]): void {
  const ws = wb.addWorksheet(SHEET_NAMES[level], { views: [{ state: 'frozen', xSplit: 2, ySplit: FIRST_DATA_ROW - 1 }] })
  titleRows(ws, r, `${SHEET_TITLES[level].vi} / ${SHEET_TITLES[level].en}`)
  const cols = columns(level, r.queueTimes)
  const letter = new Map(cols.map((c, i) => [c.key, ws.getColumn(i + 1).letter]))
  cols.forEach((c, i) => {
    const col = ws.getColumn(i + 1)
    col.width = c.width
    if (c.format) col.numFmt = c.format
    ws.getCell(5, i + 1).value = c.vi
    ws.getCell(6, i + 1).value = c.en
  })
  for (const n of [5, 6]) {
    const header = ws.getRow(n)
    header.font = n === 5 ? { bold: true } : { italic: true, color: { argb: 'FF666666' } }
    header.alignment = { wrapText: true, vertical: 'top' }
    header.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFEEF3F9' } }
  }
  rows.forEach((row, i) => {
    const n = FIRST_DATA_ROW + i
    const at = (key: string) => `${letter.get(key)}${n}`
    const line = ws.getRow(n)
    line.values = cols.map((c) => c.cell(row, at))
    line.commit()
  })
  ws.commit()
}

function summarySheet(wb: ExcelJS.Workbook, r: Report): void {
  const ws = wb.addWorksheet(SHEET_NAMES.summary)
  titleRows(ws, r, 'Tổng hợp / Summary')
  ws.getColumn(1).width = 44
  for (const c of [2, 3, 4]) ws.getColumn(c).width = 16
  const now = r.total.current
  const before = r.total.previous
  ws.getRow(5).values = ['Chỉ tiêu / Figure', 'Kỳ này / This period', 'Kỳ trước / Previous', 'Thay đổi / Change']
  ws.getRow(5).font = { bold: true }
  const lines: [string, number | null, number | null, string?][] = [
    ['Lượt đánh giá / Presses', now?.presses ?? 0, before?.presses ?? 0],
    ['Được tính / Counted', now?.counted ?? 0, before?.counted ?? 0],
    ['Nghi lạm dụng / Misuse', now?.misuse ?? 0, before?.misuse ?? 0],
    ['Chỉ số hài lòng (0–100) / Satisfaction index', now?.satisfactionIndex ?? null, before?.satisfactionIndex ?? null, '0.0'],
    ['Tỷ lệ không hài lòng / Dissatisfied share', now?.dissatisfiedShare ?? null, before?.dissatisfiedShare ?? null, '0.0%'],
    ['Tỷ lệ hài lòng (QĐ 766) / Rate (Decision 766)', now?.decision766.rate ?? null, before?.decision766.rate ?? null, '0.0%'],
    ['Điểm QĐ 766 (tối đa 6) / Decision 766 points', now?.decision766.points ?? null, before?.decision766.points ?? null, '0.00'],
    ['Vé đã phục vụ / Tickets served', now?.ticketsServed ?? null, before?.ticketsServed ?? null],
    ...(r.queueTimes
      ? ([
          ['Thời gian chờ, trung vị (phút) / Waiting, median (min)', minutes(r.total.queue?.waitMedianS), null, '0.0'],
          ['Thời gian phục vụ, trung vị (phút) / Service, median (min)', minutes(r.total.queue?.serviceMedianS), null, '0.0'],
        ] as [string, number | null, null, string][])
      : []),
  ]
  lines.forEach(([label, a, b, fmt], i) => {
    const n = 6 + i
    const row = ws.getRow(n)
    row.values = [label, a, b, a === null || b === null ? null : { formula: `B${n}-C${n}`, result: a - b }]
    if (fmt) for (const c of [2, 3, 4]) row.getCell(c).numFmt = fmt
  })
  let n = 6 + lines.length + 1
  ws.getCell(`A${n}`).value = 'Phân bố mức đánh giá / Ratings by level'
  ws.getCell(`A${n}`).font = { bold: true }
  for (const l of now?.levels ?? []) {
    n++
    ws.getRow(n).values = [`${l.vi} (${l.en}, ${l.scale} mức)`, l.count, null, null]
  }
  ws.commit()
}

/** The duty sheet's two tables, by column: officers from FIRST_DATA_ROW, then counters below them. */
export const DUTY_OFFICER_COLUMNS = [
  ['site', 'Điểm tiếp nhận', 'Site'], ['officer', 'Cán bộ', 'Officer'], ['scheduled', 'Có lịch', 'Scheduled'], ['daysOnDuty', 'Ngày làm việc', 'Days on duty'],
  ['hours', 'Giờ làm việc', 'Hours on duty'], ['hoursInOpening', 'Trong giờ tiếp dân (giờ)', 'In opening hours (h)'], ['daysLate', 'Số ngày đi muộn', 'Days late'],
  ['lateMinutes', 'Đi muộn (phút)', 'Late (min)'], ['daysAbsent', 'Số ngày vắng', 'Days absent'], ['ratings', 'Lượt đánh giá', 'Ratings'],
  ['ratingsPerHour', 'Lượt đánh giá / giờ làm việc', 'Ratings per hour on duty'],
] as const
export const DUTY_COUNTER_COLUMNS = [
  ['site', 'Điểm tiếp nhận', 'Site'], ['counter', 'Quầy', 'Counter'], ['department', 'Sở, ngành', 'Department'],
  ['openMinutes', 'Giờ tiếp dân (phút)', 'Opening time (min)'], ['unstaffedMinutes', 'Không có cán bộ (phút)', 'Unstaffed (min)'],
] as const

/** Officer duty (issue 15): hours, lateness, absence and ratings per hour per officer; unstaffed opening time per counter. Values, as hub/kpi/duty.ts gives them. */
function dutySheet(wb: ExcelJS.Workbook, r: Report, d: NonNullable<Report['duty']>): void {
  const ws = wb.addWorksheet(SHEET_NAMES.duty, { views: [{ state: 'frozen', ySplit: 3 }] })
  titleRows(ws, r, 'Giờ làm việc của cán bộ / Officer duty')
  const widths = [30, 26, 9, 11, 11, 13, 11, 11, 11, 11, 14]
  widths.forEach((w, i) => (ws.getColumn(i + 1).width = w))
  const header = (n: number, cols: readonly (readonly [string, string, string])[]) => {
    ws.getRow(n).values = cols.map((c) => c[1])
    ws.getRow(n + 1).values = cols.map((c) => c[2])
    ws.getRow(n).font = { bold: true }
    ws.getRow(n + 1).font = { italic: true, color: { argb: 'FF666666' } }
    for (const k of [n, n + 1]) ws.getRow(k).alignment = { wrapText: true, vertical: 'top' }
  }
  header(5, DUTY_OFFICER_COLUMNS)
  d.officers.forEach((o, i) => {
    const row = ws.getRow(FIRST_DATA_ROW + i)
    row.values = [
      o.siteName, o.officerName, o.scheduled ? 'Có' : 'Không', o.daysOnDuty, Math.round((o.minutesOnDuty / 60) * 100) / 100,
      Math.round((o.minutesInOpeningHours / 60) * 100) / 100, o.daysLate, o.lateMinutes, o.daysAbsent, o.ratings, o.ratingsPerHour,
    ]
    for (const c of [5, 6, 11]) row.getCell(c).numFmt = '0.00'
  })
  const counters = FIRST_DATA_ROW + d.officers.length + 2
  ws.getCell(`A${counters - 1}`).value = 'Quầy không có cán bộ trong giờ tiếp dân / Counters unstaffed during opening hours'
  ws.getCell(`A${counters - 1}`).font = { bold: true }
  header(counters, DUTY_COUNTER_COLUMNS)
  d.counters.forEach((c, i) => {
    ws.getRow(counters + 2 + i).values = [c.siteName, c.counterName, c.departmentName ?? '', c.openMinutes, c.unstaffedMinutes]
  })
}

export async function renderReportXlsx(r: Report): Promise<Buffer> {
  const stream = new PassThrough()
  const chunks: Buffer[] = []
  stream.on('data', (c: Buffer) => chunks.push(c))
  const ended = new Promise<void>((resolve, reject) => stream.once('end', resolve).once('error', reject))
  // Sheets not committed by their builder (the duty sheet) are committed here, in order.
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream, useStyles: true, useSharedStrings: false })
  wb.creator = 'motcua hub'
  wb.created = new Date(r.generatedAt)
  summarySheet(wb, r)
  for (const s of r.sheets) levelSheet(wb, r, s.level, s.rows)
  if (r.duty) dutySheet(wb, r, r.duty)
  await wb.commit()
  await ended
  return Buffer.concat(chunks)
}
