/**
 * The alerts tab: every alert of the sites the person may see, newest first,
 * with its acknowledgement or an inline form to acknowledge it, and a badge
 * on the tab counting ongoing alerts nobody has acknowledged yet. Refreshed
 * every 15 s whichever tab is open, so the badge stays current.
 */
import type { Alert } from '../../kpi/alerts/types.js'
import type { TextKey } from '../i18n.js'
import { el, getJson, postJson, state, timeText, tr } from './dom.js'

type ListedAlert = Alert & { siteName: string }

let alerts: ListedAlert[] = []
let timer: number | undefined
/** The alert whose acknowledgement is being written; the periodic refresh leaves the table alone meanwhile. */
let editing: string | null = null
let draft = ''
let problem: string | null = null
let sending = false

const root = () => document.getElementById('alerts') as HTMLElement
const MIN = 60_000

export async function refreshAlerts(): Promise<void> {
  const data = await getJson<{ alerts: ListedAlert[] }>('/console/api/alerts')
  if (!data) return
  alerts = [...data.alerts].sort((a, b) => b.since - a.since)
  renderBadge()
  if (editing === null || !alerts.some((a) => a.id === editing)) {
    editing = null
    render()
  }
}

export function startAlerts(): void {
  state.rerender.push(render)
  void refreshAlerts()
  window.clearInterval(timer)
  timer = window.setInterval(() => void refreshAlerts().catch(() => undefined), 15_000)
}

function renderBadge(): void {
  const badge = document.getElementById('alerts-badge') as HTMLElement
  const waiting = alerts.filter((a) => a.clearedAt === null && a.ack === null).length
  badge.textContent = String(waiting)
  badge.hidden = waiting === 0
}

function ago(ms: number): string {
  const m = Math.floor(Math.max(0, Date.now() - ms) / MIN)
  if (m < 1) return tr('justNow')
  if (m < 60) return `${m} ${tr('minutesAgo')}`
  if (m < 24 * 60) return `${Math.floor(m / 60)} ${tr('hoursAgo')}`
  return `${Math.floor(m / 1440)} ${tr('daysAgo')}`
}

function subject(a: Alert): string {
  const part = a.subject.split('/')[1]
  if (a.kind === 'dissatisfied_run' || a.kind === 'low_index' || a.kind === 'counter_unstaffed') return `${tr('counter')} ${part ?? ''}`
  if (a.kind === 'case_deadline') return `${tr('counter')} ${part ?? ''}`
  if (a.kind === 'camera_offline' || a.kind === 'camera_tampered') return `${tr('camera')} ${part ?? ''}`
  if (a.kind === 'overload') return tr('site')
  return tr('edgeBox')
}

const n = (v: unknown) => (typeof v === 'number' ? v : Number.NaN)
const at = (v: unknown) => (Number.isFinite(n(v)) ? timeText(n(v)) : '–')

function details(a: Alert): string {
  const d = a.details
  switch (a.kind) {
    case 'dissatisfied_run':
      return `${n(d.count)} ${tr('runWithin')} ${Math.round(n(d.windowMs) / MIN)} ${tr('minutes')}`
    case 'low_index':
      return `${tr('index')} ${n(d.index).toFixed(1)} < ${n(d.below)} · ${n(d.ratings)} ${tr('ratings').toLowerCase()}`
    case 'camera_offline':
      return `${tr('offlineSince')} ${at(d.offlineSince)}`
    case 'camera_tampered':
      return `${tr('tamperedSince')} ${at(d.tamperedSince)}`
    case 'edge_silent':
      return `${tr('lastBatch')}: ${at(d.lastSeenAt)}`
    case 'edge_backlog':
      return `${tr('oldestUnsent')}: ${Math.round(n(d.outboxOldestAgeS) / 60)} ${tr('minutes')}`
    case 'case_deadline':
      return `${tr(`caseClock_${String(d.clock)}` as TextKey)}: ${at(n(d.due) - 1)} · ${n(d.cases)} ${tr('caseCases')}`
    case 'counter_unstaffed':
      return `${tr('unstaffedSince')} ${at(d.unstaffedSince)}`
    case 'overload':
      return `${n(d.waiting)} ${tr('waitingTickets')} · ${tr('longestWait')} ${n(d.longestWaitMin)} ${tr('minutes')}`
  }
}

async function send(id: string): Promise<void> {
  if (!draft.trim() || draft.length > 1000) {
    problem = tr('ackNeedComment')
    return render()
  }
  sending = true
  render()
  const answer = await postJson<{ alert: ListedAlert }>(`/console/api/alerts/${encodeURIComponent(id)}/ack`, { comment: draft.trim() }).catch(() => null)
  sending = false
  if (answer && answer.status === 200) {
    editing = null
    draft = ''
    problem = null
  } else {
    const code = answer?.body && 'error' in answer.body ? answer.body.error?.code : undefined
    problem = `${tr('ackFailed')}${code ? ` (${code})` : ''}`
  }
  await refreshAlerts()
  render()
}

function ackCell(a: ListedAlert): HTMLElement {
  const cell = el('td', 'ack')
  if (a.ack) {
    cell.append(el('div', undefined, a.ack.by), el('div', 'muted', timeText(a.ack.at)), el('div', 'comment', a.ack.comment))
    return cell
  }
  if (editing !== a.id) {
    const b = el('button', 'ghost', tr('acknowledge'))
    b.onclick = () => {
      editing = a.id
      draft = ''
      problem = null
      render()
      document.querySelector<HTMLInputElement>('#alerts form.ack input')?.focus()
    }
    cell.append(b)
    return cell
  }
  const form = el('form', 'ack')
  const input = el('input')
  input.name = 'comment'
  input.maxLength = 1000
  input.placeholder = tr('ackComment')
  input.setAttribute('aria-label', tr('ackComment'))
  input.value = draft
  input.oninput = () => (draft = input.value)
  const ok = el('button', undefined, tr('ackSend'))
  ok.type = 'submit'
  ok.disabled = sending
  const cancel = el('button', 'ghost', tr('cancel'))
  cancel.type = 'button'
  cancel.onclick = () => {
    editing = null
    problem = null
    render()
  }
  form.onsubmit = (e) => {
    e.preventDefault()
    void send(a.id)
  }
  form.append(input, ok, cancel)
  cell.append(form)
  if (problem) cell.append(el('div', 'error', problem))
  return cell
}

function render(): void {
  const table = el('table')
  table.id = 'alerts-table'
  const head = el('tr')
  for (const k of ['alertWhen', 'site', 'alertSubject', 'alertTitle', 'alertDetails', 'alertState', 'alertAck'] as TextKey[]) head.append(el('th', undefined, tr(k)))
  const thead = el('thead')
  thead.append(head)
  const body = el('tbody')
  for (const a of alerts) {
    const row = el('tr', a.clearedAt === null && a.ack === null ? 'waiting' : undefined)
    Object.assign(row.dataset, { id: a.id, kind: a.kind, site: a.site, state: a.clearedAt === null ? 'ongoing' : 'cleared', acked: String(a.ack !== null) })
    const when = el('td', undefined, ago(a.since))
    when.title = timeText(a.since)
    const stateText = a.clearedAt === null ? tr('ongoing') : `${tr('clearedAt')} ${timeText(a.clearedAt)}`
    row.append(
      when,
      el('td', undefined, a.siteName),
      el('td', undefined, subject(a)),
      el('td', undefined, a.title[state.lang]),
      el('td', 'muted', details(a)),
      el('td', a.clearedAt === null ? 'state ongoing' : 'state', stateText),
      ackCell(a),
    )
    body.append(row)
  }
  table.append(thead, body)
  const reload = el('button', 'ghost', '↻')
  reload.onclick = () => void refreshAlerts()
  const r = root()
  r.replaceChildren(reload, table)
  if (alerts.length === 0) r.append(el('p', 'muted', tr('noAlerts')))
}
