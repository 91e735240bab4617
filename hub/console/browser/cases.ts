/**
 * The complaints tab (issue 16, docs/complaints.md): the cases of the sites
 * the person may see, the nearest deadline first, with the clock running
 * (days left; overdue in red). For the roles that handle cases: what the
 * citizen wrote, the phone number, the history, and the actions (assign,
 * progress, handled, result, close) in an inline form. Refreshed every 60 s
 * unless a form is open.
 */
import type { CaseView } from '../../cases/console.js'
import type { TextKey } from '../i18n.js'
import { el, getAnswer, postJson, state, timeText, tr } from './dom.js'

interface CaseList {
  cases: CaseView[]
  dueSoonDays: number
  /** Cases whose deadline is within dueSoonDays or passed (hub/cases/alerts.ts). */
  dueSoon: number
  departments: Record<string, { id: string; name: string }[]>
}

type Action = 'assign' | 'progress' | 'resolve' | 'result' | 'close'

let data: CaseList | null = null
let status: 'open' | 'all' = 'open'
let editing: { key: string; action: Action } | null = null
let problem: string | null = null
let timer: number | undefined
let started = false

const root = () => document.getElementById('cases') as HTMLElement
const keyOf = (c: CaseView) => `${c.site}/${c.id}`

async function refresh(): Promise<void> {
  const answer = await getAnswer<CaseList>(`/console/api/cases?status=${status}`)
  if (!answer) return
  if (answer.status !== 200) {
    problem = (answer.body as { error?: { message?: string } } | null)?.error?.message ?? String(answer.status)
    data = null
  } else {
    data = answer.body as CaseList
    problem = null
  }
  if (editing === null) render()
}

export function startCases(): void {
  if (!started) {
    started = true
    state.rerender.push(render)
  }
  void refresh()
  window.clearInterval(timer)
  timer = window.setInterval(() => void refresh().catch(() => undefined), 60_000)
}

/** What a handler may do next, by the case's status. */
function actionsOf(c: CaseView): Action[] {
  if (!c.handles) return []
  if (c.status === 'open') return ['assign', 'progress', 'resolve']
  if (c.status === 'resolved') return ['result']
  if (c.status === 'answered') return ['close']
  return []
}

function clockCells(c: CaseView, dueSoon: number): [HTMLTableCellElement, HTMLTableCellElement] {
  const next = c.clocks.next
  const deadline = el('td', 'deadline')
  const days = el('td', 'num days')
  if (!next) {
    deadline.textContent = '–'
    days.textContent = '–'
    return [deadline, days]
  }
  deadline.append(el('div', '', tr(`caseClock_${next.clock}` as TextKey)), el('div', 'muted', timeText(next.due - 1)))
  days.textContent = next.overdue ? `${tr('caseOverdue')} ${-next.daysLeft} ${tr('caseDays')}` : next.daysLeft === 0 ? tr('caseToday') : `${next.daysLeft} ${tr('caseDays')}`
  days.classList.add(next.overdue ? 'overdue' : next.daysLeft <= dueSoon ? 'soon' : 'ok-clock')
  days.dataset.daysLeft = String(next.daysLeft)
  return [deadline, days]
}

function history(c: CaseView): HTMLElement {
  const list = el('ul', 'feed history')
  for (const e of c.events) {
    const li = el('li')
    const what = [tr(`caseEvent_${e.kind}` as TextKey), e.department ? `→ ${e.department}` : '', e.handler ?? '', e.note ?? ''].filter(Boolean).join(' · ')
    li.append(el('span', 'when', timeText(e.at)), el('span', 'what', what), el('span', 'muted', e.by))
    list.append(li)
  }
  return list
}

function form(c: CaseView, action: Action, cols: number): HTMLTableRowElement {
  const row = el('tr', 'case-form')
  const cell = el('td')
  cell.colSpan = cols
  const f = el('form', 'ack')
  f.dataset.action = action
  let department: HTMLSelectElement | null = null
  let handler: HTMLInputElement | null = null
  if (action === 'assign') {
    department = el('select')
    department.name = 'department'
    const known = data?.departments[c.site] ?? []
    for (const d of known.length ? known : [{ id: c.department, name: c.departmentName }]) {
      const o = el('option', '', d.name)
      o.value = d.id
      o.selected = d.id === c.department
      department.append(o)
    }
    handler = el('input')
    handler.name = 'handler'
    handler.placeholder = tr('caseHandler')
    handler.maxLength = 120
    f.append(department, handler)
  }
  const note = el('input')
  note.name = 'note'
  note.placeholder = tr('caseNote')
  note.maxLength = 2000
  note.required = action === 'progress' || action === 'result'
  f.append(note)
  const save = el('button', '', tr('caseSave'))
  save.type = 'submit'
  const cancel = el('button', 'ghost', tr('caseCancel'))
  cancel.type = 'button'
  cancel.onclick = () => {
    editing = null
    problem = null
    render()
  }
  f.append(save, cancel)
  if (problem) f.append(el('span', 'error', problem))
  f.onsubmit = (ev) => {
    ev.preventDefault()
    save.disabled = true
    const body = { note: note.value, ...(department ? { department: department.value } : {}), ...(handler ? { handler: handler.value } : {}) }
    void postJson(`/console/api/cases/${c.site}/${encodeURIComponent(c.id)}/${action}`, body).then((answer) => {
      if (!answer) return
      if (answer.status === 200) {
        editing = null
        problem = null
        void refresh()
      } else {
        problem = (answer.body as { error?: { message?: string } } | null)?.error?.message ?? String(answer.status)
        render()
      }
    })
  }
  cell.append(f)
  row.append(cell)
  return row
}

function render(): void {
  const r = root()
  r.replaceChildren()
  const bar = el('div', 'toolbar')
  const pick = el('select')
  pick.id = 'cases-status'
  for (const [value, key] of [['open', 'casesOpen'], ['all', 'casesAll']] as const) {
    const o = el('option', '', tr(key))
    o.value = value
    o.selected = status === value
    pick.append(o)
  }
  pick.onchange = () => {
    status = pick.value === 'all' ? 'all' : 'open'
    editing = null
    void refresh()
  }
  bar.append(pick)
  r.append(el('p', 'muted', tr('casesIntro')), bar)
  if (!data) {
    if (problem) r.append(el('p', 'error', problem))
    return
  }
  if (data.dueSoon > 0) {
    const banner = el('p', 'error', `${data.dueSoon} ${tr('casesDueSoon')} (≤ ${data.dueSoonDays} ${tr('caseDays')})`)
    banner.id = 'cases-due-soon'
    r.append(banner)
  }
  if (data.cases.some((c) => c.handles)) r.append(el('p', 'notice', tr('casesAudited')))
  if (data.cases.length === 0) {
    r.append(el('p', 'muted', tr('casesNone')))
    return
  }
  const handlesAny = data.cases.some((c) => c.handles)
  const heads: TextKey[] = ['caseOpened', 'site', 'caseDepartment', 'counter', 'caseLevel', 'caseStatus', 'caseDeadline', 'caseDaysLeft', 'caseHandler']
  if (handlesAny) heads.push('caseComment', 'casePhone', 'caseHistory')
  const table = el('table')
  table.id = 'cases-table'
  const head = el('tr')
  for (const k of heads) head.append(el('th', k === 'caseDaysLeft' ? 'num' : '', tr(k)))
  if (handlesAny) head.append(el('th'))
  table.append(head)
  for (const c of data.cases) {
    const row = el('tr')
    row.dataset.case = keyOf(c)
    row.dataset.status = c.status
    const late = c.clocks.handledInTime === false || c.clocks.resultInTime === false ? ` (${tr('caseLate')})` : ''
    row.append(
      el('td', '', timeText(c.openedAt)), el('td', '', c.siteName), el('td', '', c.departmentName), el('td', '', c.counterName),
      el('td', 'num', String(c.level)), el('td', 'state', tr(`caseStatus_${c.status}` as TextKey) + late), ...clockCells(c, data.dueSoonDays),
      el('td', '', c.handler ?? '–'),
    )
    if (handlesAny) {
      row.append(el('td', 'comment', c.details?.comment ?? ''), el('td', 'phone', c.details?.phone ?? ''))
      const h = el('td')
      h.append(history(c))
      const acts = el('td', 'actions')
      for (const a of actionsOf(c)) {
        const b = el('button', 'ghost', tr(`caseAct_${a}` as TextKey))
        b.dataset.act = a
        b.onclick = () => {
          editing = { key: keyOf(c), action: a }
          problem = null
          render()
        }
        acts.append(b)
      }
      row.append(h, acts)
    }
    table.append(row)
    if (editing?.key === keyOf(c)) table.append(form(c, editing.action, heads.length + 1))
  }
  r.append(table)
}
