/**
 * Working days in Vietnam (pure; docs/complaints.md "Calendar"): Monday to
 * Friday, less public holidays, plus the Saturdays the government declares
 * working days when it swaps one for a bridge holiday. The built-in list is
 * the holidays of the Labour Code 2019 (art. 112) as public servants take
 * them for 2025–2027: Tết Dương lịch, five days of Tết Âm lịch, Giỗ Tổ Hùng
 * Vương (10/3 âm lịch), 30/4, 1/5 and two days of Quốc khánh, with the day
 * in lieu when one falls on a weekend. The Prime Minister fixes each year's
 * exact Tết days and swaps; the hub config's `cases.calendar` adds holidays,
 * declares working days (which win over everything) or drops the built-in
 * list. Days are local days (UTC+7), as 'YYYY-MM-DD'.
 */
import { DAY_MS } from '../../common/time.js'
import { VN_OFFSET_MS } from '../kpi/time.js'

export interface Holiday {
  date: string
  name: string
}

/**
 * Weekdays off for public servants, 2025–2027. 2025 and Tết 2026 are the days
 * decided (Tết 2025: 27–31/1; 30/4–1/5 2025 with Friday 2/5 swapped for
 * Saturday 26/4; Tết 2026: 16–20/2). The rest follows the Labour Code's
 * pattern and must be checked against each year's notice (docs/complaints.md).
 */
export const DEFAULT_HOLIDAYS: readonly Holiday[] = [
  { date: '2025-01-01', name: 'Tết Dương lịch' },
  ...['2025-01-27', '2025-01-28', '2025-01-29', '2025-01-30', '2025-01-31'].map((date) => ({ date, name: 'Tết Âm lịch (Ất Tỵ)' })),
  { date: '2025-04-07', name: 'Giỗ Tổ Hùng Vương' },
  { date: '2025-04-30', name: 'Ngày Chiến thắng' },
  { date: '2025-05-01', name: 'Quốc tế Lao động' },
  { date: '2025-05-02', name: 'Nghỉ hoán đổi (làm bù thứ Bảy 26/4)' },
  { date: '2025-09-01', name: 'Quốc khánh' },
  { date: '2025-09-02', name: 'Quốc khánh' },
  { date: '2026-01-01', name: 'Tết Dương lịch' },
  ...['2026-02-16', '2026-02-17', '2026-02-18', '2026-02-19', '2026-02-20'].map((date) => ({ date, name: 'Tết Âm lịch (Bính Ngọ)' })),
  // 26/4/2026 is a Sunday: the day in lieu is Monday.
  { date: '2026-04-27', name: 'Giỗ Tổ Hùng Vương (nghỉ bù)' },
  { date: '2026-04-30', name: 'Ngày Chiến thắng' },
  { date: '2026-05-01', name: 'Quốc tế Lao động' },
  { date: '2026-09-01', name: 'Quốc khánh' },
  { date: '2026-09-02', name: 'Quốc khánh' },
  { date: '2027-01-01', name: 'Tết Dương lịch' },
  // Mùng 1 Tết Đinh Mùi is Saturday 6/2/2027: 30 Tết to mùng 4, the weekend's two days in lieu after.
  ...['2027-02-05', '2027-02-08', '2027-02-09', '2027-02-10', '2027-02-11'].map((date) => ({ date, name: 'Tết Âm lịch (Đinh Mùi)' })),
  { date: '2027-04-16', name: 'Giỗ Tổ Hùng Vương' },
  { date: '2027-04-30', name: 'Ngày Chiến thắng' },
  // 1/5/2027 is a Saturday.
  { date: '2027-05-03', name: 'Quốc tế Lao động (nghỉ bù)' },
  { date: '2027-09-02', name: 'Quốc khánh' },
  { date: '2027-09-03', name: 'Quốc khánh' },
]

/** Saturdays worked in exchange for a bridge holiday. */
export const DEFAULT_WORKDAYS: readonly string[] = ['2025-04-26']

export interface WorkCalendar {
  readonly holidays: ReadonlyMap<string, string>
  readonly workdays: ReadonlySet<string>
}

export interface CalendarConfig {
  /** Whether the built-in list above applies; false: only the config's holidays. */
  defaults: boolean
  holidays: readonly Holiday[]
  workdays: readonly string[]
}

export function workCalendar(c: CalendarConfig = { defaults: true, holidays: [], workdays: [] }): WorkCalendar {
  const holidays = new Map((c.defaults ? [...DEFAULT_HOLIDAYS, ...c.holidays] : c.holidays).map((h) => [h.date, h.name] as const))
  return { holidays, workdays: new Set([...(c.defaults ? DEFAULT_WORKDAYS : []), ...c.workdays]) }
}

/** Local (UTC+7) day number of an instant: days since 1970-01-01 local. */
export const localDay = (ms: number): number => Math.floor((ms + VN_OFFSET_MS) / DAY_MS)
/** The first instant of a local day. */
export const dayStart = (day: number): number => day * DAY_MS - VN_OFFSET_MS
/** 'YYYY-MM-DD' of a local day number. */
export const dayLabel = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10)

export function isWorkingDay(cal: WorkCalendar, day: number): boolean {
  const label = dayLabel(day)
  if (cal.workdays.has(label)) return true
  const weekday = new Date(day * DAY_MS).getUTCDay()
  return weekday !== 0 && weekday !== 6 && !cal.holidays.has(label)
}

/**
 * The last day of a period of `n` calendar days counted from `day` (the day
 * itself not counted, Civil Code 2015 art. 147); when it is not a working day,
 * the next working day (art. 148(5)).
 */
export function calendarDaysDue(cal: WorkCalendar, day: number, n: number): number {
  let d = day + n
  // A year holds no run of non-working days longer than Tết's nine; bounded all the same.
  for (let i = 0; i < 366 && !isWorkingDay(cal, d); i++) d++
  return d
}

/** The `n`th working day after `day` (the day itself not counted). */
export function workingDaysDue(cal: WorkCalendar, day: number, n: number): number {
  let d = day
  for (let counted = 0, i = 0; counted < n && i < 366 * 2; i++) {
    d++
    if (isWorkingDay(cal, d)) counted++
  }
  return d
}
