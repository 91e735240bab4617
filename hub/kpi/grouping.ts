/**
 * Grouping keys. Counter ids are unique only within a site ("q01" exists at
 * every site), so grouping by counter always groups by site as well.
 * Department and officer ids are province-wide, so grouping by department
 * alone compares one agency across all sites.
 */
import { bucketer, type PeriodBucket, type PeriodSpec } from './time.js'

export const DIMENSIONS = ['province', 'branch', 'site', 'department', 'counter', 'officer'] as const
export type Dimension = (typeof DIMENSIONS)[number]

/** A group's identity: one value per dimension grouped on; null where the fact has none (no officer signed in, site in no branch). */
export type GroupKey = Partial<Record<Dimension, string | null>>

/** Dimensions in canonical order, with site added when counter is asked for. */
export function normaliseDimensions(groupBy: readonly Dimension[]): Dimension[] {
  const wanted = new Set(groupBy)
  if (wanted.has('counter')) wanted.add('site')
  return DIMENSIONS.filter((d) => wanted.has(d))
}

function groupKeyOf(fact: GroupKey, dims: readonly Dimension[]): GroupKey {
  const key: GroupKey = {}
  for (const d of dims) key[d] = fact[d] ?? null
  return key
}

/** One string per key, for maps; ids cannot contain "\u0000" or "\u0001" (protocol/ids.ts). */
function keyString(key: GroupKey, dims: readonly Dimension[]): string {
  return dims.map((d) => key[d] ?? '\u0001').join('\u0000')
}

export interface Group<T> {
  key: GroupKey
  period: PeriodBucket
  items: T[]
}

/** Splits items into (period, key) groups; items outside a live window are left out. */
export function groupByKeyAndPeriod<T extends GroupKey>(
  items: readonly T[],
  timeOf: (item: T) => number,
  dims: readonly Dimension[],
  period: PeriodSpec,
  into: Map<string, Group<T>> = new Map(),
): Map<string, Group<T>> {
  const bucketOf = bucketer(period)
  for (const item of items) {
    const bucket = bucketOf(timeOf(item))
    if (!bucket) continue
    const id = groupId(bucket, item, dims)
    const g = into.get(id)
    if (g) g.items.push(item)
    else into.set(id, { key: groupKeyOf(item, dims), period: bucket, items: [item] })
  }
  return into
}

/** A group's map key, from the group key or straight from a fact (no key object per fact). */
function groupId(bucket: PeriodBucket, key: GroupKey, dims: readonly Dimension[]): string {
  return `${bucket.label}\u0002${keyString(key, dims)}`
}

/** Results in period order, then by key values (missing values last), so output is stable for tests and CSV. */
export function byPeriodThenKey(dims: readonly Dimension[]) {
  return (a: { key: GroupKey; period: PeriodBucket }, b: { key: GroupKey; period: PeriodBucket }): number => {
    if (a.period.start !== b.period.start) return a.period.start - b.period.start
    for (const d of dims) {
      const [x, y] = [a.key[d] ?? null, b.key[d] ?? null]
      if (x === y) continue
      if (x === null) return 1
      if (y === null) return -1
      return x < y ? -1 : 1
    }
    return 0
  }
}
