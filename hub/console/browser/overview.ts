/**
 * The drill-down: province → branch (or department across the province) →
 * site → department → counter → officer, each level with its KPI cards for
 * any period compared with the one before, a donut of rating levels, the
 * trend, one row per child with the queue figures (click to go down), the
 * report downloads and the latest ratings, refreshed every 5 s.
 */
import { SCALES, type ScaleSize } from '../../../protocol/scales.js'
import type { PeriodUnit } from '../../kpi/time.js'
import { recentPeriods } from '../../queries/periods.js'
import { periodTitle } from '../../reports/period-title.js'
import type { KpiRow, LevelView } from '../data.js'
import type { TextKey } from '../i18n.js'
import { donut, esc, gauge, indexColour, levelColour, trendChart } from './charts.js'
import { el, getFile, getJson, num, pct, state, timeText, tr } from './dom.js'
import { periodPicker } from './period.js'
import { mayJump } from './recordings.js'

interface Crumb {
  level: LevelView['scope']['level']
  id: string
  name: string
}

interface LatestRating {
  time: string
  site: string
  counter: string
  scale: number
  level: number
  dissatisfied: boolean
  misuse: string | null
}

const root = () => document.getElementById('overview') as HTMLElement
let path: Crumb[] = [{ level: 'province', id: '', name: '' }]
// Decision 766 is judged by the month, and a morning's "today" is still empty.
let period: PeriodUnit = 'month'
/** A past period's label ("2026-Q3"), or null for the current one. */
let at: string | null = null
let by: 'branch' | 'department' = 'branch'
let view: LevelView | null = null
let latest: LatestRating[] = []
let timer: number | undefined
const siteNames = new Map<string, string>()

const here = () => path[path.length - 1] as Crumb
const query = () =>
  `level=${here().level}&id=${encodeURIComponent(here().id)}&period=${period}${at ? `&at=${at}` : ''}${here().level === 'province' && by === 'department' ? '&by=department' : ''}`

const LEVEL_TEXT: Record<KpiRow['level'], TextKey> = { province: 'province', branch: 'branch', site: 'site', department: 'department', counter: 'counter', officer: 'officer' }

export async function refreshOverview(): Promise<void> {
  const [v, l] = await Promise.all([
    getJson<LevelView>(`/console/api/kpis?${query()}`),
    getJson<{ ratings: LatestRating[] }>(`/console/api/latest?${query()}`),
  ])
  view = v
  latest = l?.ratings ?? []
  renderOverview()
}

export function startOverview(): void {
  state.rerender.push(renderOverview)
  void getJson<{ sites: { id: string; name: string }[] }>('/console/api/tree').then((t) => {
    for (const x of t?.sites ?? []) siteNames.set(x.id, x.name)
  })
  void refreshOverview()
  window.clearInterval(timer)
  timer = window.setInterval(() => void refreshOverview().catch(() => undefined), 5000)
}

function go(to: Crumb[]): void {
  path = to
  view = null
  void refreshOverview()
}

function crumbName(c: Crumb): string {
  if (c.level === 'province') return tr('province')
  if (c.level === 'branch' && c.id === '-') return tr('noBranch')
  return c.name || c.id
}

function card(label: TextKey, big: string, sub: string, colour?: string): HTMLElement {
  const c = el('div', 'card')
  c.append(el('h3', undefined, tr(label)))
  const b = el('div', 'big', big)
  if (colour) b.style.color = colour
  c.append(b, el('div', 'sub', sub))
  return c
}

/** Sites of 3-, 4- and 5-level scales share their words ("Hài lòng"...): one slice per word, in the 5-level order. */
function levelSlices(v: LevelView) {
  const words = SCALES[5]
  const counts = new Array<number>(words.length).fill(0)
  for (const l of v.total?.levels ?? []) {
    const i = words.findIndex((w) => w.vi === l.vi)
    if (i >= 0) counts[i]! += l.count
  }
  return words
    .map((w, i) => ({ label: state.lang === 'vi' ? w.vi : w.en, value: counts[i] ?? 0, colour: levelColour(i + 1, 5) }))
    .filter((x) => x.value > 0)
}

function renderOverview(): void {
  const r = root()
  r.replaceChildren()
  const crumbs = el('div', 'crumbs')
  path.forEach((c, i) => {
    if (i > 0) crumbs.append(el('span', 'muted', '›'))
    const b = el('button', i === path.length - 1 ? '' : 'ghost', crumbName(c))
    b.disabled = i === path.length - 1
    b.onclick = () => go(path.slice(0, i + 1))
    crumbs.append(b)
  })
  const bar = el('div', 'toolbar')
  const picker = periodPicker('period', { unit: period, at }, (c) => {
    period = c.unit
    at = c.at
    view = null
    void refreshOverview()
  })
  const csv = el('a', 'btn ghost', tr('exportCsv'))
  csv.href = `/console/export/kpis.csv?${query()}`
  csv.id = 'export-csv'
  bar.append(el('span', 'muted', tr('period')), ...picker, csv, ...reportLinks())
  if (here().level === 'province') {
    for (const b of ['branch', 'department'] as const) {
      const btn = el('button', by === b ? '' : 'ghost', tr(b === 'branch' ? 'byBranch' : 'byDepartment'))
      btn.id = `by-${b}`
      btn.onclick = () => {
        by = b
        view = null
        void refreshOverview()
      }
      bar.append(btn)
    }
  }
  r.append(crumbs, bar)
  if (!view) return
  const k = view.total
  const cards = el('div', 'cards')
  const before = view.previous
  const compared = `${tr('previous')} (${periodTitle(view.previousPeriod, state.lang)}): `
  cards.append(
    card('index', num(k?.satisfactionIndex ?? null), `${compared}${num(before?.satisfactionIndex ?? null)} (${delta(k?.satisfactionIndex ?? null, before?.satisfactionIndex ?? null)})`, indexColour(k?.satisfactionIndex ?? null)),
    card('ratings', String(k?.counted ?? 0), `${k && k.misuse > 0 ? `+${k.misuse} ${tr('misuse')} · ` : ''}${compared}${before?.counted ?? 0}`),
    card('dissatisfiedShare', pct(k?.dissatisfiedShare ?? null), `${k?.dissatisfied ?? 0}`),
    card('points766', num(k?.decision766.points ?? null, 2), k?.decision766.rate === null || !k ? '' : pct(k.decision766.rate)),
    card('ticketsServed', k?.ticketsServed == null ? '–' : String(k.ticketsServed), ''),
    card('waitMedian', minutes(view.queue?.waitMedianS), `${tr('serviceMedian')}: ${minutes(view.queue?.serviceMedianS)}`),
  )
  cards.id = 'cards'
  cards.dataset.period = view.period.label
  r.append(cards)
  const panels = el('div', 'panels')
  const left = el('div', 'panel')
  left.append(el('h2', undefined, tr('byLevel')))
  const charts = el('div')
  charts.style.cssText = 'display:flex;gap:18px;align-items:center;flex-wrap:wrap'
  charts.innerHTML = gauge(k?.satisfactionIndex ?? null, tr('index')) + donut(levelSlices(view), String(k?.counted ?? 0), tr('ratings'))
  const legend = el('ul', 'feed')
  legend.style.flex = '1'
  for (const s of levelSlices(view)) {
    const li = el('li')
    const dot = el('span', 'dot')
    dot.style.background = s.colour
    li.append(dot, el('span', undefined, `${s.label}: ${s.value}`))
    legend.append(li)
  }
  charts.append(legend)
  left.append(charts)
  const right = el('div', 'panel')
  right.append(el('h2', undefined, tr('trend')))
  const trend = el('div')
  trend.innerHTML = trendChart(view.trend.map((p) => ({ label: p.label, value: p.index, count: p.presses })))
  right.append(trend)
  panels.append(left, right)
  r.append(panels)
  const lower = el('div', 'panels')
  lower.append(rowsPanel(view), latestPanel())
  r.append(lower)
  if (!k) r.append(el('p', 'muted', tr('noData')))
  if (!view.queueTimes) r.append(el('p', 'muted', tr('queueTimesFewSites')))
}

const minutes = (s: number | null | undefined) => (s === null || s === undefined ? '–' : `${num(s / 60)} ${tr('minutes')}`)
const delta = (now: number | null, before: number | null) => (now === null || before === null ? '–' : `${now - before >= 0 ? '+' : ''}${num(now - before)}`)

/** Report downloads for the scope shown (a department's report covers it across the province). */
function reportLinks(): HTMLElement[] {
  const c = here()
  if (c.level === 'counter' || (c.level === 'department' && c.id.includes('/'))) return []
  const label = at ?? recentPeriods(period, Date.now(), 1)[0]!.label
  const q = `level=${c.level}&id=${encodeURIComponent(c.id)}&at=${label}`
  const status = el('span', 'muted')
  status.id = 'report-status'
  status.setAttribute('role', 'status')
  const links = (['xlsx', 'pdf', 'html'] as const).map((f) => {
    const a = el('a', 'btn ghost', tr(f === 'xlsx' ? 'reportExcel' : f === 'pdf' ? 'reportPdf' : 'reportView'))
    a.id = `report-${f}`
    a.href = `/console/reports/report.${f}?${q}`
    if (f === 'html') a.target = '_blank'
    else a.addEventListener('click', (e) => {
      e.preventDefault()
      void downloadReport(a, status)
    })
    return a
  })
  return [...links, status]
}

/** A report file fetched by the page (it takes seconds), saying meanwhile that it is being made, and why it was not. */
async function downloadReport(a: HTMLAnchorElement, status: HTMLElement): Promise<void> {
  if (a.getAttribute('aria-busy') === 'true') return
  a.setAttribute('aria-busy', 'true')
  status.textContent = tr('reportMaking')
  try {
    const got = await getFile(a.href).catch(() => ({ status: 0, retryAfterS: null, code: null }))
    if (!got) return
    status.textContent =
      got.status === 200 ? ''
      : got.code === 'HUB_REPORTS_BUSY' ? tr('reportsBusy').replace('{s}', String(got.retryAfterS ?? 10))
      : `${tr('reportFailed')}${got.code ? ` (${got.code})` : ''}`
  } finally {
    a.removeAttribute('aria-busy')
  }
}

function rowName(row: KpiRow): string {
  if (row.level === 'branch' && row.id === '-') return tr('noBranch')
  if (row.level === 'officer' && row.name === '') return tr('noOfficer')
  return row.level === 'counter' ? `${tr('counter')} ${row.name}` : row.name
}

function rowsPanel(v: LevelView): HTMLElement {
  const panel = el('div', 'panel')
  const level = v.rows[0]?.level ?? (here().level === 'counter' ? 'officer' : null)
  panel.append(el('h2', undefined, tr(level ? LEVEL_TEXT[level] : 'site')))
  if (v.officersHidden) {
    panel.append(el('p', 'muted', tr('officersHidden')))
    return panel
  }
  const table = el('table')
  table.id = 'rows'
  const th = (key: TextKey, cls = 'num') => `<th class="${cls}">${esc(tr(key))}</th>`
  table.innerHTML =
    `<thead><tr><th></th>${th('ratings')}${th('index', '')}${th('previous')}${th('dissatisfiedShare')}` +
    `${th('ticketsServed')}${v.queueTimes ? th('waitMedian') + th('serviceMedian') : ''}</tr></thead>`
  const body = el('tbody')
  for (const row of [...v.rows].sort((a, b) => (a.kpis.satisfactionIndex ?? 101) - (b.kpis.satisfactionIndex ?? 101))) {
    const tr_ = el('tr', row.level !== 'officer' ? 'drill' : '')
    tr_.dataset.id = row.id
    const name = rowName(row)
    const idx = row.kpis.satisfactionIndex
    const barCell = el('td')
    const barBox = el('div')
    barBox.style.cssText = 'display:flex;gap:8px;align-items:center'
    const b = el('div', 'bar')
    b.style.flex = '1'
    const fill = el('i')
    fill.style.cssText = `width:${idx ?? 0}%;background:${indexColour(idx)}`
    b.append(fill)
    barBox.append(b, el('span', undefined, num(idx)))
    barCell.append(barBox)
    const prev = row.previous?.index ?? null
    tr_.append(
      el('td', undefined, name), el('td', 'num', String(row.kpis.counted)), barCell,
      el('td', 'num previous', `${num(prev)} (${delta(idx, prev)})`), el('td', 'num', pct(row.kpis.dissatisfiedShare)),
      el('td', 'num served', row.kpis.ticketsServed == null ? '–' : String(row.kpis.ticketsServed)),
    )
    if (v.queueTimes) tr_.append(el('td', 'num wait', minutes(row.queue?.waitMedianS)), el('td', 'num service', minutes(row.queue?.serviceMedianS)))
    const to = row.level
    if (to !== 'officer' && to !== 'province') {
      tr_.onclick = () => go([...path, { level: to, id: row.id, name }])
    }
    body.append(tr_)
  }
  table.append(body)
  panel.append(table)
  return panel
}

function latestPanel(): HTMLElement {
  const panel = el('div', 'panel')
  panel.append(el('h2', undefined, tr('live')))
  const list = el('ul', 'feed')
  list.id = 'latest'
  for (const r of latest) {
    const scale = ([3, 4, 5].includes(r.scale) ? r.scale : 4) as ScaleSize
    const label = SCALES[scale][r.level - 1]
    const li = el('li')
    const dot = el('span', 'dot')
    dot.style.background = levelColour(r.level, scale)
    const when = timeText(Date.parse(r.time))
    li.append(dot, el('span', 'muted when', when), el('span', 'what', `${tr('counter')} ${r.counter} · ${siteNames.get(r.site) ?? r.site}`), el('strong', undefined, label ? label[state.lang] : String(r.level)))
    if (r.misuse) li.append(el('span', 'badge', r.misuse))
    // To the minute around this rating on its counter's camera (the recordings view; the hub checks role and site).
    if (mayJump()) {
      const watch = el('button', 'ghost rec-jump', tr('recFromRating'))
      watch.dataset.site = r.site
      watch.dataset.counter = r.counter
      watch.onclick = () => window.dispatchEvent(new CustomEvent('motcua:recording', { detail: { site: r.site, counter: r.counter, at: Date.parse(r.time) } }))
      li.append(watch)
    }
    list.append(li)
  }
  if (latest.length === 0) list.append(el('li', 'muted', tr('noData')))
  panel.append(list)
  return panel
}
