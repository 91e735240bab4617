/**
 * Reads the frame counter the simulator shows as a moving block (see
 * rtsp_server.py): a 48x48 white block across the middle of the picture,
 * 8 px further right in each frame, wrapping after (width - 48) px. Its
 * position tells a frame's number modulo the cycle, whatever the frame's
 * timestamp says, so a dropped or repeated frame is seen even when the
 * camera's clock stamps frames unevenly.
 */

const BLOCK = 48
const STEP = 8
/** Luma of the block (235) against the brightest bar behind it (180). */
const THRESHOLD = 208

/** Frames in one cycle of the block at this width (74 at 640). */
export const blockCycle = (width: number): number => (width - BLOCK) / STEP

/**
 * The frame number modulo `blockCycle(width)` read from one row of grey
 * pixels through the block (the picture's middle row), or undefined when no
 * block-wide bright run is there.
 */
export function blockFrame(row: Uint8Array): number | undefined {
  let start = -1
  for (let x = 0; x <= row.length; x++) {
    const bright = x < row.length && row[x]! >= THRESHOLD
    if (bright && start < 0) start = x
    if (!bright && start >= 0) {
      if (x - start >= BLOCK / 2) return Math.round((start + x - BLOCK) / 2 / STEP) % blockCycle(row.length)
      start = -1
    }
  }
  return undefined
}
