/**
 * Draws the citizen screens. Everything visible comes from the retained
 * config; text from the config is always set as text, never as markup.
 */
import { faceSvg, levelLook } from './faces.js'
import { h, trustedSvg } from './dom.js'
import type { KioskConfig } from './downlink.js'
import type { FlowState } from './flow.js'
import { other, t, type Lang, type TextKey } from './i18n.js'
import { MAX_COMPLAINT_COMMENT } from '../../../protocol/complaint.js'

export interface ViewModel {
  config: KioskConfig
  flow: FlowState
  lang: Lang
  /** Ticket the start screen invites to rate. */
  ticket: string | null
  acked: boolean
}

export interface ViewActions {
  press(level: number): void
  toggle(reason: string): void
  send(): void
  skip(): void
  switchLang(): void
  /** On the complaint offer: yes. */
  complain(): void
  /** The complaint form's fields changed (typing keeps the citizen's time running). */
  draft(d: ComplaintDraft): void
  sendComplaint(): void
}

/** What the citizen typed so far, kept outside the DOM so a redraw loses nothing. */
export interface ComplaintDraft {
  comment: string
  phone: string
  consent: boolean
  /** Problems of the last attempt to send (complaintProblems, or no_link), shown under the form. */
  problems: string[]
}

export function header(vm: ViewModel, a: ViewActions): HTMLElement {
  const { config, lang } = vm
  const officer = config.officer
  return h(
    'header',
    { class: 'top' },
    h(
      'div',
      { class: 'place' },
      h('div', { class: 'center-name' }, config.site.name),
      h('div', { class: 'counter-name', id: 'counter-name' }, config.counter.name),
      h('div', { class: 'dept' }, config.department.name),
    ),
    h(
      'div',
      { class: 'officer', 'data-officer': officer?.id ?? '' },
      officer?.photo ? h('img', { class: 'photo', src: officer.photo, alt: '' }) : null,
      h(
        'div',
        {},
        h('div', { class: 'officer-label' }, t(officer ? 'officer' : 'noOfficer', lang)),
        officer ? h('div', { class: 'officer-name' }, officer.name) : null,
      ),
    ),
    h('button', { class: 'lang', type: 'button', lang: other(lang), onclick: a.switchLang }, t('switchLang', lang)),
  )
}

function startScreen(vm: ViewModel, a: ViewActions): HTMLElement {
  const { config, lang } = vm
  const buttons = config.labels.map((label, i) => {
    const level = i + 1
    const look = levelLook(config.scale, level)
    const button = h(
      'button',
      { class: 'level', type: 'button', 'data-level': level, onclick: () => a.press(level) },
      trustedSvg(faceSvg(look.smile, look.fg)),
      h('span', { class: 'label' }, label[lang]),
      h('span', { class: 'sub', lang: other(lang) }, label[other(lang)]),
    )
    // Through the CSSOM, which the page's CSP allows (style attributes in markup are refused).
    button.style.background = look.bg
    button.style.color = look.fg
    return button
  })
  return h(
    'main',
    { class: 'screen start' },
    vm.ticket
      ? h(
          'div',
          { class: 'invite', 'data-ticket': vm.ticket },
          h('span', {}, t('invite', lang)),
          h('span', { class: 'ticket' }, `${t('ticket', lang)} ${vm.ticket}`),
        )
      : null,
    h('h1', { class: 'question' }, t('question', lang)),
    h('div', { class: `levels n${config.scale}` }, ...buttons),
  )
}

function reasonsScreen(vm: ViewModel, a: ViewActions, chosen: readonly string[]): HTMLElement {
  const { config, lang } = vm
  return h(
    'main',
    { class: 'screen reasons' },
    h('h1', { class: 'question' }, t('reasonsTitle', lang)),
    h('p', { class: 'hint' }, t('reasonsHint', lang)),
    h(
      'div',
      { class: 'chips' },
      ...config.reasons.map((r) =>
        h(
          'button',
          {
            class: 'chip',
            type: 'button',
            'data-reason': r.id,
            'aria-pressed': chosen.includes(r.id) ? 'true' : 'false',
            onclick: () => a.toggle(r.id),
          },
          r[lang],
        ),
      ),
    ),
    h(
      'div',
      { class: 'actions' },
      h('button', { id: 'skip', class: 'secondary', type: 'button', onclick: a.skip }, t('skip', lang)),
      h('button', { id: 'send', class: 'primary', type: 'button', onclick: a.send }, t('send', lang)),
    ),
  )
}

function offerScreen(vm: ViewModel, a: ViewActions): HTMLElement {
  const { lang } = vm
  return h(
    'main',
    { class: 'screen offer' },
    h('h1', { class: 'question' }, t('offerTitle', lang)),
    h('p', { class: 'hint' }, t('offerHint', lang)),
    h(
      'div',
      { class: 'actions' },
      h('button', { id: 'offer-no', class: 'secondary', type: 'button', onclick: a.skip }, t('offerNo', lang)),
      h('button', { id: 'offer-yes', class: 'primary', type: 'button', onclick: a.complain }, t('offerYes', lang)),
    ),
  )
}

function complaintScreen(vm: ViewModel, a: ViewActions, d: ComplaintDraft): HTMLElement {
  const { lang } = vm
  const comment = h('textarea', { id: 'complaint-comment', maxlength: MAX_COMPLAINT_COMMENT, rows: 4 }) as HTMLTextAreaElement
  comment.value = d.comment
  const phone = h('input', { id: 'complaint-phone', type: 'tel', inputmode: 'tel', autocomplete: 'off', maxlength: 20 }) as HTMLInputElement
  phone.value = d.phone
  const consent = h('input', { id: 'complaint-consent', type: 'checkbox' }) as HTMLInputElement
  consent.checked = d.consent
  const changed = () => a.draft({ comment: comment.value, phone: phone.value, consent: consent.checked, problems: d.problems })
  for (const el of [comment, phone]) el.addEventListener('input', changed)
  consent.addEventListener('change', changed)
  return h(
    'main',
    { class: 'screen complaint' },
    h('h1', { class: 'question' }, t('complaintTitle', lang)),
    h('label', {}, t('complaintComment', lang), comment),
    h('label', {}, t('complaintPhone', lang), phone),
    h('label', { class: 'consent' }, consent, h('span', {}, t('complaintConsent', lang))),
    h('p', { class: 'problems', id: 'complaint-problems', role: 'alert' }, d.problems.map((p) => t(`problem_${p}` as TextKey, lang)).join(' ')),
    h(
      'div',
      { class: 'actions' },
      h('button', { id: 'complaint-skip', class: 'secondary', type: 'button', onclick: a.skip }, t('skip', lang)),
      h('button', { id: 'complaint-send', class: 'primary', type: 'button', onclick: a.sendComplaint }, t('complaintSend', lang)),
    ),
  )
}

const HEART =
  '<svg viewBox="0 0 100 100" aria-hidden="true" focusable="false"><path fill="#c62828" d="M50 88 C20 66 6 50 6 32 A22 22 0 0 1 50 22 A22 22 0 0 1 94 32 C94 50 80 66 50 88Z"/></svg>'

function thanksScreen(vm: ViewModel): HTMLElement {
  return h(
    'main',
    { class: 'screen thanks' },
    trustedSvg(HEART),
    h('h1', {}, t('thanks', vm.lang)),
    h('p', {}, t('thanksSub', vm.lang)),
    // The check appears on PUBACK: staff can see the rating reached the edge; citizens see nothing alarming without it.
    h('div', { class: 'ack', 'data-acked': vm.acked ? 'true' : 'false', 'aria-hidden': 'true' }, vm.acked ? '✓' : ''),
  )
}

export function screen(vm: ViewModel, a: ViewActions, draft: ComplaintDraft): HTMLElement {
  const s = vm.flow.screen
  if (s.name === 'reasons') return reasonsScreen(vm, a, s.chosen)
  if (s.name === 'offer') return offerScreen(vm, a)
  if (s.name === 'complaint') return complaintScreen(vm, a, draft)
  if (s.name === 'thanks') return thanksScreen(vm)
  return startScreen(vm, a)
}

/** Shown before any config is known (first start of a new tablet without its edge). */
export function bootScreen(lang: Lang): HTMLElement {
  return h('main', { class: 'screen boot' }, h('h1', { id: 'boot-title' }, t('starting', lang)))
}
