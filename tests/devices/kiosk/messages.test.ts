import { describe, expect, it } from 'vitest'
import { heartbeatMessage, officerMessage, ratingMessage, statusMessage } from '../../../protocol/messages.js'
import { EVENT_ID_PATTERN } from '../../../protocol/patterns.js'
import { SCALES } from '../../../protocol/scales.js'
import { parseConfig, parseErrorReply, parsePromptTicket } from '../../../devices/kiosk/browser/downlink.js'
import { heartbeatPayload, newEventId, ratingPayload, signInPayload, signOutPayload, statusPayload } from '../../../devices/kiosk/browser/messages.js'

describe('kiosk payloads match the protocol schemas', () => {
  it('makes event ids of the protocol form, different every time', () => {
    const ids = new Set(Array.from({ length: 200 }, () => newEventId()))
    expect(ids.size).toBe(200)
    for (const id of ids) expect(id).toMatch(EVENT_ID_PATTERN)
    expect(newEventId((b) => b.fill(255))).toBe('_____________________w')
  })

  it('builds ratings, officer, status and heartbeat messages the edge accepts', () => {
    const id = newEventId()
    const ts = Date.UTC(2026, 0, 5)
    expect(ratingMessage.parse(ratingPayload(id, ts, { scale: 4, level: 2 }))).toEqual({ v: 1, id, ts, scale: 4, level: 2 })
    expect(ratingMessage.parse(ratingPayload(id, ts, { scale: 5, level: 5, reasons: ['wait'], ticket: 'A-12' }))).toMatchObject({
      reasons: ['wait'],
      ticket: 'A-12',
    })
    // Empty reasons and a null ticket are left out rather than sent empty.
    expect(ratingPayload(id, ts, { scale: 3, level: 3, reasons: [], ticket: null })).toEqual({ v: 1, id, ts, scale: 3, level: 3 })
    expect(officerMessage.safeParse(signInPayload(id, ts, 'tran-thi-binh', '2468')).success).toBe(true)
    expect(officerMessage.safeParse(signOutPayload(id, ts, '2468')).success).toBe(true)
    expect(statusMessage.parse(statusPayload(true, 'kiosk-1'))).toEqual({ v: 1, online: true, kind: 'kiosk', fw: 'kiosk-1' })
    expect(heartbeatMessage.parse(heartbeatPayload(ts, 12.7))).toEqual({ v: 1, ts, uptime: 12 })
  })
})

describe('kiosk downlink parsing', () => {
  const config = {
    v: 1,
    site: { id: 's', name: 'Trung tâm' },
    counter: { id: 'q01', name: 'Quầy 1' },
    department: { id: 'd', name: 'Sở' },
    scale: 4,
    labels: SCALES[4].map((l) => ({ vi: l.vi, en: l.en })),
    reasons: [{ id: 'wait', vi: 'Chờ lâu', en: 'Long wait' }, { id: 'bad' }],
    officer: { id: 'an', name: 'An', photo: '/photos/an.jpg' },
    officers: [{ id: 'an', name: 'An' }, { id: 7 }],
  }

  it('reads a config, dropping malformed reasons and officers', () => {
    const c = parseConfig(JSON.stringify(config))
    expect(c?.reasons).toEqual([{ id: 'wait', vi: 'Chờ lâu', en: 'Long wait' }])
    expect(c?.officer).toEqual({ id: 'an', name: 'An', photo: '/photos/an.jpg' })
    expect(c?.officers).toEqual([{ id: 'an', name: 'An' }])
  })

  it("replaces labels that do not fit the scale with the protocol's own", () => {
    const c = parseConfig(JSON.stringify({ ...config, scale: 5 }))
    expect(c?.labels.map((l) => l.vi)).toEqual(SCALES[5].map((l) => l.vi))
  })

  it('rejects what a kiosk cannot draw', () => {
    expect(parseConfig('not json')).toBeNull()
    expect(parseConfig(JSON.stringify({ ...config, v: 2 }))).toBeNull()
    expect(parseConfig(JSON.stringify({ ...config, scale: 7 }))).toBeNull()
    expect(parseConfig(JSON.stringify({ ...config, counter: null }))).toBeNull()
  })

  it('reads prompts and error replies', () => {
    expect(parsePromptTicket(JSON.stringify({ v: 1, ticket: 'A123', ts: 1 }))).toBe('A123')
    expect(parsePromptTicket(JSON.stringify({ v: 1, ticket: 'A 123', ts: 1 }))).toBeNull()
    expect(parsePromptTicket('{')).toBeNull()
    expect(parseErrorReply(JSON.stringify({ v: 1, code: 'EDGE_PIN_WRONG', message: 'x', topic: 't', id: 'abcdefgh' }))).toEqual({
      code: 'EDGE_PIN_WRONG',
      id: 'abcdefgh',
      message: 'x',
    })
    expect(parseErrorReply(JSON.stringify({ v: 1, code: 'EDGE_PAYLOAD_INVALID' }))).toEqual({ code: 'EDGE_PAYLOAD_INVALID', id: null, message: '' })
  })
})
