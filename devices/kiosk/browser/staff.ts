/**
 * The staff panel behind the long-press gesture: officer sign-in with a PIN,
 * sign-out with the on-duty officer's PIN, diagnostics and the device secret. Citizens never see it; errors
 * such as a wrong PIN appear only here.
 */
import { h } from './dom.js'
import type { ErrorReply, KioskConfig } from './downlink.js'
import { STAFF } from './i18n.js'

export interface StaffDeps {
  config(): KioskConfig | null
  /** Publishes the officer message; returns its event id, or null when the link is down. */
  signIn(officer: string, pin: string): string | null
  /** `pin`: the PIN of the officer on duty (issue 11: anyone at the kiosk could end a shift). */
  signOut(pin: string): string | null
  diagnostics(): [string, string][]
  saveSecret(secret: string): void
  now(): number
}

const REPLY_TIMEOUT_MS = 10_000
const PANEL_IDLE_MS = 60_000
const MAX_PIN = 8

type Waiting = { id: string; officer: string | null; timer: ReturnType<typeof setTimeout> }

export class StaffPanel {
  private root: HTMLElement | null = null
  private officer: string | null = null
  private pin = ''
  private message = ''
  private messageOk = false
  private waiting: Waiting | null = null
  private idle: ReturnType<typeof setTimeout> | null = null

  constructor(private readonly host: HTMLElement, private readonly deps: StaffDeps) {}

  isOpen(): boolean {
    return this.root !== null
  }

  open(): void {
    this.pin = ''
    this.message = ''
    this.officer = null
    this.draw()
  }

  close(): void {
    if (this.waiting) clearTimeout(this.waiting.timer)
    if (this.idle) clearTimeout(this.idle)
    this.waiting = null
    this.root?.remove()
    this.root = null
  }

  /** A new retained config: it says whether the sign-in or sign-out we wait for took effect. */
  onConfig(config: KioskConfig): void {
    const w = this.waiting
    if (!w || !this.root) return
    const now = config.officer?.id ?? null
    if (now !== w.officer) return
    clearTimeout(w.timer)
    this.waiting = null
    this.pin = ''
    this.message = w.officer ? STAFF.signedIn : STAFF.signedOut
    this.messageOk = true
    this.draw()
    setTimeout(() => this.close(), 1500)
  }

  onError(reply: ErrorReply): void {
    const w = this.waiting
    if (!w || !this.root || (reply.id !== null && reply.id !== w.id)) return
    clearTimeout(w.timer)
    this.waiting = null
    this.pin = ''
    // The edge's own words as well: they say when a kiosk is locked out after repeated wrong PINs.
    this.message = `${reply.code === 'EDGE_PIN_WRONG' ? STAFF.pinWrong : reply.code} — ${reply.message}`
    this.messageOk = false
    this.draw()
  }

  private wait(id: string | null, officer: string | null): void {
    this.messageOk = false
    if (id === null) {
      this.message = STAFF.noLink
      return
    }
    this.message = '…'
    this.waiting = {
      id,
      officer,
      timer: setTimeout(() => {
        this.waiting = null
        this.message = STAFF.noReply
        this.draw()
      }, REPLY_TIMEOUT_MS),
    }
  }

  private draw(): void {
    if (this.idle) clearTimeout(this.idle)
    this.idle = setTimeout(() => this.close(), PANEL_IDLE_MS)
    const config = this.deps.config()
    const panel = h(
      'div',
      { class: 'staff', id: 'staff', role: 'dialog', 'aria-label': STAFF.title },
      h('div', { class: 'staff-head' }, h('h2', {}, STAFF.title), h('button', { type: 'button', id: 'staff-close', onclick: () => this.close() }, STAFF.close)),
      h('div', { class: this.messageOk ? 'staff-msg ok' : 'staff-msg', id: 'staff-msg', role: 'status' }, this.message),
      config ? this.duty(config) : null,
      this.setup(),
      this.diagnostics(),
    )
    if (this.root) this.root.replaceWith(panel)
    else this.host.append(panel)
    this.root = panel
  }

  private duty(config: KioskConfig): HTMLElement {
    const redraw = () => this.draw()
    const officers = config.officers ?? []
    const choose =
      officers.length > 0
        ? h(
            'div',
            { class: 'officers' },
            ...officers.map((o) =>
              h('button', {
                type: 'button',
                class: 'chip',
                'data-officer': o.id,
                'aria-pressed': this.officer === o.id ? 'true' : 'false',
                onclick: () => {
                  this.officer = o.id
                  redraw()
                },
              }, o.name),
            ),
          )
        : h('input', {
            id: 'officer-id',
            autocomplete: 'off',
            placeholder: STAFF.officerId,
            value: this.officer ?? '',
            oninput: (e) => (this.officer = (e.target as HTMLInputElement).value.trim() || null),
          })
    const key = (label: string, fn: () => void, id?: string) => h('button', { type: 'button', class: 'key', id, onclick: fn }, label)
    const digit = (d: string) =>
      key(d, () => {
        if (this.pin.length < MAX_PIN) this.pin += d
        redraw()
      })
    const ok = () => {
      if (!this.officer || this.pin.length < 4) return
      this.wait(this.deps.signIn(this.officer, this.pin), this.officer)
      this.pin = ''
      redraw()
    }
    return h(
      'section',
      {},
      h('h3', {}, `${STAFF.onDuty}: ${config.officer?.name ?? '—'}`),
      h('p', {}, STAFF.chooseOfficer),
      choose,
      this.pin
        ? h('div', { class: 'pin-display', id: 'pin-display', 'aria-label': STAFF.pin }, '●'.repeat(this.pin.length))
        : h('div', { class: 'pin-display empty', id: 'pin-display' }, STAFF.pin),
      h(
        'div',
        { class: 'pinpad' },
        ...['1', '2', '3', '4', '5', '6', '7', '8', '9'].map(digit),
        key('⌫', () => {
          this.pin = this.pin.slice(0, -1)
          redraw()
        }, 'pin-back'),
        digit('0'),
        key('OK', ok, 'pin-ok'),
      ),
      config.officer
        ? h('button', {
            type: 'button',
            id: 'sign-out',
            class: 'secondary',
            onclick: () => {
              if (this.pin.length < 4) {
                this.message = STAFF.pinToSignOut
                this.messageOk = false
              } else {
                this.wait(this.deps.signOut(this.pin), null)
                this.pin = ''
              }
              redraw()
            },
          }, STAFF.signOut)
        : null,
    )
  }

  private setup(): HTMLElement {
    let typed = ''
    return h(
      'section',
      {},
      h('h3', {}, STAFF.setupTitle),
      h('input', { id: 'secret-input', type: 'password', autocomplete: 'off', placeholder: STAFF.secret, oninput: (e) => (typed = (e.target as HTMLInputElement).value.trim()) }),
      h('button', { type: 'button', id: 'secret-save', class: 'secondary', onclick: () => typed && this.deps.saveSecret(typed) }, STAFF.save),
    )
  }

  private diagnostics(): HTMLElement {
    return h(
      'section',
      {},
      h('h3', {}, STAFF.diagnostics),
      h('dl', { class: 'diag', id: 'diag' }, ...this.deps.diagnostics().flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
    )
  }
}

/** Full screen for a tablet that has no secret yet, or a device the edge does not know. */
export function setupScreen(device: string, deviceKnown: boolean, save: (secret: string) => void): HTMLElement {
  let typed = ''
  return h(
    'main',
    { class: 'screen setup' },
    h('h1', {}, STAFF.setupTitle),
    h('p', { class: 'device-id' }, `${STAFF.device}: ${device}`),
    deviceKnown ? null : h('p', { class: 'staff-msg' }, STAFF.unknownDevice),
    h('input', { id: 'secret-input', type: 'password', autocomplete: 'off', placeholder: STAFF.secret, oninput: (e) => (typed = (e.target as HTMLInputElement).value.trim()) }),
    h('button', { type: 'button', id: 'secret-save', class: 'primary', onclick: () => typed && save(typed) }, STAFF.save),
  )
}
