/**
 * Rating scales. Level 1 is always the most satisfied; level N the least.
 * The normalised score maps level 1 → 100 and level N → 0 linearly, so a
 * 4-level scale gives 100 / 66.7 / 33.3 / 0 (issue 2).
 */
export type ScaleSize = 3 | 4 | 5
export const SCALE_SIZES: readonly ScaleSize[] = [3, 4, 5]
export const DEFAULT_SCALE: ScaleSize = 4

export interface LevelLabel {
  readonly vi: string
  readonly en: string
  /** Counted as "dissatisfied" for KPIs and Decision 766's satisfaction rate. */
  readonly dissatisfied: boolean
}

const L = (vi: string, en: string, dissatisfied = false): LevelLabel => ({ vi, en, dissatisfied })

export const SCALES: Readonly<Record<ScaleSize, readonly LevelLabel[]>> = {
  3: [L('Hài lòng', 'Satisfied'), L('Bình thường', 'Neutral'), L('Không hài lòng', 'Dissatisfied', true)],
  4: [
    L('Rất hài lòng', 'Very satisfied'),
    L('Hài lòng', 'Satisfied'),
    L('Bình thường', 'Neutral'),
    L('Không hài lòng', 'Dissatisfied', true),
  ],
  5: [
    L('Rất hài lòng', 'Very satisfied'),
    L('Hài lòng', 'Satisfied'),
    L('Bình thường', 'Neutral'),
    L('Không hài lòng', 'Dissatisfied', true),
    L('Rất không hài lòng', 'Very dissatisfied', true),
  ],
}

export function isValidLevel(scale: ScaleSize, level: number): boolean {
  return Number.isInteger(level) && level >= 1 && level <= scale
}

/** Normalised 0–100 score, rounded to one decimal so the stored value is exact and stable across replays. */
export function normalisedScore(scale: ScaleSize, level: number): number {
  if (!isValidLevel(scale, level)) throw new RangeError(`level ${level} is not on a ${scale}-level scale`)
  return Math.round(((scale - level) / (scale - 1)) * 1000) / 10
}

export function isDissatisfied(scale: ScaleSize, level: number): boolean {
  return SCALES[scale][level - 1]?.dissatisfied ?? false
}
