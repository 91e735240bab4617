/**
 * The satisfaction component of Decision 766/QĐ-TTg (23 June 2022: the
 * real-time index set for directing, operating and assessing service quality
 * to citizens and businesses in administrative procedures), as the province
 * will be judged on it. Our reading, from issue 5 and docs/kpi.md:
 *
 *   rate   = rated dossiers not dissatisfied ÷ rated dossiers
 *   points = 6                  when rate ≥ 90 %
 *          = rate × 6 ÷ 90 %    otherwise
 *
 * This file is the only place the formula lives.
 */
import type { RatingFact } from './facts.js'
import { localDay } from './time.js'

export const DECISION_766 = {
  maxPoints: 6,
  /** Rate at and above which the full points are given, as the fraction tenths/10 (kept integral for exact comparison). */
  fullRateTenths: 9,
} as const

export interface Satisfaction766 {
  rated: number
  notDissatisfied: number
  /** Null when no dossier was rated: there is nothing to judge, which is not a rate of 0. */
  rate: number | null
  points: number | null
}

export function satisfaction766(rated: number, dissatisfied: number): Satisfaction766 {
  if (!Number.isInteger(rated) || !Number.isInteger(dissatisfied) || rated < 0 || dissatisfied < 0 || dissatisfied > rated) {
    throw new RangeError(`need integers 0 ≤ dissatisfied ≤ rated, got ${dissatisfied} of ${rated}`)
  }
  const ok = rated - dissatisfied
  if (rated === 0) return { rated, notDissatisfied: 0, rate: null, points: null }
  const { maxPoints, fullRateTenths } = DECISION_766
  // Compared in integers, so the 90 % boundary never depends on floating-point rounding.
  const full = ok * 10 >= rated * fullRateTenths
  return {
    rated,
    notDissatisfied: ok,
    rate: ok / rated,
    points: full ? maxPoints : (ok * maxPoints * 10) / (rated * fullRateTenths),
  }
}

/**
 * Counts rated dossiers in a set of ratings. A dossier is a queue ticket:
 * several presses for the same ticket at the same site on the same local day
 * are one dossier, judged by its latest press (the citizen's final word).
 * Presses without a ticket number count one dossier each. Misuse-flagged
 * presses are not a citizen's judgement and are left out.
 */
export function ratedDossiers(ratings: readonly RatingFact[]): { rated: number; dissatisfied: number } {
  const latest = new Map<string, RatingFact>()
  let rated = 0
  let dissatisfied = 0
  for (const r of ratings) {
    if (r.misuse !== null) continue
    if (r.ticket === null) {
      rated++
      if (r.dissatisfied) dissatisfied++
      continue
    }
    const id = `${r.site}\u0000${localDay(r.t)}\u0000${r.ticket}`
    const prev = latest.get(id)
    if (!prev || r.t >= prev.t) latest.set(id, r)
  }
  for (const r of latest.values()) {
    rated++
    if (r.dissatisfied) dissatisfied++
  }
  return { rated, dissatisfied }
}

/** The 766 satisfaction component of a set of ratings (one department, site or the province, over a period). */
export function satisfaction766OfRatings(ratings: readonly RatingFact[]): Satisfaction766 {
  const { rated, dissatisfied } = ratedDossiers(ratings)
  return satisfaction766(rated, dissatisfied)
}
