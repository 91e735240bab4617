import { describe, expect, it } from 'vitest'
import { ratingRecord, ticketRecord } from '../../../protocol/records.js'
import { ratingFact, ticketFact } from '../../../hub/kpi/facts.js'
import { ratingKpis } from '../../../hub/kpi/ratings.js'

const place = { province: 'can-tho', branch: 'br-ninh-kieu' }

describe('facts from protocol records', () => {
  it('a rating record as the hub receives it becomes a fact placed in its site, branch and province', () => {
    const record = ratingRecord.parse({
      kind: 'rating', seq: 7, t: 1_763_700_000_000, clock: 'synced',
      department: 'so-tu-phap', counter: 'q03', device: 'kiosk-03', officer: null, eventId: 'evt-0000001',
      scale: 5, level: 4, score: 25, dissatisfied: true, reasons: ['cho-lau'], ticket: 'A017',
      deviceTs: 1_763_700_000_000, edgeTs: 1_763_700_000_100, misuse: null,
    })
    const fact = ratingFact('ct-ninh-kieu', place, record)
    expect(fact).toEqual({
      t: 1_763_700_000_000, province: 'can-tho', branch: 'br-ninh-kieu', site: 'ct-ninh-kieu',
      department: 'so-tu-phap', counter: 'q03', officer: null,
      scale: 5, level: 4, score: 25, dissatisfied: true, misuse: null, ticket: 'A017',
    })
    expect(ratingKpis([fact]).satisfactionIndex).toBe(25)
  })

  it('a ticket record becomes a ticket fact', () => {
    const record = ticketRecord.parse({
      kind: 'ticket', seq: 8, t: 1_763_700_000_000, clock: 'corrected',
      department: 'so-tu-phap', counter: 'q03', device: 'queue-01', eventId: 'evt-0000002',
      ticket: 'A017', event: 'called', deviceTs: 1_763_700_000_000, edgeTs: 1_763_700_000_050,
    })
    expect(ticketFact('ct-ninh-kieu', place, record)).toEqual({
      t: 1_763_700_000_000, province: 'can-tho', branch: 'br-ninh-kieu', site: 'ct-ninh-kieu',
      department: 'so-tu-phap', counter: 'q03', ticket: 'A017', event: 'called',
    })
  })
})
