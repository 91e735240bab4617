/**
 * The daily KPI rollup (pure). One site's local day of ratings and ticket
 * events becomes "cells": counted presses per (department, counter, officer)
 * by scale, level and misuse kind, plus the queue visits served there, using
 * hub/kpi's own pairing, so the rollup and the pure KPI functions cannot
 * disagree. Cells are stored at three grains (cubes) so a question is
 * answered from the fewest InfluxDB series that still carry its tags:
 * InfluxDB 1.x pays per series and field on every query, not per point.
 * docs/kpi.md ("Daily rollup") describes the same layout.
 */
import { MISUSE_KINDS, type MisuseKind } from '../../protocol/records.js'
import { SCALE_SIZES, type ScaleSize } from '../../protocol/scales.js'
import type { Point } from '../influx/line-protocol.js'
import { NO_OFFICER, misuseField, pressField } from '../influx/schema.js'
import type { RatingFact, TicketFact } from '../kpi/facts.js'
import { pairTickets } from '../kpi/queue.js'
import type { LevelTally } from '../kpi/ratings.js'

/**
 * `province` has no site tag: each site's point sits at its own nanosecond
 * inside the day (siteOffsetNs), so a whole-province question reads one
 * series per department instead of one per site and department.
 */
export const CUBES = {
  province: { measurement: 'kpi_province', tags: ['department'] },
  site: { measurement: 'kpi_site', tags: ['site'] },
  department: { measurement: 'kpi_department', tags: ['site', 'department'] },
  counter: { measurement: 'kpi_counter', tags: ['site', 'department', 'counter', 'officer'] },
} as const satisfies Record<string, { measurement: string; tags: readonly CellTag[] }>

export type CubeName = keyof typeof CUBES
export type CellTag = 'site' | 'department' | 'counter' | 'officer'

const DAY_NS = 86_400_000_000_000n

/**
 * A site's nanosecond inside a day in the province cube: FNV-1a (64 bit) of
 * its id, modulo a day. Two of 600 sites share one with probability ~2e-9
 * (they would overwrite each other's point); a day keeps GROUP BY time(1d)
 * buckets right.
 */
export function siteOffsetNs(site: string): bigint {
  let h = 0xcbf29ce484222325n
  for (const byte of Buffer.from(site, 'utf8')) h = ((h ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn
  return h % DAY_NS
}

/** Which site-days have data newer than their rollup: `changed` is set by every write, `rolled` by the rollup. */
export const STATE_MEASUREMENT = 'kpi_state'

/** A count per field (hub/influx/schema.ts): `n4_2` = presses at level 2 of a 4-level scale, misuse included; `m4_2_rapid` = those flagged rapid; `served` = visits served. */
export type CellFields = Record<string, number>

export interface Cell {
  /** Tag values of the cell's cube; officer is NO_OFFICER when nobody was signed in. */
  tags: Partial<Record<CellTag, string>>
  fields: CellFields
}

const FIELD = /^(?:sum_)?(?:n(\d)_(\d)|m(\d)_(\d)_([a-z]+)|(served))$/

/** The rollup cells of one site's local day, at the counter grain. */
/** What a rating contributes to a cell; rows read for the rollup carry only these. */
export type CellRating = Pick<RatingFact, 'department' | 'counter' | 'officer' | 'scale' | 'level' | 'misuse'>

export function siteDayCells(ratings: readonly CellRating[], tickets: readonly TicketFact[]): Cell[] {
  const cells = new Map<string, Cell>()
  const cellOf = (department: string, counter: string, officer: string | null): Cell => {
    const o = officer ?? NO_OFFICER
    const id = `${department}\u0000${counter}\u0000${o}`
    let c = cells.get(id)
    if (!c) cells.set(id, (c = { tags: { department, counter, officer: o }, fields: {} }))
    return c
  }
  const add = (c: Cell, field: string, n: number) => (c.fields[field] = (c.fields[field] ?? 0) + n)
  for (const r of ratings) {
    const c = cellOf(r.department, r.counter, r.officer)
    add(c, pressField(r.scale, r.level), 1)
    if (r.misuse) add(c, misuseField(r.scale, r.level, r.misuse), 1)
  }
  // Ticket events do not name the officer: a visit is served at its counter, officer unknown.
  for (const v of pairTickets(tickets)) {
    if (v.finishedAt !== null && v.serviceStartAt !== null) add(cellOf(v.department, v.counter, null), 'served', 1)
  }
  return [...cells.values()]
}

/** Cells summed up to a coarser cube's tags. */
export function coarsen(cells: readonly Cell[], cube: CubeName): Cell[] {
  const tags = CUBES[cube].tags as readonly CellTag[]
  const out = new Map<string, Cell>()
  for (const c of cells) {
    const id = tags.map((t) => c.tags[t] ?? '').join('\u0000')
    let o = out.get(id)
    if (!o) out.set(id, (o = { tags: Object.fromEntries(tags.map((t) => [t, c.tags[t]!])), fields: {} }))
    for (const f in c.fields) o.fields[f] = (o.fields[f] ?? 0) + c.fields[f]!
  }
  return [...out.values()]
}

/**
 * The points that make one site-day's rollup current. `previous` are the
 * cells written last time (from `kpi_state.cells`): any field they had that
 * the new cells lack is written as 0, because a later write only overwrites
 * the fields it names (a visit called again at another counter moves its
 * "served").
 */
export function rollupPoints(site: string, dayStart: number, cells: readonly Cell[], previous: readonly Cell[] = []): Point[] {
  const points: Point[] = []
  for (const cube of Object.keys(CUBES) as CubeName[]) {
    const { measurement, tags } = CUBES[cube]
    const timestampNs = String(BigInt(dayStart) * 1_000_000n + (cube === 'province' ? siteOffsetNs(site) : 0n))
    const id = (c: Cell) => tags.map((t) => c.tags[t] ?? '').join('\u0000')
    const fresh = new Map(coarsen(cells, cube).map((c) => [id(c), c]))
    const stale = new Map<string, Cell>()
    for (const old of coarsen(previous, cube)) {
      const now = fresh.get(id(old))
      const zeros: CellFields = {}
      for (const f in old.fields) if (now?.fields[f] === undefined) zeros[f] = 0
      if (!Object.keys(zeros).length) continue
      if (now) Object.assign(now.fields, zeros)
      else stale.set(id(old), { tags: old.tags, fields: zeros })
    }
    for (const c of [...fresh.values(), ...stale.values()]) {
      const pointTags: Record<string, string> = {}
      for (const t of [...tags].sort()) pointTags[t] = t === 'site' ? site : c.tags[t]!
      points.push({ measurement, tags: pointTags, fields: { ...c.fields }, timestampNs })
    }
  }
  return points
}

/** Cells as kept in `kpi_state.cells`: what the cubes hold for the site-day, so a query can take it back out. */
export function encodeCells(cells: readonly Cell[]): string {
  return JSON.stringify(cells.map((c) => [c.tags.department, c.tags.counter, c.tags.officer, c.fields]))
}

export function decodeCells(text: unknown): Cell[] {
  if (typeof text !== 'string' || text === '') return []
  return (JSON.parse(text) as [string, string, string, CellFields][]).map(([department, counter, officer, fields]) => ({ tags: { department, counter, officer }, fields }))
}

/** InfluxDB 1.x refuses string fields over 64 KB; a site-day with more cells stays stale and is read from raw points. */
export const MAX_CELLS_TEXT = 60_000

/** A cube row (`SELECT sum(*)` or `SELECT *`) back into tallies and served visits; absent and zero columns are skipped. */
export function talliesOfRow(columns: readonly string[], row: readonly unknown[]): { tallies: LevelTally[]; served: number; fields: CellFields } {
  const presses = new Map<string, number>()
  const misuse = new Map<string, Map<MisuseKind, number>>()
  const fields: CellFields = {}
  let served = 0
  columns.forEach((col, i) => {
    const value = row[i]
    if (typeof value !== 'number') return
    const m = FIELD.exec(col)
    if (!m) return
    fields[col.replace(/^sum_/, '')] = value
    if (value === 0) return
    if (m[6]) served += value
    else if (m[1]) presses.set(`${m[1]}_${m[2]}`, (presses.get(`${m[1]}_${m[2]}`) ?? 0) + value)
    else {
      const kind = m[5] as MisuseKind
      if (!MISUSE_KINDS.includes(kind)) return
      const key = `${m[3]}_${m[4]}`
      const byKind = misuse.get(key) ?? new Map<MisuseKind, number>()
      byKind.set(kind, (byKind.get(kind) ?? 0) + value)
      misuse.set(key, byKind)
    }
  })
  const tallies: LevelTally[] = []
  for (const [key, all] of presses) {
    const [scale, level] = key.split('_').map(Number) as [ScaleSize, number]
    if (!SCALE_SIZES.includes(scale)) continue
    let genuine = all
    for (const [kind, count] of misuse.get(key) ?? []) {
      genuine -= count
      tallies.push({ scale, level, misuse: kind, count })
    }
    if (genuine > 0) tallies.push({ scale, level, misuse: null, count: genuine })
  }
  return { tallies, served, fields }
}

/** The smallest cube whose tags cover every tag a question groups or filters on. */
export function cubeFor(tags: Iterable<CellTag>): CubeName {
  const needed = new Set(tags)
  for (const cube of ['province', 'site', 'department', 'counter'] as const) {
    const have = new Set<CellTag>(CUBES[cube].tags)
    if ([...needed].every((t) => have.has(t))) return cube
  }
  return 'counter'
}
