/**
 * The kiosk page's one wiring file: reads the env the edge wrote into the
 * page, opens the pending store and the MQTT link, and runs the citizen flow.
 */
import { topics } from '../../../protocol/topics.js'
import { KIOSK_ENV_ELEMENT_ID, type KioskEnv } from '../../../protocol/kiosk-env.js'
import { h, onLongPress } from './dom.js'
import { parseConfig, parseErrorReply, parsePromptTicket, type KioskConfig } from './downlink.js'
import { initialFlow, promptedTicket, step, type FlowEvent, type FlowState } from './flow.js'
import type { Lang } from './i18n.js'
import { loadSecret, saveSecret, takeSecretFromFragment } from './identity.js'
import { openLink, type Link } from './link.js'
import { complaintPayload, newEventId, ratingPayload, signInPayload, signOutPayload } from './messages.js'
import { bootScreen, header, screen, type ComplaintDraft, type ViewActions } from './render.js'
import { complaintProblems } from '../../../protocol/complaint.js'
import { isDissatisfied } from '../../../protocol/scales.js'
import { PendingSender } from './sender.js'
import { StaffPanel, setupScreen } from './staff.js'
import { openPendingStore } from './store.js'

const STAFF_HOLD_MS = 3000
/** Typing a comment takes longer than choosing chips: the form waits this many times idleMs after the last keystroke. */
const COMPLAINT_IDLE_FACTOR = 3
const EMPTY_DRAFT: ComplaintDraft = { comment: '', phone: '', consent: false, problems: [] }

const env = JSON.parse(document.getElementById(KIOSK_ENV_ELEMENT_ID)?.textContent ?? '{}') as KioskEnv
const app = document.getElementById('app') as HTMLElement
const now = () => Date.now()
const configKey = `motcua.kiosk.${env.device}.config`
const ratedKey = `motcua.kiosk.${env.device}.rated`

function readJson<T>(key: string): T | null {
  try {
    return JSON.parse(localStorage.getItem(key) ?? 'null') as T | null
  } catch {
    return null
  }
}

// A cached config lets a reloaded tablet take ratings even while the edge broker is down.
let config: KioskConfig | null = parseConfig(localStorage.getItem(configKey) ?? '')
let flow: FlowState = initialFlow(readJson<string[]>(ratedKey) ?? [])
let lang: Lang = 'vi'
let lastSubmitted: string | null = null
let acked = false
let linkUp = false
let problem = ''
let link: Link | null = null
let screenTimer: ReturnType<typeof setTimeout> | null = null
/** The dissatisfied rating a complaint would follow, and what the citizen typed: in memory only, never stored. */
let offered: { rating: string; level: number } | null = null
let draft: ComplaintDraft = EMPTY_DRAFT
let sendingComplaint = false

const dot = h('div', { class: 'dot', id: 'link-dot', 'aria-hidden': 'true' })
const panel = new StaffPanel(document.body, {
  config: () => config,
  signIn: (officer, pin) => publishOfficer((id) => signInPayload(id, now(), officer, pin)),
  signOut: (pin) => publishOfficer((id) => signOutPayload(id, now(), pin)),
  diagnostics: () => [
    ['device', env.device],
    ['site / counter', `${env.site} / ${env.counter ?? '?'}`],
    ['broker', brokerUrl()],
    ['link', linkUp ? 'up' : 'down'],
    ['last problem', problem || '—'],
    ['unsent ratings', String(sender.depth())],
    ['store', storeKind],
    ['version', env.fw],
  ],
  saveSecret: (secret) => {
    saveSecret(env.device, secret, localStorage)
    location.reload()
  },
  now,
})

function brokerUrl(): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws'
  const host = location.hostname.includes(':') ? `[${location.hostname}]` : location.hostname
  return `${scheme}://${host}:${env.wsPort}${env.wsPath}`
}

/** Officer messages carry a PIN: sent only while connected, never stored. */
function publishOfficer(build: (id: string) => object): string | null {
  if (!link || !linkUp || !env.counter) return null
  const id = newEventId()
  link.publish(topics.officer(env.site, env.counter), JSON.stringify(build(id)), () => undefined)
  return id
}

const actions: ViewActions = {
  press: (level) => {
    performance.mark('kiosk-press')
    dispatch({ type: 'press', level, now: now() })
  },
  toggle: (reason) => dispatch({ type: 'toggle', reason }),
  send: () => dispatch({ type: 'send' }),
  skip: () => dispatch({ type: 'skip' }),
  complain: () => dispatch({ type: 'complain' }),
  draft: (d) => {
    draft = d
    armTimer()
  },
  sendComplaint,
  switchLang: () => {
    lang = lang === 'vi' ? 'en' : 'vi'
    // Nobody rated after switching: the next citizen gets Vietnamese again.
    if (flow.screen.name === 'start') {
      if (screenTimer) clearTimeout(screenTimer)
      screenTimer = setTimeout(() => {
        lang = 'vi'
        draw()
      }, env.idleMs)
    }
    draw()
  },
}

function dispatch(ev: FlowEvent): void {
  if (!config) return
  const before = flow.screen.name
  // A complaint is offered only while connected: it is sent at once or not at all, never stored on the tablet.
  const out = step(flow, ev, { scale: config.scale, hasReasons: config.reasons.length > 0, promptTtlMs: env.promptTtlMs, offerComplaint: linkUp && env.complaints === true })
  flow = out.state
  if (out.submit && env.counter) {
    const id = newEventId()
    lastSubmitted = id
    acked = false
    const payload = ratingPayload(id, now(), { scale: config.scale, ...out.submit })
    void sender.add({ id, topic: topics.rating(env.site, env.counter), payload: JSON.stringify(payload), createdAt: now() })
    localStorage.setItem(ratedKey, JSON.stringify(flow.rated))
    offered = isDissatisfied(config.scale, out.submit.level) ? { rating: id, level: out.submit.level } : null
  }
  if (flow.screen.name !== 'offer' && flow.screen.name !== 'complaint') {
    // The citizen is done: what they typed leaves the page's memory.
    offered = null
    draft = EMPTY_DRAFT
  }
  const entered = flow.screen.name !== before
  // The next citizen starts in Vietnamese whatever the last one chose.
  if (entered && flow.screen.name === 'start') lang = 'vi'
  if (entered || ev.type === 'toggle') armTimer()
  // Redraw when an invitation expires, so a stale ticket is not shown.
  if (ev.type === 'prompt') setTimeout(draw, env.promptTtlMs + 50)
  draw()
}

/** Reason chips wait `idleMs` after the last touch; the thank-you stays `thanksMs`. */
function armTimer(): void {
  const name = flow.screen.name
  if (screenTimer) clearTimeout(screenTimer)
  screenTimer = null
  const ms = name === 'reasons' || name === 'offer' ? env.idleMs : name === 'complaint' ? env.idleMs * COMPLAINT_IDLE_FACTOR : name === 'thanks' ? env.thanksMs : 0
  if (ms > 0) screenTimer = setTimeout(() => dispatch({ type: 'idle' }), ms)
}

function draw(): void {
  document.documentElement.lang = lang
  if (!env.counter || !loadSecret(env.device, localStorage)) {
    document.body.dataset.screen = 'setup'
    app.replaceChildren(setupScreen(env.device, env.counter !== null, panelSave), dot)
    return
  }
  if (!config) {
    // No config yet (new tablet, wrong secret, edge down): the staff gesture on the title still opens setup and diagnostics.
    document.body.dataset.screen = 'boot'
    const boot = bootScreen(lang)
    const title = boot.querySelector<HTMLElement>('h1')
    if (title) onLongPress(title, STAFF_HOLD_MS, () => panel.open())
    app.replaceChildren(boot, dot)
    return
  }
  document.body.dataset.screen = flow.screen.name
  const ticket = promptedTicket(flow, now(), env.promptTtlMs)
  const top = header({ config, flow, lang, ticket, acked }, actions)
  const counterName = top.querySelector<HTMLElement>('#counter-name')
  if (counterName) onLongPress(counterName, STAFF_HOLD_MS, () => panel.open())
  app.replaceChildren(top, screen({ config, flow, lang, ticket, acked }, actions, draft), dot)
}

/** Checks the form as the edge will, then publishes it at QoS 1; the thank-you follows the edge's acknowledgement. */
function sendComplaint(): void {
  if (flow.screen.name !== 'complaint' || !offered || sendingComplaint) return
  const problems: string[] = complaintProblems(draft)
  if (problems.length === 0 && (!link || !linkUp || !env.counter)) problems.push('no_link')
  if (problems.length > 0 || !link || !env.counter) {
    draft = { ...draft, problems }
    draw()
    return
  }
  sendingComplaint = true
  const payload = complaintPayload(newEventId(), now(), { rating: offered.rating, level: offered.level, comment: draft.comment, phone: draft.phone, lang })
  link.publish(topics.complaint(env.site, env.counter), JSON.stringify(payload), (err) => {
    sendingComplaint = false
    if (flow.screen.name !== 'complaint') return
    if (err) {
      draft = { ...draft, problems: ['no_link'] }
      draw()
    } else dispatch({ type: 'sent' })
  })
}

function panelSave(secret: string): void {
  saveSecret(env.device, secret, localStorage)
  location.reload()
}

function setLink(up: boolean): void {
  linkUp = up
  document.body.dataset.link = up ? 'up' : 'down'
  dot.className = `dot ${up ? 'up' : 'down'}`
  sender.setConnected(up)
}

function onDownlink(kind: string, text: string): void {
  if (kind === 'config') {
    const c = parseConfig(text)
    if (!c) return
    config = c
    localStorage.setItem(configKey, JSON.stringify(c))
    panel.onConfig(c)
    if (!document.body.dataset.ready) {
      document.body.dataset.ready = 'true'
      performance.mark('kiosk-ready')
    }
    draw()
  } else if (kind === 'prompt') {
    const ticket = parsePromptTicket(text)
    if (ticket) dispatch({ type: 'prompt', ticket, now: now() })
  } else if (kind === 'error') {
    const reply = parseErrorReply(text)
    if (reply) {
      problem = `${reply.code}${reply.id ? ` (${reply.id})` : ''}`
      panel.onError(reply)
    }
  }
}

takeSecretFromFragment(env.device, location, history, localStorage)
const store = await openPendingStore(`motcua-kiosk-${env.device}`)
const storeKind = store.kind
const sender = new PendingSender({
  store,
  now,
  publish: (topic, payload, done) => (link ? link.publish(topic, payload, done) : done(new Error('no link'))),
  onAcked: (id) => {
    if (id !== lastSubmitted) return
    acked = true
    if (flow.screen.name === 'thanks') draw()
    // After the redraw: the benchmark measures press → acknowledgement visible on screen.
    performance.mark('kiosk-acked')
  },
  onDepth: (depth) => (document.body.dataset.pending = String(depth)),
})
await sender.start()
setLink(false)
draw()

const secret = loadSecret(env.device, localStorage)
if (env.counter && secret) {
  link = openLink({
    url: brokerUrl(),
    device: env.device,
    secret,
    site: env.site,
    counter: env.counter,
    fw: env.fw,
    heartbeatMs: env.heartbeatMs,
    now,
    onUp: setLink,
    onDownlink,
    onProblem: (m) => (problem = m),
  })
  // Safety net for a PUBACK that never came: re-publish what is still stored (same ids).
  setInterval(() => void sender.flush(), env.heartbeatMs)
}
