/**
 * A PointWriter that keeps the rollup honest: after the raw points are
 * written it writes the `kpi_state` marks of the site-days they touch, and
 * only then resolves, so a batch the edge sees acknowledged is always either
 * counted by the rollup or marked stale (read from raw points by the KPI
 * queries meanwhile). Listeners (this hub's rollup worker) hear of the
 * changes at once; other hub instances find them by scanning the marks.
 * A write reaching before today also moves the rollup's epoch.
 */
import type { HubConfig } from '../config/schema.js'
import { openWriters } from '../influx/open.js'
import type { PointWriter, WriterOptions } from '../influx/writer.js'
import { nextEpochPoint, touchesPast } from './epoch.js'
import { changedSiteDays, markPoints, stamper, type SiteDays } from './marks.js'

export interface MarkingWriter extends PointWriter {
  /** Writes into the rollup's retention policy (the same bucket on 2.x). */
  readonly rollup: PointWriter
  onChanged(listener: (changes: SiteDays) => void): void
}

export function createMarkingWriter(raw: PointWriter, rollup: PointWriter, now: () => number = Date.now): MarkingWriter {
  const listeners: ((changes: SiteDays) => void)[] = []
  const stamp = stamper(now)
  return {
    rollup,
    onChanged: (listener) => void listeners.push(listener),
    async write(points) {
      await raw.write(points)
      const changes = changedSiteDays(points)
      if (changes.size === 0) return
      // A day before today moves the rollup's epoch, in the same write as its marks (hub/rollup/epoch.ts).
      const marks = markPoints(changes, stamp())
      await rollup.write(touchesPast(changes, Date.now()) ? [...marks, nextEpochPoint()] : marks)
      for (const l of listeners) l(changes)
    },
    ping: () => raw.ping(),
    async close() {
      await raw.close()
      if (rollup !== raw) await rollup.close()
    },
  }
}

/** The hub's writer: raw points into the configured database, then the rollup's marks. */
export function createWriter(config: HubConfig['influx'], opts: WriterOptions): MarkingWriter {
  const { raw, rollup } = openWriters(config, opts)
  return createMarkingWriter(raw, rollup)
}
