/** The administrator's audit page: viewings (with durations) and exports, newest first, from every hub instance. */
import type { AuditEntry } from '../../audit/audit.js'
import type { TextKey } from '../i18n.js'
import { el, getJson, state, timeText, tr } from './dom.js'

let entries: AuditEntry[] = []
const root = () => document.getElementById('audit') as HTMLElement

export async function refreshAudit(): Promise<void> {
  entries = (await getJson<{ entries: AuditEntry[] }>('/console/api/audit?days=30'))?.entries ?? []
  render()
}

export function startAudit(): void {
  state.rerender.push(render)
  void refreshAudit()
}

function duration(s: number | null): string {
  if (s === null) return ''
  const m = Math.floor(s / 60)
  return m > 0 ? `${m} min ${Math.round(s % 60)} s` : `${s.toFixed(1)} s`
}

function render(): void {
  const table = el('table')
  table.id = 'audit-table'
  const head = el('tr')
  for (const k of ['auditTime', 'auditUser', 'auditAction', 'auditTarget', 'auditDuration'] as TextKey[]) head.append(el('th', k === 'auditDuration' ? 'num' : undefined, tr(k)))
  const thead = el('thead')
  thead.append(head)
  const body = el('tbody')
  for (const e of entries) {
    const row = el('tr')
    row.dataset.action = e.action
    const camera = e.camera ? `${e.site} / ${e.camera}` : e.detail || (e.site ?? '')
    // A recording's range and reason, an export's hash: what the entry is about, beside its camera.
    const target = e.camera && (e.action === 'playback' || e.action === 'export' || e.action === 'export_done') && e.detail ? `${camera} · ${e.detail}` : camera
    row.append(
      el('td', undefined, timeText(e.time)),
      el('td', undefined, `${e.user} (${tr(`role_${e.role}` as TextKey)})`),
      el('td', undefined, tr(e.action)),
      el('td', undefined, target),
      el('td', 'num duration', duration(e.durationS)),
    )
    body.append(row)
  }
  table.append(thead, body)
  const reload = el('button', 'ghost', '↻')
  reload.onclick = () => void refreshAudit()
  root().replaceChildren(reload, table)
}
