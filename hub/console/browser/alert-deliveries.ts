/** The administrator's list of alerts sent: every attempt to tell a recipient of an alert, newest first, and what a rate limit held back. */
import type { AlertDeliveryEntry } from '../../alert-delivery/log.js'
import type { TextKey } from '../i18n.js'
import { el, getJson, state, timeText, tr } from './dom.js'

type Listed = AlertDeliveryEntry & { recipientName: string; siteName: string }

let entries: Listed[] = []
const root = () => document.getElementById('sent') as HTMLElement

export async function refreshAlertDeliveries(): Promise<void> {
  entries = (await getJson<{ entries: Listed[] }>('/console/api/alert-deliveries'))?.entries ?? []
  render()
}

export function startAlertDeliveries(): void {
  state.rerender.push(render)
  void refreshAlertDeliveries()
}

function render(): void {
  const table = el('table')
  table.id = 'alert-deliveries-table'
  const head = el('tr')
  const columns: TextKey[] = ['auditTime', 'sentRecipient', 'sentChannel', 'site', 'sentEvent', 'deliveryStatus', 'deliveryAttempt', 'deliveryNext', 'sentText', 'deliveryError']
  for (const k of columns) head.append(el('th', undefined, tr(k)))
  const thead = el('thead')
  thead.append(head)
  const body = el('tbody')
  for (const e of entries) {
    const row = el('tr')
    Object.assign(row.dataset, { status: e.status, recipient: e.recipient, channel: e.channel, alert: e.alertId, transition: e.transition })
    row.append(
      el('td', undefined, timeText(e.time)),
      el('td', 'recipient', e.recipientName),
      el('td', undefined, tr(`channel_${e.channel}` as TextKey)),
      el('td', undefined, e.siteName),
      el('td', undefined, tr(`transition_${e.transition}` as TextKey)),
      el('td', 'status', tr(`status_${e.status}` as TextKey)),
      el('td', 'num', e.attempt ? String(e.attempt) : ''),
      el('td', undefined, e.nextAt ? timeText(e.nextAt) : ''),
      el('td', 'text', e.text),
      el('td', 'error', e.error),
    )
    body.append(row)
  }
  table.append(thead, body)
  const reload = el('button', 'ghost', '↻')
  reload.onclick = () => void refreshAlertDeliveries()
  root().replaceChildren(reload, entries.length ? table : el('p', 'muted', tr('noSentAlerts')))
}
