/**
 * What the KPI maths reads: ratings and ticket events as stored, plus where
 * their site sits in the province (records carry no site; the batch does,
 * and branch/province come from the hub's site directory).
 */
import type { MisuseKind, RatingRecord } from '../../protocol/records.js'
import type { ScaleSize } from '../../protocol/scales.js'
import type { TicketMessage } from '../../protocol/messages.js'

/** Where a site sits: `branch` is null for the province's main Center or a site outside any branch. */
export interface SitePlacement {
  province: string
  branch: string | null
}

interface Located {
  /** Point time, ms since epoch. */
  t: number
  province: string
  branch: string | null
  site: string
  department: string
  counter: string
}

export interface RatingFact extends Located {
  officer: string | null
  scale: ScaleSize
  level: number
  /** Normalised 0–100 score as stored (protocol/scales.ts). */
  score: number
  dissatisfied: boolean
  misuse: MisuseKind | null
  ticket: string | null
}

export interface TicketFact extends Located {
  ticket: string
  event: TicketMessage['event']
}

type TicketRecordFields = Pick<TicketFact, 't' | 'department' | 'counter' | 'ticket' | 'event'>

export function ratingFact(site: string, place: SitePlacement, r: RatingRecord): RatingFact {
  return {
    t: r.t,
    province: place.province,
    branch: place.branch,
    site,
    department: r.department,
    counter: r.counter,
    officer: r.officer,
    scale: r.scale,
    level: r.level,
    score: r.score,
    dissatisfied: r.dissatisfied,
    misuse: r.misuse,
    ticket: r.ticket,
  }
}

export function ticketFact(site: string, place: SitePlacement, r: TicketRecordFields): TicketFact {
  return {
    t: r.t,
    province: place.province,
    branch: place.branch,
    site,
    department: r.department,
    counter: r.counter,
    ticket: r.ticket,
    event: r.event,
  }
}
