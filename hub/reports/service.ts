/**
 * Reports as files: the figures (build.ts) rendered as the web page, the
 * Excel workbook or the printed PDF, with a file name a person can file.
 * One service for the console's downloads, the API and the scheduled email.
 */
import { MotcuaError } from '../../common/errors.js'
import type { Logger } from '../../common/log.js'
import type { InfluxQuery } from '../queries/client.js'
import type { Directory } from '../queries/directory.js'
import { buildReport, type Report, type ReportRequest } from './build.js'
import { renderReportXlsx } from './excel.js'
import { renderReportHtml } from './html.js'
import type { PdfPrinter } from './pdf.js'

export const REPORT_FORMATS = ['html', 'xlsx', 'pdf'] as const
export type ReportFormat = (typeof REPORT_FORMATS)[number]

export const CONTENT_TYPES: Record<ReportFormat, string> = {
  html: 'text/html; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pdf: 'application/pdf',
}

/** Rows per level on the printed page; the workbook carries them all. */
export const PDF_ROWS_PER_SHEET = 300

export interface ReportFile {
  report: Report
  format: ReportFormat
  filename: string
  contentType: string
  body: Buffer
}

export interface Reports {
  file(r: ReportRequest, format: ReportFormat): Promise<ReportFile>
}

/** "bao-cao-site-ct-center-2026-Q3.xlsx": ASCII, so every mail client and file system keeps it. */
export function reportFilename(r: Pick<Report, 'scope' | 'period'>, format: ReportFormat): string {
  const id = r.scope.level === 'province' ? '' : `-${r.scope.id.replace(/[^A-Za-z0-9_-]/g, '_')}`
  return `bao-cao-${r.scope.level}${id}-${r.period.label}.${format}`
}

/** What a refused download is told to wait: about one province quarter's making. */
export const REPORTS_RETRY_AFTER_S = 10

/**
 * Runs work at most `atOnce` at a time, in the order asked; refuses it (HUB_REPORTS_BUSY, 503 with retry-after) when
 * `waiting` already wait. For reports, config reports.atOnce and reports.waiting: a province's quarter holds ~50 MB
 * and reads InfluxDB for seconds while it is made (docs/reports.md), so a crowd of downloads must not add up to more
 * than the hub's heap.
 */
export function turns(atOnce: number, waiting: number): <T>(work: () => Promise<T>) => Promise<T> {
  let running = 0
  const queue: (() => void)[] = []
  return async (work) => {
    if (running < atOnce) running++
    else if (queue.length >= waiting) throw new MotcuaError('HUB_REPORTS_BUSY', `${running} reports are being made and ${queue.length} wait`)
    // A finished report hands its turn to the next one waiting, so `running` stays as it is.
    else await new Promise<void>((ok) => queue.push(ok))
    try {
      return await work()
    } finally {
      const next = queue.shift()
      if (next) next()
      else running--
    }
  }
}

export function createReports(o: { db: InfluxQuery; dir: Directory; printer: PdfPrinter; log: Logger; atOnce: number; waiting: number }): Reports {
  const log = o.log.child({ module: 'reports' })
  const inTurn = turns(o.atOnce, o.waiting)
  return {
    file: (req, format) => inTurn(async () => {
      const report = await buildReport(o.db, o.dir, format === 'pdf' ? { ...req, printed: true } : req)
      let body: Buffer
      if (format === 'xlsx') body = await renderReportXlsx(report)
      else if (format === 'pdf') body = await o.printer.print(renderReportHtml(report, { maxRowsPerSheet: PDF_ROWS_PER_SHEET }))
      else body = Buffer.from(renderReportHtml(report), 'utf8')
      log.info({ scope: req.scope, period: req.period.label, format, bytes: body.length }, 'report made')
      return { report, format, filename: reportFilename(report, format), contentType: CONTENT_TYPES[format], body }
    }),
  }
}
