/**
 * The duty tab (issue 15, seed 003): for a site, or every site the person may
 * see, and a period of the drill-down's picker, each counter's opening time
 * with nobody signed in and, for the roles that may see officers, each
 * officer's hours on duty, lateness, absence and ratings per hour on duty,
 * summed over the period and, for one site, day by day. Read on demand only
 * (no polling): each reading of officers' figures is on the audit log.
 */
import type { DutyView } from '../duty.js'
import type { CounterPeriodRow, OfficerPeriodRow } from '../../reports/duty.js'
import type { OfficerDayRow } from '../../queries/duty.js'
import type { TextKey } from '../i18n.js'
import { el, getAnswer, getJson, num, pct, state, tr } from './dom.js'
import { periodPicker, type PeriodChoice } from './period.js'

const root = () => document.getElementById('duty') as HTMLElement
let started = false
let choice: PeriodChoice = { unit: 'day', at: null }
let site = ''
let sites: { id: string; name: string }[] = []
let view: DutyView | null = null
let problem: TextKey | null = null

export function startDuty(): void {
  if (started) return
  started = true
  state.rerender.push(render)
  void getJson<{ sites: { id: string; name: string }[] }>('/console/api/tree').then((t) => {
    sites = t?.sites ?? []
    // One site at a time by default: its days are what a director reads; "all sites" sums the period.
    site = sites[0]?.id ?? ''
    void refreshDuty()
  })
}

export async function refreshDuty(): Promise<void> {
  const q = new URLSearchParams({ site, period: choice.unit, ...(choice.at ? { at: choice.at } : {}) })
  const answer = await getAnswer<DutyView>(`/console/api/duty?${q}`)
  if (!answer) return
  view = answer.status === 200 ? (answer.body as DutyView) : null
  problem = answer.status === 200 ? null : answer.status === 400 ? 'dutyTooLarge' : 'noData'
  render()
}

const hours = (min: number) => num(min / 60, 2)
const clock = (ms: number | null) =>
  ms === null ? '–' : new Date(ms).toLocaleTimeString(state.lang === 'vi' ? 'vi-VN' : 'en-GB', { timeZone: 'Asia/Ho_Chi_Minh', hour: '2-digit', minute: '2-digit', hour12: false })

function table(id: string, heads: TextKey[], numeric: readonly TextKey[], rows: HTMLTableRowElement[]): HTMLTableElement {
  const t = el('table')
  t.id = id
  const head = el('tr')
  for (const k of heads) head.append(el('th', numeric.includes(k) ? 'num' : undefined, tr(k)))
  const thead = el('thead')
  thead.append(head)
  const body = el('tbody')
  body.append(...rows)
  t.append(thead, body)
  return t
}

function row(data: Record<string, string>, cells: [string, string | undefined][]): HTMLTableRowElement {
  const r = el('tr')
  Object.assign(r.dataset, data)
  for (const [text, cls] of cells) r.append(el('td', cls, text))
  return r
}

const who = (o: { officerName: string; scheduled: boolean }) => (o.scheduled ? o.officerName : `${o.officerName} (${tr('dutyNotScheduled')})`)

function officerRow(o: OfficerPeriodRow, many: boolean): HTMLTableRowElement {
  return row({ site: o.site, officer: o.officer }, [
    ...(many ? [[o.siteName, undefined] as [string, undefined]] : []),
    [who(o), 'name'], [String(o.daysOnDuty), 'num days'], [hours(o.minutesOnDuty), 'num hours'], [hours(o.minutesInOpeningHours), 'num opening'],
    [String(o.daysLate), 'num days-late'], [String(o.lateMinutes), 'num late'], [String(o.daysAbsent), 'num absent'],
    [String(o.ratings), 'num ratings'], [num(o.ratingsPerHour, 2), 'num per-hour'],
  ])
}

function officerDayRow(d: OfficerDayRow): HTMLTableRowElement {
  return row({ site: d.site, officer: d.officer, day: d.day }, [
    [d.day, 'day'], [who(d), 'name'], [d.counters.map((c) => c.name).join(', '), 'counters'], [clock(d.firstIn), 'first-in'], [clock(d.lastOut), 'last-out'],
    [hours(d.minutesOnDuty), 'num hours'], [hours(d.minutesInOpeningHours), 'num opening'], [d.lateMin === null ? '–' : String(d.lateMin), 'num late'],
    [d.absent ? tr('yes') : '–', 'absent'], [String(d.ratings), 'num ratings'], [num(d.ratingsPerHour, 2), 'num per-hour'],
  ])
}

function counterRow(c: CounterPeriodRow, many: boolean): HTMLTableRowElement {
  return row({ site: c.site, counter: c.counter }, [
    ...(many ? [[c.siteName, undefined] as [string, undefined]] : []),
    [c.counterName, 'name'], [c.departmentName ?? '–', undefined], [String(c.openMinutes), 'num open'], [String(c.unstaffedMinutes), 'num unstaffed'],
    [pct(c.openMinutes > 0 ? c.unstaffedMinutes / c.openMinutes : null), 'num share'],
  ])
}

function toolbar(): HTMLElement {
  const bar = el('div', 'toolbar')
  const siteSel = el('select')
  siteSel.id = 'duty-site'
  siteSel.setAttribute('aria-label', tr('site'))
  for (const s of [{ id: '', name: tr('allSites') }, ...sites]) {
    const o = el('option', undefined, s.name)
    o.value = s.id
    o.selected = s.id === site
    siteSel.append(o)
  }
  siteSel.onchange = () => {
    site = siteSel.value
    void refreshDuty()
  }
  const picker = periodPicker('duty', choice, (c) => {
    choice = c
    void refreshDuty()
  })
  const reload = el('button', 'ghost', '↻')
  reload.onclick = () => void refreshDuty()
  bar.append(el('span', 'muted', tr('site')), siteSel, el('span', 'muted', tr('period')), ...picker, reload)
  return bar
}

function render(): void {
  const r = root()
  r.replaceChildren(toolbar())
  if (problem) r.append(el('p', 'error', tr(problem)))
  const v = view
  if (!v) return
  const panel = el('div', 'panel')
  panel.id = 'duty-view'
  panel.dataset.period = v.period.label
  panel.dataset.site = v.site ?? ''
  const many = v.site === null
  const siteHead: TextKey[] = many ? ['site'] : []
  if (v.officersShown) {
    panel.append(el('h2', undefined, tr('dutyOfficers')), el('p', 'muted', tr('dutyAudited')))
    panel.append(table('duty-officers', [...siteHead, 'officer', 'dutyDaysOn', 'dutyHours', 'dutyInOpening', 'dutyDaysLate', 'dutyLate', 'dutyDaysAbsent', 'ratings', 'dutyRatingsPerHour'],
      ['dutyDaysOn', 'dutyHours', 'dutyInOpening', 'dutyDaysLate', 'dutyLate', 'dutyDaysAbsent', 'ratings', 'dutyRatingsPerHour'], v.officers.map((o) => officerRow(o, many))))
    if (v.officers.length === 0) panel.append(el('p', 'muted', tr('dutyNoOfficers')))
    if (many) panel.append(el('p', 'muted', tr('dutyPickSite')))
    else if (v.officerDays.length > 0) {
      panel.append(el('h2', undefined, tr('dutyOfficerDays')))
      panel.append(table('duty-officer-days', ['dutyDay', 'officer', 'dutyCountersAt', 'dutyFirstIn', 'dutyLastOut', 'dutyHours', 'dutyInOpening', 'dutyLate', 'dutyAbsent', 'ratings', 'dutyRatingsPerHour'],
        ['dutyHours', 'dutyInOpening', 'dutyLate', 'ratings', 'dutyRatingsPerHour'], v.officerDays.map(officerDayRow)))
    }
  } else {
    panel.append(el('p', 'notice', tr('officersHidden')))
  }
  panel.append(el('h2', undefined, tr('dutyCounters')))
  panel.append(table('duty-counters', [...siteHead, 'counter', 'department', 'dutyOpen', 'dutyUnstaffed', 'dutyUnstaffedShare'],
    ['dutyOpen', 'dutyUnstaffed', 'dutyUnstaffedShare'], v.counters.map((c) => counterRow(c, many))))
  if (v.counters.length === 0) panel.append(el('p', 'muted', tr('dutyNoCounters')))
  r.append(panel)
}
