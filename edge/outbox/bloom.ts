/**
 * A Bloom filter over dedup keys, so a new event (nearly every event) is
 * known not to be a resend without reading the disk. "Maybe" answers are
 * checked against LevelDB; a false positive costs one read, never a wrong
 * verdict. 2^23 bits (1 MiB) and 7 hashes keep false positives near 1e-6 at
 * 200,000 keys, a month of a busy site's ratings.
 */
export class BloomFilter {
  private readonly bits: Uint8Array
  private readonly mask: number

  constructor(readonly log2Bits = 23, readonly hashes = 7) {
    this.bits = new Uint8Array(1 << (log2Bits - 3))
    this.mask = (1 << log2Bits) - 1
  }

  add(key: string): void {
    const [h1, h2] = hashPair(key)
    for (let i = 0; i < this.hashes; i++) {
      const bit = (h1 + i * h2) & this.mask
      this.bits[bit >>> 3]! |= 1 << (bit & 7)
    }
  }

  mightContain(key: string): boolean {
    const [h1, h2] = hashPair(key)
    for (let i = 0; i < this.hashes; i++) {
      const bit = (h1 + i * h2) & this.mask
      if ((this.bits[bit >>> 3]! & (1 << (bit & 7))) === 0) return false
    }
    return true
  }
}

/** Two independent 32-bit FNV-1a variants (different offset bases); double hashing derives the rest. */
function hashPair(key: string): [number, number] {
  let a = 0x811c9dc5
  let b = 0x01000193 ^ 0x5bd1e995
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i)
    a = Math.imul(a ^ c, 0x01000193)
    b = Math.imul(b ^ c, 0x5bd1e995)
    b ^= b >>> 15
  }
  // An odd step visits distinct bits for every i.
  return [a >>> 0, (b | 1) >>> 0]
}
