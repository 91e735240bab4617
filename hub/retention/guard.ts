/**
 * Points older than their class's retention are not written (docs/retention.md,
 * "Late data"). An edge back after a very long outage, or one whose clock was
 * never set (`unsynced` records keep their wall-clock time), may send points
 * for days the sweep already emptied. Written, a rating or ticket event would
 * mark its site-day stale, and the rollup would recount that day from the one
 * late point and overwrite the counts it kept; the sweep would delete the
 * point the next night anyway. So the edge gets its 200 and the point goes
 * nowhere, counted in the log.
 */
import type { Logger } from '../../common/log.js'
import type { RetentionConfig } from '../config/retention.js'
import type { Point } from '../influx/line-protocol.js'
import type { PointWriter } from '../influx/writer.js'
import { cutoffFor } from './policy.js'

/** The points still within their class's retention at nowMs (a measurement no class holds is always kept). */
export function withinRetention(points: readonly Point[], config: RetentionConfig, nowMs: number): Point[] {
  // Nanoseconds as decimal strings without leading zeros: the longer is later, else the later sorts after.
  const cutoffNs = new Map<string, string | null>()
  return points.filter((p) => {
    let c = cutoffNs.get(p.measurement)
    if (c === undefined) {
      const ms = cutoffFor(config, p.measurement, nowMs)
      c = ms === null || ms <= 0 ? null : `${ms}000000`
      cutoffNs.set(p.measurement, c)
    }
    const t = p.timestampNs
    return c === null || t.length > c.length || (t.length === c.length && t >= c)
  })
}

/** `writer` with expired points left out; the other members as they are (a MarkingWriter stays one). */
export function retentionGuard<W extends PointWriter>(writer: W, config: RetentionConfig, log: Logger, now: () => number = Date.now): W {
  return {
    ...writer,
    async write(points: readonly Point[]) {
      const kept = withinRetention(points, config, now())
      if (kept.length < points.length) log.warn({ expired: points.length - kept.length, written: kept.length }, 'points past their retention not written')
      await writer.write(kept)
    },
  }
}
