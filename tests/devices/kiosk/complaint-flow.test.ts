/**
 * The kiosk's complaint offer as a pure flow (issue 16): only after a
 * dissatisfied rating, only when offered (connected, turned on), declined
 * or left by default, and the rating is submitted before any of it.
 */
import { describe, expect, it } from 'vitest'
import { initialFlow, step, type FlowContext, type FlowEvent, type FlowState } from '../../../devices/kiosk/browser/flow.js'
import { complaintPayload } from '../../../devices/kiosk/browser/messages.js'
import { complaintMessage } from '../../../protocol/messages.js'

const ctx: FlowContext = { scale: 4, hasReasons: true, promptTtlMs: 60_000, offerComplaint: true }

function run(events: FlowEvent[], c: FlowContext = ctx): { state: FlowState; submits: number } {
  let state = initialFlow()
  let submits = 0
  for (const ev of events) {
    const out = step(state, ev, c)
    state = out.state
    if (out.submit) submits++
  }
  return { state, submits }
}

describe('complaint offer in the kiosk flow', () => {
  it('follows a dissatisfied rating, after its reasons, with the rating already submitted', () => {
    const { state, submits } = run([{ type: 'press', level: 4, now: 0 }, { type: 'toggle', reason: 'wait' }, { type: 'send' }])
    expect(state.screen).toEqual({ name: 'offer', level: 4 })
    expect(submits).toBe(1)
    expect(run([{ type: 'press', level: 4, now: 0 }], { ...ctx, hasReasons: false }).state.screen).toEqual({ name: 'offer', level: 4 })
  })

  it('never follows a satisfied rating, nor any rating when not offered (offline, or turned off)', () => {
    expect(run([{ type: 'press', level: 1, now: 0 }]).state.screen.name).toBe('thanks')
    expect(run([{ type: 'press', level: 4, now: 0 }, { type: 'skip' }], { ...ctx, offerComplaint: false }).state.screen.name).toBe('thanks')
    expect(run([{ type: 'press', level: 4, now: 0 }, { type: 'skip' }], { scale: 4, hasReasons: true, promptTtlMs: 1 }).state.screen.name).toBe('thanks')
  })

  it('is declined by "no", by walking away on the offer or on the form, and sent only from the form', () => {
    const offered: FlowEvent[] = [{ type: 'press', level: 4, now: 0 }, { type: 'skip' }]
    expect(run([...offered, { type: 'skip' }]).state.screen.name).toBe('thanks')
    expect(run([...offered, { type: 'idle' }]).state.screen.name).toBe('thanks')
    expect(run([...offered, { type: 'sent' }]).state.screen.name).toBe('offer')
    expect(run([...offered, { type: 'complain' }]).state.screen).toEqual({ name: 'complaint', level: 4 })
    expect(run([...offered, { type: 'complain' }, { type: 'idle' }]).state.screen.name).toBe('thanks')
    expect(run([...offered, { type: 'complain' }, { type: 'press', level: 1, now: 1 }]).submits).toBe(1)
    const sent = run([...offered, { type: 'complain' }, { type: 'sent' }])
    expect(sent.state.screen.name).toBe('thanks')
    expect(sent.submits).toBe(1)
  })

  it('builds a payload the edge accepts, trimmed', () => {
    const p = complaintPayload('cmp-00000001', 1_763_711_000_000, { rating: 'evt-00000001', level: 4, comment: '  Chờ lâu ', phone: ' 0912 345 678 ', lang: 'vi' })
    expect(p).toEqual({ v: 1, id: 'cmp-00000001', ts: 1_763_711_000_000, rating: 'evt-00000001', level: 4, comment: 'Chờ lâu', phone: '0912 345 678', consent: true, lang: 'vi' })
    expect(complaintMessage.safeParse(p).success).toBe(true)
  })
})
