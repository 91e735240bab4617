/**
 * The province console's browser code: tabs (drill-down, officer duty, alerts, camera
 * wall, audit log for administrators), the language toggle, and a periodic check of the
 * session, so an ended session lands on the sign-in page.
 */
import { other, t, type TextKey } from '../i18n.js'
import { startAlerts } from './alerts.js'
import { startAudit } from './audit.js'
import { startCases } from './cases.js'
import { startDeliveries } from './deliveries.js'
import { startAlertDeliveries } from './alert-deliveries.js'
import { getJson, state } from './dom.js'
import { startDuty } from './duty.js'
import { startOverview } from './overview.js'
import { allowRecordings, jumpTo, startRecordings } from './recordings.js'
import { startWall } from './wall.js'

interface Me {
  username: string
  role: string
  video: boolean
  audit: boolean
}

function applyTexts(): void {
  document.documentElement.lang = state.lang
  document.querySelectorAll<HTMLElement>('[data-t]').forEach((n) => (n.textContent = t(n.dataset.t as TextKey, state.lang)))
  for (const f of state.rerender) f()
}

function show(tab: string, me: Me): void {
  document.querySelectorAll<HTMLButtonElement>('nav.tabs button').forEach((b) => b.setAttribute('aria-selected', String(b.dataset.tab === tab)))
  for (const id of ['overview', 'duty', 'alerts', 'cameras', 'audit', 'reports', 'sent']) (document.getElementById(id) as HTMLElement).hidden = id !== tab
  if (tab === 'cameras') startWall(me.video)
  if (tab === 'duty') startDuty()
  ;(document.getElementById('cases') as HTMLElement).hidden = tab !== 'cases'
  if (tab === 'cases') startCases()
  ;(document.getElementById('recordings') as HTMLElement).hidden = tab !== 'recordings'
  if (tab === 'recordings') startRecordings(mayWatchRecordings(me))
  if (tab === 'audit' && me.audit) startAudit()
  if (tab === 'reports' && me.audit) startDeliveries()
  if (tab === 'sent' && me.audit) startAlertDeliveries()
  history.replaceState(null, '', `${location.pathname}${location.search}#${tab}`)
}

async function main(): Promise<void> {
  const me = await getJson<Me>('/console/api/me')
  if (!me) return
  ;(document.getElementById('lang') as HTMLButtonElement).onclick = () => {
    state.lang = other(state.lang)
    localStorage.setItem('motcua.console.lang', state.lang)
    applyTexts()
  }
  const auditTab = document.querySelector<HTMLElement>('nav.tabs [data-tab=audit]') as HTMLElement
  auditTab.hidden = !me.audit
  // The delivery log names recipients and mail errors: for administrators, like the audit log.
  ;(document.querySelector<HTMLElement>('nav.tabs [data-tab=reports]') as HTMLElement).hidden = !me.audit
  // So does the list of alerts sent (to whom, and the gateways' errors).
  ;(document.querySelector<HTMLElement>('nav.tabs [data-tab=sent]') as HTMLElement).hidden = !me.audit
  document.querySelectorAll<HTMLButtonElement>('nav.tabs button').forEach((b) => {
    b.onclick = () => show(b.dataset.tab ?? 'overview', me)
  })
  // Recorded video (issue 17): inspectors and site supervisors, as canWatchRecordings lets; the hub checks the site.
  const recordings = document.createElement('section')
  recordings.id = 'recordings'
  recordings.hidden = true
  document.querySelector('main')?.append(recordings)
  ;(document.querySelector<HTMLElement>('nav.tabs [data-tab=recordings]') as HTMLElement).hidden = !mayWatchRecordings(me)
  allowRecordings(mayWatchRecordings(me))
  window.addEventListener('motcua:recording', (e) => {
    const d = (e as CustomEvent<{ site: string; counter: string; at: number }>).detail
    show('recordings', me)
    void jumpTo(d.site, d.counter, d.at)
  })
  applyTexts()
  startOverview()
  startAlerts()
  const wanted = /^#(cases|duty|alerts|cameras|audit|reports|sent)/.exec(location.hash)?.[1]
  show((wanted === 'audit' || wanted === 'reports' || wanted === 'sent') && !me.audit ? 'overview' : (wanted ?? 'overview'), me)
  window.setInterval(() => void getJson('/console/api/me').catch(() => undefined), 15_000)
}

function mayWatchRecordings(me: Me): boolean {
  return me.role === 'inspector' || me.role === 'supervisor'
}

void main()
