/**
 * How a period is named on a screen and in a filed report (pure, also
 * bundled into the console). Vietnamese reports name periods as the seeds
 * do: "tháng 10/2026", "quý IV năm 2026", "6 tháng đầu năm 2026", "năm 2026".
 */
import { parsePeriodLabel, type PeriodBucket } from '../kpi/time.js'

export type TitleLang = 'vi' | 'en'

const ROMAN = ['I', 'II', 'III', 'IV'] as const
const MONTHS_EN = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'] as const

export function periodTitle(b: Pick<PeriodBucket, 'unit' | 'label'>, lang: TitleLang): string {
  const [y = '', rest = '', day = ''] = b.label.split('-')
  const n = Number(rest.replace(/^[WQH]/, ''))
  switch (b.unit) {
    case 'day':
      return lang === 'vi' ? `ngày ${day}/${rest}/${y}` : `${Number(day)} ${MONTHS_EN[n - 1]} ${y}`
    case 'week':
      return lang === 'vi' ? `tuần ${n} năm ${y}` : `week ${n} of ${y}`
    case 'month':
      return lang === 'vi' ? `tháng ${rest}/${y}` : `${MONTHS_EN[n - 1]} ${y}`
    case 'quarter':
      return lang === 'vi' ? `quý ${ROMAN[n - 1]} năm ${y}` : `Q${n} ${y}`
    case 'half':
      return lang === 'vi' ? `6 tháng ${n === 1 ? 'đầu' : 'cuối'} năm ${y}` : `${n === 1 ? 'first' : 'second'} half of ${y}`
    case 'year':
      return lang === 'vi' ? `năm ${y}` : `year ${y}`
    case 'live':
      return lang === 'vi' ? 'trực tiếp' : 'live'
  }
}

/** The title of a period label ("2026-Q4"), or null when it is not one. */
export function labelTitle(label: string, lang: TitleLang): string | null {
  const b = parsePeriodLabel(label)
  return b ? periodTitle(b, lang) : null
}

/** The kind of report a unit makes, as its heading says it. */
export const REPORT_KIND: Record<'month' | 'quarter' | 'half' | 'year', { vi: string; en: string }> = {
  month: { vi: 'Báo cáo tháng', en: 'Monthly report' },
  quarter: { vi: 'Báo cáo quý', en: 'Quarterly report' },
  half: { vi: 'Báo cáo 6 tháng', en: 'Half-year report' },
  year: { vi: 'Báo cáo năm', en: 'Annual report' },
}
