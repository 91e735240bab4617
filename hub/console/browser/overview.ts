/**
 * The drill-down: province → branch → site → counter, each level with its
 * KPI cards, a donut of rating levels, the 14-day trend, one row per child
 * (click to go down) and the latest ratings, refreshed every 5 s.
 */
import { SCALES, type ScaleSize } from '../../../protocol/scales.js'
import type { LevelView } from '../data.js'
import type { TextKey } from '../i18n.js'
import { donut, esc, gauge, indexColour, levelColour, trendChart } from './charts.js'
import { el, getJson, num, pct, state, timeText, tr } from './dom.js'

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
let period: 'day' | 'week' | 'month' = 'month'
let view: LevelView | null = null
let latest: LatestRating[] = []
let timer: number | undefined
const siteNames = new Map<string, string>()

const here = () => path[path.length - 1] as Crumb
const query = () => `level=${here().level}&id=${encodeURIComponent(here().id)}&period=${period}`

const CHILD_LEVEL: Record<Crumb['level'], Crumb['level'] | null> = { province: 'branch', branch: 'site', site: 'counter', counter: null }
const LEVEL_TEXT: Record<string, TextKey> = { province: 'province', branch: 'branch', site: 'site', counter: 'counter', officer: 'auditUser' }

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
  const sel = el('select')
  sel.setAttribute('aria-label', tr('period'))
  for (const p of ['day', 'week', 'month'] as const) {
    const o = el('option', undefined, tr(p))
    o.value = p
    o.selected = p === period
    sel.append(o)
  }
  sel.onchange = () => {
    period = sel.value as typeof period
    void refreshOverview()
  }
  const csv = el('a', 'btn ghost', tr('exportCsv'))
  csv.href = `/console/export/kpis.csv?${query()}`
  csv.id = 'export-csv'
  bar.append(el('span', 'muted', tr('period')), sel, csv)
  r.append(crumbs, bar)
  if (!view) return
  const k = view.total
  const cards = el('div', 'cards')
  cards.append(
    card('index', num(k?.satisfactionIndex ?? null), '0–100', indexColour(k?.satisfactionIndex ?? null)),
    card('ratings', String(k?.counted ?? 0), k && k.misuse > 0 ? `+${k.misuse} ${tr('misuse')}` : ''),
    card('dissatisfiedShare', pct(k?.dissatisfiedShare ?? null), `${k?.dissatisfied ?? 0}`),
    card('points766', num(k?.decision766.points ?? null, 2), k?.decision766.rate === null || !k ? '' : pct(k.decision766.rate)),
  )
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
}

function rowsPanel(v: LevelView): HTMLElement {
  const panel = el('div', 'panel')
  const child = CHILD_LEVEL[here().level]
  panel.append(el('h2', undefined, tr(LEVEL_TEXT[child ?? 'officer'] ?? 'site')))
  const table = el('table')
  table.innerHTML = `<thead><tr><th></th><th class="num">${esc(tr('ratings'))}</th><th>${esc(tr('index'))}</th><th class="num">${esc(tr('dissatisfiedShare'))}</th></tr></thead>`
  const body = el('tbody')
  for (const row of [...v.rows].sort((a, b) => (a.kpis.satisfactionIndex ?? 101) - (b.kpis.satisfactionIndex ?? 101))) {
    const tr_ = el('tr', child ? 'drill' : '')
    tr_.dataset.id = row.id
    const name = row.level === 'branch' && row.id === '-' ? tr('noBranch') : row.level === 'counter' ? `${tr('counter')} ${row.name}` : row.name
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
    tr_.append(el('td', undefined, name), el('td', 'num', String(row.kpis.counted)), barCell, el('td', 'num', pct(row.kpis.dissatisfiedShare)))
    if (child) tr_.onclick = () => go([...path, { level: child, id: row.id, name }])
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
    list.append(li)
  }
  if (latest.length === 0) list.append(el('li', 'muted', tr('noData')))
  panel.append(list)
  return panel
}
