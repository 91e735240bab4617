/**
 * Seeded generators of device payloads for fuzz tests: random bytes, random
 * JSON, and near-valid ratings with exactly one field broken. Each case says
 * whether it must be accepted, so a test can check every one.
 */
import { seededRandom, type Random as Rng } from '../../common/random.js'

/** Reproducible from the seed a failing test prints. */
export const rng = seededRandom

const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T
const int = (r: Rng, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1))

export interface FuzzCase {
  family: 'bytes' | 'json' | 'broken-rating' | 'valid-rating'
  payload: Buffer
  valid: boolean
  eventId?: string
}

export interface RatingShape {
  scale: 3 | 4 | 5
  reasons: readonly string[]
}

let counter = 0
export const freshEventId = (r: Rng) => `fz${(counter++).toString(36)}-${Math.floor(r() * 1e9).toString(36)}`.padEnd(8, 'x')

export function validRating(r: Rng, shape: RatingShape): Record<string, unknown> {
  const m: Record<string, unknown> = { v: 1, id: freshEventId(r), ts: 1_763_700_000_000 + int(r, 0, 1e9), scale: shape.scale, level: int(r, 1, shape.scale) }
  if (r() < 0.3) m.reasons = shape.reasons.slice(0, int(r, 1, shape.reasons.length))
  if (r() < 0.3) m.ticket = `A${int(r, 1, 999)}`
  return m
}

function randomJson(r: Rng, depth = 0): unknown {
  const k = depth > 2 ? int(r, 0, 3) : int(r, 0, 6)
  switch (k) {
    case 0: return null
    case 1: return r() < 0.5
    case 2: return pick(r, [0, -1, 1, 3, 4.5, 1e308, -0, 2 ** 53, int(r, -1e6, 1e6)])
    // No string here is a valid event id, so random JSON can never be a valid rating.
    case 3: return pick(r, ['', 'v', 'id', '💥', `${'a'.repeat(int(r, 0, 80))}!`, '\u0000', 'rating'])
    case 4: return Array.from({ length: int(r, 0, 4) }, () => randomJson(r, depth + 1))
    default: {
      const o: Record<string, unknown> = {}
      const keys = ['v', 'id', 'ts', 'scale', 'level', 'reasons', 'ticket', 'x', '__proto__', 'constructor']
      for (let i = int(r, 0, 6); i > 0; i--) o[pick(r, keys)] = randomJson(r, depth + 1)
      return o
    }
  }
}

/** One field broken so that the message must be refused (with the schema's or the site's rules). */
const BREAKS: ((m: Record<string, unknown>, r: Rng, shape: RatingShape) => void)[] = [
  (m, r) => { m.v = pick(r, [2, 0, '1', null]) },
  (m, r) => { m.id = pick(r, ['short', 'has space!', 'x'.repeat(65), 12345678, '']) },
  (m, r) => { m.ts = pick(r, [-1, 1.5, '2026', null, 9e15]) },
  (m, r) => { m.scale = pick(r, [2, 6, '4', null, 4.5]) },
  (m, r, s) => { m.scale = pick(r, [3, 4, 5].filter((x) => x !== s.scale)); m.level = 1 },
  (m, r, s) => { m.level = pick(r, [0, s.scale + 1, 1.5, '1', null, -3]) },
  (m, r) => { m.reasons = pick(r, ['wait', [''], ['NOT-AN-ID'], ['unknown-reason'], Array(9).fill('wait'), [1]]) },
  (m, r) => { m.ticket = pick(r, ['', 'A 12', 'x'.repeat(17), 42, null]) },
  (m, r) => { m[pick(r, ['extra', 'Level', 'officer'])] = 1 },
  (m, r) => { delete m[pick(r, ['v', 'id', 'ts', 'scale', 'level'])] },
]

export function fuzzCase(r: Rng, shape: RatingShape): FuzzCase {
  const roll = r()
  if (roll < 0.2) {
    const bytes = Buffer.alloc(int(r, 0, 300))
    for (let i = 0; i < bytes.length; i++) bytes[i] = int(r, 0, 255)
    // A random byte string that happens to be valid JSON is still never a valid rating (no id etc.).
    return { family: 'bytes', payload: bytes, valid: false }
  }
  if (roll < 0.45) return { family: 'json', payload: Buffer.from(JSON.stringify(randomJson(r)) ?? 'undefined'), valid: false }
  const m = validRating(r, shape)
  const eventId = m.id as string
  if (roll < 0.75) {
    pick(r, BREAKS)(m, r, shape)
    return { family: 'broken-rating', payload: Buffer.from(JSON.stringify(m)), valid: false, eventId }
  }
  return { family: 'valid-rating', payload: Buffer.from(JSON.stringify(m)), valid: true, eventId }
}
