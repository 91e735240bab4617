/**
 * Reads the machine-readable clock the simulator burns into every frame
 * (see rtsp_server.py): at the bottom-left, a white guard cell, a black guard
 * cell, then 44 cells holding the capture time in ms since the Unix epoch,
 * most significant bit first. Cells are 12x16 px at 640x360; for other frame
 * sizes scale with the width the frame was displayed at.
 */

export const STRIP_BITS = 44
const CELL_W = 12
const CELL_H = 16
const STRIP_X = 8
const SOURCE_WIDTH = 640

export interface StripGeometry {
  /** Width and height of the encoded stream (default 640x360). */
  sourceWidth?: number
  sourceHeight?: number
}

/**
 * Decodes the capture time from a luma lookup `luma(x, y)` in the coordinates
 * of an image `width` x `height` (a scaled copy of the stream is fine).
 * Returns undefined when the guard cells are not where they should be.
 */
export function decodeClockStrip(
  luma: (x: number, y: number) => number, width: number, height: number, g: StripGeometry = {},
): number | undefined {
  const sw = g.sourceWidth ?? SOURCE_WIDTH
  const sh = g.sourceHeight ?? (sw * 9) / 16
  const sx = width / sw
  const sy = height / sh
  const yc = Math.round((sh - CELL_H - 8 + CELL_H / 2) * sy)
  const cell = (i: number) => luma(Math.round((STRIP_X + i * CELL_W + CELL_W / 2) * sx), yc)
  if (cell(0) < 160 || cell(1) > 96) return undefined
  let ms = 0
  for (let i = 0; i < STRIP_BITS; i++) ms = ms * 2 + (cell(2 + i) >= 128 ? 1 : 0)
  return ms
}

/** Convenience for a packed 8-bit grey frame (ffmpeg -pix_fmt gray). */
export function decodeClockStripGray(frame: Uint8Array, width: number, height: number, g: StripGeometry = {}): number | undefined {
  return decodeClockStrip((x, y) => frame[y * width + x] ?? 0, width, height, g)
}
