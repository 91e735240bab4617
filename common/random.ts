/** Uniform in [0, 1), like Math.random. */
export type Random = () => number

/**
 * mulberry32: small, fast and reproducible from a seed, so simulations, demo
 * data and fuzz runs can be replayed from the seed they print.
 */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
