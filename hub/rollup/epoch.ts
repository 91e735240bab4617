/**
 * The rollup's epoch. A write that touches a day before today (a rating an
 * edge kept through an outage, the rollup's backfill) writes an epoch point
 * with its marks, before the write is acknowledged, and the rollup writes one
 * with the state of each past site-day it recounted (two hubs recounting one
 * site-day at once can leave old cubes looking current for a moment: the
 * state write that ends that moment moves the epoch too). A past day's
 * figures change only so (and by the retention sweep at the far end, which
 * hub/queries/past-answers.ts keeps clear of), so an answer about past days
 * read under one epoch holds until the epoch moves. Each hub process writes
 * its own series (`hub`: host and pid) with stamps that increase in it; the
 * epoch is the points' count and largest stamp, so every new point moves it,
 * whichever clock the hubs keep.
 */
import { hostname } from 'node:os'
import type { Point } from '../influx/line-protocol.js'
import type { InfluxQuery, Series } from '../queries/client.js'
import { localDayStart, stamper, type SiteDays } from './marks.js'

export const EPOCH_MEASUREMENT = 'kpi_epoch'

/** This process's series of epoch points. */
const WRITER = `${hostname()}:${process.pid}`

/** Whether a local day (its start) is before the one holding nowMs (wall clock: the readers' horizon is too). */
export const beforeToday = (day: number, nowMs: number): boolean => day < localDayStart(nowMs)

/** Whether a write's site-days reach before today. */
export const touchesPast = (changes: SiteDays, nowMs: number): boolean => [...changes.keys()].some((day) => beforeToday(day, nowMs))

// One stamper for the process, on the wall clock: the process's series must only grow, whichever writer writes.
const processStamp = stamper()

/** The next epoch point of this process: its stamp (hub/rollup/marks.ts: µs-like, increasing) is its time in ns, unique in the series. */
export function nextEpochPoint(): Point {
  const stamp = processStamp()
  return { measurement: EPOCH_MEASUREMENT, tags: { hub: WRITER }, fields: { stamp }, timestampNs: `${stamp}000` }
}

export const epochStatement = (db: Pick<InfluxQuery, 'rollup'>): string => `SELECT count("stamp"), max("stamp") FROM ${db.rollup}"${EPOCH_MEASUREMENT}"`

/** The epoch an answer to epochStatement names ("0:" before any point). */
export function epochOf(series: readonly Series[]): string {
  const row = series[0]?.values[0]
  return row ? `${String(row[1])}:${String(row[2])}` : '0:'
}
