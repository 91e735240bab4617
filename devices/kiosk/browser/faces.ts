/**
 * Colours and faces for the rating buttons, drawn inline (no external
 * assets: the kiosk must render from the edge alone). Colour and face both
 * carry the level, so colour-blind citizens and those who cannot read can
 * still tell the buttons apart.
 */
import type { ScaleSize } from '../../../protocol/scales.js'

export interface LevelLook {
  /** Button background. */
  bg: string
  /** Text colour; each pair has a contrast ratio of at least 4.5:1. */
  fg: string
  /** Mouth curvature, from a broad smile (+) to a frown (−). */
  smile: number
}

const VERY_GOOD = { bg: '#1b5e20', fg: '#ffffff' }
const GOOD = { bg: '#2e7d32', fg: '#ffffff' }
const NEUTRAL = { bg: '#f9a825', fg: '#1a1a1a' }
const BAD = { bg: '#c62828', fg: '#ffffff' }
const VERY_BAD = { bg: '#8e0000', fg: '#ffffff' }

const PALETTES: Record<ScaleSize, { bg: string; fg: string }[]> = {
  3: [GOOD, NEUTRAL, BAD],
  4: [VERY_GOOD, GOOD, NEUTRAL, BAD],
  5: [VERY_GOOD, GOOD, NEUTRAL, BAD, VERY_BAD],
}

export function levelLook(scale: ScaleSize, level: number): LevelLook {
  const colours = PALETTES[scale][level - 1] ?? NEUTRAL
  const f = scale > 1 ? (level - 1) / (scale - 1) : 0
  return { ...colours, smile: Math.round(20 - 36 * f) }
}

/** A round face; `smile` bends the mouth. Returned as markup because it is static and has no user input. */
export function faceSvg(smile: number, fg: string): string {
  const mouthY = smile >= 0 ? 64 : 72
  // Worried brows (inner ends raised): sad, not angry, since the citizen is judging the service, not being scolded.
  const brows =
    smile < -10 ? `<path d="M26 32 L40 26 M74 32 L60 26" stroke="${fg}" stroke-width="5" stroke-linecap="round"/>` : ''
  return (
    `<svg viewBox="0 0 100 100" aria-hidden="true" focusable="false">` +
    `<circle cx="50" cy="50" r="44" fill="none" stroke="${fg}" stroke-width="6"/>` +
    `<circle cx="35" cy="42" r="6" fill="${fg}"/><circle cx="65" cy="42" r="6" fill="${fg}"/>` +
    brows +
    `<path d="M30 ${mouthY} Q50 ${mouthY + smile} 70 ${mouthY}" fill="none" stroke="${fg}" stroke-width="6" stroke-linecap="round"/>` +
    `</svg>`
  )
}
