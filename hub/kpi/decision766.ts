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
 * A rated dossier is one rating without a misuse flag: the counter serves
 * one dossier per queue ticket and asks once; a citizen pressing again at
 * once is flagged `rapid` by the edge. Counting presses keeps the figure
 * computable from counts in the database, the same way everywhere.
 *
 * This file is the only place the formula lives.
 */
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
