/** Hand-written facts for the KPI tests; times are given in Vietnam local time. */
import type { MisuseKind } from '../../../protocol/records.js'
import { isDissatisfied, normalisedScore, type ScaleSize } from '../../../protocol/scales.js'
import type { RatingFact, TicketFact } from '../../../hub/kpi/facts.js'

/** "2026-11-21T08:00" in Asia/Ho_Chi_Minh → epoch ms. */
export const vn = (local: string): number => {
  const t = Date.parse(`${local.length === 16 ? `${local}:00` : local}+07:00`)
  if (Number.isNaN(t)) throw new Error(`bad fixture time ${local}`)
  return t
}

export const MIN = 60_000

interface RatingOpts {
  site?: string
  branch?: string | null
  province?: string
  department?: string
  counter?: string
  officer?: string | null
  scale?: ScaleSize
  misuse?: MisuseKind | null
  ticket?: string | null
}

export function rating(local: string | number, level: number, o: RatingOpts = {}): RatingFact {
  const scale = o.scale ?? 4
  return {
    t: typeof local === 'number' ? local : vn(local),
    province: o.province ?? 'can-tho',
    branch: o.branch === undefined ? null : o.branch,
    site: o.site ?? 'ct-center',
    department: o.department ?? 'so-tu-phap',
    counter: o.counter ?? 'q01',
    officer: o.officer === undefined ? 'cb-001' : o.officer,
    scale,
    level,
    score: normalisedScore(scale, level),
    dissatisfied: isDissatisfied(scale, level),
    misuse: o.misuse ?? null,
    ticket: o.ticket ?? null,
  }
}

export function ticket(
  local: string,
  number: string,
  event: TicketFact['event'],
  o: { site?: string; counter?: string; department?: string; branch?: string | null } = {},
): TicketFact {
  return {
    t: vn(local),
    province: 'can-tho',
    branch: o.branch === undefined ? null : o.branch,
    site: o.site ?? 'ct-center',
    department: o.department ?? 'so-tu-phap',
    counter: o.counter ?? 'q01',
    ticket: number,
    event,
  }
}
