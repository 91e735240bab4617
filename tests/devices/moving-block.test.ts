import { describe, expect, it } from 'vitest'
import { blockCycle, blockFrame } from '../../devices/camera-sim/moving-block.js'

/** One middle row as the simulator draws it: 75% bars (white 180 on the left), the block at luma 235. */
function row(frame: number | null, width = 640): Uint8Array {
  const bars = [180, 162, 131, 112, 84, 65, 35, 16]
  const r = Uint8Array.from({ length: width }, (_, x) => bars[Math.floor((x * 8) / width)]!)
  if (frame !== null) r.fill(235, (frame * 8) % (width - 48), ((frame * 8) % (width - 48)) + 48)
  return r
}

describe('the moving block', () => {
  it('reads the frame number modulo its cycle wherever the block is, over the white bar or the black one', () => {
    expect(blockCycle(640)).toBe(74)
    for (const n of [0, 1, 5, 37, 73, 74, 75, 1000]) expect(blockFrame(row(n))).toBe(n % 74)
  })

  it('reads a block blurred by the encoder at its edges, and nothing where no block-wide bright run is', () => {
    const blurred = row(20)
    blurred[160] = 200
    blurred[207] = 215
    blurred[208] = 190
    expect(blockFrame(blurred)).toBe(20)
    expect(blockFrame(row(null))).toBeUndefined()
    const speck = row(null)
    speck.fill(235, 300, 310)
    expect(blockFrame(speck)).toBeUndefined()
  })
})
