import { describe, expect, it } from 'vitest'
import { initialFlow, promptedTicket, step, MAX_REASONS, type FlowContext, type FlowEvent, type FlowState, type Submission } from '../../../devices/kiosk/browser/flow.js'

const ctx: FlowContext = { scale: 4, hasReasons: true, promptTtlMs: 60_000 }

function run(events: FlowEvent[], c = ctx, from: FlowState = initialFlow()): { state: FlowState; sent: Submission[] } {
  let state = from
  const sent: Submission[] = []
  for (const ev of events) {
    const out = step(state, ev, c)
    state = out.state
    if (out.submit) sent.push(out.submit)
  }
  return { state, sent }
}

describe('kiosk flow', () => {
  it('submits a satisfied press at once and shows the thank-you until the timer', () => {
    const { state, sent } = run([{ type: 'press', level: 1, now: 0 }])
    expect(sent).toEqual([{ level: 1, reasons: [], ticket: null }])
    expect(state.screen.name).toBe('thanks')
    expect(run([{ type: 'idle' }], ctx, state).state.screen.name).toBe('start')
  })

  it('asks for reasons only after a dissatisfied level of the scale, per protocol/scales.ts', () => {
    expect(run([{ type: 'press', level: 3, now: 0 }], { ...ctx, scale: 3 }).state.screen.name).toBe('reasons')
    expect(run([{ type: 'press', level: 3, now: 0 }], { ...ctx, scale: 4 }).state.screen.name).toBe('thanks')
    expect(run([{ type: 'press', level: 4, now: 0 }], { ...ctx, scale: 5 }).state.screen.name).toBe('reasons')
    expect(run([{ type: 'press', level: 5, now: 0 }], { ...ctx, scale: 5 }).state.screen.name).toBe('reasons')
    // A site without reason chips goes straight to the thank-you.
    expect(run([{ type: 'press', level: 4, now: 0 }], { ...ctx, hasReasons: false }).sent).toHaveLength(1)
  })

  it('ignores presses off the scale or outside the start screen', () => {
    expect(run([{ type: 'press', level: 5, now: 0 }]).sent).toEqual([])
    expect(run([{ type: 'press', level: 0, now: 0 }]).sent).toEqual([])
    expect(run([{ type: 'press', level: 1, now: 0 }, { type: 'press', level: 2, now: 1 }]).sent).toHaveLength(1)
  })

  it('toggles chips, caps them, and sends, skips or sends on walk-away', () => {
    const press: FlowEvent = { type: 'press', level: 4, now: 0 }
    const toggle = (reason: string): FlowEvent => ({ type: 'toggle', reason })
    expect(run([press, toggle('a'), toggle('b'), toggle('a'), { type: 'send' }]).sent).toEqual([{ level: 4, reasons: ['b'], ticket: null }])
    expect(run([press, toggle('a'), { type: 'skip' }]).sent).toEqual([{ level: 4, reasons: [], ticket: null }])
    expect(run([press, toggle('c'), { type: 'idle' }]).sent).toEqual([{ level: 4, reasons: ['c'], ticket: null }])
    const many = run([press, ...'abcdefghij'.split('').map(toggle), { type: 'send' }]).sent[0]
    expect(many?.reasons).toHaveLength(MAX_REASONS)
  })

  it('carries a called ticket in exactly one rating', () => {
    const { state, sent } = run([
      { type: 'prompt', ticket: 'A1', now: 0 },
      { type: 'press', level: 1, now: 10 },
      { type: 'idle' },
      { type: 'press', level: 2, now: 20 },
      { type: 'idle' },
      { type: 'prompt', ticket: 'A1', now: 30 },
      { type: 'press', level: 1, now: 40 },
    ])
    expect(sent.map((s) => s.ticket)).toEqual(['A1', null, null])
    expect(state.rated).toEqual(['A1'])
  })

  it('binds the ticket at the press, so a ticket called during the reasons goes to the next citizen', () => {
    const { sent } = run([
      { type: 'prompt', ticket: 'A1', now: 0 },
      { type: 'press', level: 4, now: 1 },
      { type: 'prompt', ticket: 'A2', now: 2 },
      { type: 'send' },
      { type: 'idle' },
      { type: 'press', level: 1, now: 3 },
    ])
    expect(sent.map((s) => s.ticket)).toEqual(['A1', 'A2'])
  })

  it('drops an invitation older than its time to live', () => {
    const { state, sent } = run([
      { type: 'prompt', ticket: 'A1', now: 0 },
      { type: 'press', level: 1, now: ctx.promptTtlMs + 1 },
    ])
    expect(sent[0]?.ticket).toBeNull()
    expect(promptedTicket(run([{ type: 'prompt', ticket: 'A9', now: 0 }]).state, 5, ctx.promptTtlMs)).toBe('A9')
    expect(promptedTicket(state, ctx.promptTtlMs + 2, ctx.promptTtlMs)).toBeNull()
  })
})
