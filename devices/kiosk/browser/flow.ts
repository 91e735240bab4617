/**
 * The citizen's path through the kiosk as a pure state machine: start →
 * (reason chips after a dissatisfied level) → (the offer of a complaint, and
 * its form) → thank-you → start. Timers and
 * the DOM live in main.ts; this file decides what is shown and when a rating
 * is submitted, so the rules (one rating per ticket, nothing lost when a
 * citizen walks away) are tested without a browser.
 */
import { isDissatisfied, type ScaleSize } from '../../../protocol/scales.js'

export const MAX_REASONS = 8
/** Tickets already rated, remembered so a re-called ticket is not rated twice; bounded. */
const RATED_MEMORY = 200

export type Screen =
  | { name: 'start' }
  | { name: 'reasons'; level: number; chosen: string[]; ticket: string | null }
  | { name: 'thanks' }
  /** After a dissatisfied rating (issue 16): would the citizen leave a comment or a number to be called back? */
  | { name: 'offer'; level: number }
  | { name: 'complaint'; level: number }

export interface FlowState {
  screen: Screen
  /** Ticket called to this counter and not yet rated. */
  prompt: { ticket: string; at: number } | null
  rated: string[]
}

export type FlowEvent =
  | { type: 'press'; level: number; now: number }
  | { type: 'toggle'; reason: string }
  | { type: 'send' }
  | { type: 'skip' }
  /** The screen's timer ran out: the citizen left (reasons) or the thank-you is over. */
  | { type: 'idle' }
  | { type: 'prompt'; ticket: string; now: number }
  /** On the offer: yes, leave a comment. */
  | { type: 'complain' }
  /** The complaint was sent (or could not be and the citizen gave up). */
  | { type: 'sent' }

export interface Submission {
  level: number
  reasons: string[]
  ticket: string | null
}

export interface FlowContext {
  scale: ScaleSize
  /** Reason chips are offered only when the site configured some. */
  hasReasons: boolean
  promptTtlMs: number
  /** Offer a complaint after a dissatisfied rating: only while connected, since it is never stored on the tablet. */
  offerComplaint?: boolean
}

export const initialFlow = (rated: string[] = []): FlowState => ({ screen: { name: 'start' }, prompt: null, rated })

function liveTicket(state: FlowState, now: number, ttl: number): string | null {
  const p = state.prompt
  if (!p || now - p.at > ttl || state.rated.includes(p.ticket)) return null
  return p.ticket
}

function submit(state: FlowState, s: Submission, ctx: FlowContext): { state: FlowState; submit: Submission } {
  const rated = s.ticket ? [...state.rated, s.ticket].slice(-RATED_MEMORY) : state.rated
  const next: Screen = ctx.offerComplaint && isDissatisfied(ctx.scale, s.level) ? { name: 'offer', level: s.level } : { name: 'thanks' }
  return { state: { ...state, screen: next, rated }, submit: s }
}

export function step(state: FlowState, ev: FlowEvent, ctx: FlowContext): { state: FlowState; submit?: Submission } {
  const screen = state.screen
  switch (ev.type) {
    case 'prompt':
      if (state.rated.includes(ev.ticket)) return { state }
      return { state: { ...state, prompt: { ticket: ev.ticket, at: ev.now } } }
    case 'press': {
      if (screen.name !== 'start' || !Number.isInteger(ev.level) || ev.level < 1 || ev.level > ctx.scale) return { state }
      // The ticket is bound at the press, so a ticket called while this citizen picks reasons goes to the next one.
      const ticket = liveTicket(state, ev.now, ctx.promptTtlMs)
      const next = { ...state, prompt: ticket ? null : state.prompt }
      if (ctx.hasReasons && isDissatisfied(ctx.scale, ev.level)) {
        return { state: { ...next, screen: { name: 'reasons', level: ev.level, chosen: [], ticket } } }
      }
      return submit(next, { level: ev.level, reasons: [], ticket }, ctx)
    }
    case 'toggle': {
      if (screen.name !== 'reasons') return { state }
      const chosen = screen.chosen.includes(ev.reason)
        ? screen.chosen.filter((r) => r !== ev.reason)
        : screen.chosen.length < MAX_REASONS
          ? [...screen.chosen, ev.reason]
          : screen.chosen
      return { state: { ...state, screen: { ...screen, chosen } } }
    }
    case 'send':
    case 'skip':
    case 'idle':
      if (screen.name === 'reasons') {
        // A citizen who walks away has still rated; the chips they touched say what they meant.
        const reasons = ev.type === 'skip' ? [] : screen.chosen
        return submit(state, { level: screen.level, reasons, ticket: screen.ticket }, ctx)
      }
      // Declining, walking away or sending all end on the thank-you: the rating was sent before the offer.
      if (screen.name === 'offer' || screen.name === 'complaint') return { state: { ...state, screen: { name: 'thanks' } } }
      if (screen.name === 'thanks' && ev.type === 'idle') return { state: { ...state, screen: { name: 'start' } } }
      return { state }
    case 'complain':
      return screen.name === 'offer' ? { state: { ...state, screen: { name: 'complaint', level: screen.level } } } : { state }
    case 'sent':
      return screen.name === 'complaint' ? { state: { ...state, screen: { name: 'thanks' } } } : { state }
  }
}

/** The ticket the start screen invites to rate, if any. */
export function promptedTicket(state: FlowState, now: number, ttl: number): string | null {
  return liveTicket(state, now, ttl)
}
