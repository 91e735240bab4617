/** The administrator's delivery log: every attempt to email a scheduled report, newest first, and what is planned next. */
import type { DeliveryEntry } from '../../delivery/log.js'
import type { TextKey } from '../i18n.js'
import { labelTitle } from '../../reports/period-title.js'
import { el, getJson, state, timeText, tr } from './dom.js'

let entries: DeliveryEntry[] = []
const root = () => document.getElementById('reports') as HTMLElement

export async function refreshDeliveries(): Promise<void> {
  entries = (await getJson<{ entries: DeliveryEntry[] }>('/console/api/deliveries'))?.entries ?? []
  render()
}

export function startDeliveries(): void {
  state.rerender.push(render)
  void refreshDeliveries()
}

function render(): void {
  const table = el('table')
  table.id = 'deliveries-table'
  const head = el('tr')
  for (const k of ['auditTime', 'deliverySchedule', 'deliveryPeriod', 'deliveryStatus', 'deliveryAttempt', 'deliveryNext', 'deliveryError'] as TextKey[]) head.append(el('th', undefined, tr(k)))
  const thead = el('thead')
  thead.append(head)
  const body = el('tbody')
  for (const e of entries) {
    const row = el('tr')
    row.dataset.status = e.status
    row.append(
      el('td', undefined, timeText(e.time)),
      el('td', undefined, e.schedule),
      el('td', undefined, labelTitle(e.period, state.lang) ?? e.period),
      el('td', 'status', tr(`status_${e.status}` as TextKey)),
      el('td', 'num', String(e.attempt)),
      el('td', undefined, e.nextAt ? timeText(e.nextAt) : ''),
      el('td', 'error', e.error),
    )
    body.append(row)
  }
  table.append(thead, body)
  const reload = el('button', 'ghost', '↻')
  reload.onclick = () => void refreshDeliveries()
  root().replaceChildren(reload, entries.length ? table : el('p', 'muted', tr('noDeliveries')))
}
