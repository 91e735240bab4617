/** The InfluxQL builders are pure: nothing from a request reaches a statement unchecked. */
import { describe, expect, it } from 'vitest'
import { alertSite } from '../../hub/alerts-store/store.js'
import { bucketOf } from '../../hub/kpi/time.js'
import { assertMs, localTimeGroup, quote, tagFilters, tagNotIn, timeRange } from '../../hub/queries/influxql.js'
import { MAX_BUCKETS, windowsFor } from '../../hub/queries/periods.js'
import { decodeCursor, encodeCursor, rawRatingsStatement, rfc3339ToNs } from '../../hub/queries/raw.js'
import { cubeParts, halvesOfDays, siteHalves, staleStatement } from '../../hub/queries/ratings.js'

describe('values that reach InfluxQL', () => {
  it('refuses anything but ids in tag filters', () => {
    for (const bad of ["a' OR 1=1", 'a/', 'A', 'a|b', 'a)$/ OR site =~ /.*', '', 'a'.repeat(33), "x'; DROP DATABASE motcua"]) {
      expect(() => tagFilters({ site: [bad] }), bad).toThrow(RangeError)
    }
    expect(() => tagFilters({ site: [] })).toThrow(RangeError)
    expect(tagFilters({ site: ['ct-center'], counter: ['q01', 'q02'] })).toEqual([`"site" = 'ct-center'`, `"counter" =~ /^(q01|q02)$/`])
  })

  it('accepts only integer ms times', () => {
    for (const bad of [NaN, 1.5, -1, Infinity, Number.MAX_SAFE_INTEGER + 2]) expect(() => assertMs(bad)).toThrow(RangeError)
    expect(timeRange(1000, 2000)).toBe('time >= 1000ms AND time < 2000ms')
  })

  it('escapes the quote and backslash in string literals', () => {
    expect(quote("it's \\ done")).toBe("'it\\'s \\\\ done'")
  })

  it('looks for stale rollup days in the rollup retention policy, within the range and sites asked', () => {
    const db = { rollup: '"motcua_rollup".' }
    expect(staleStatement(db, 0, 10, ['a', 'b'])).toBe(
      `SELECT "changed", "rolled" FROM "motcua_rollup"."kpi_state" WHERE time >= 0ms AND time < 10ms AND "site" =~ /^(a|b)$/ AND "changed" != "rolled" GROUP BY "site"`,
    )
    expect(() => staleStatement(db, 0, 10, ["a' OR 1=1"])).toThrow(RangeError)
  })

  it('splits a cube sum over many sites into two halves that together cover every site once', () => {
    const sites = Array.from({ length: 150 }, (_, i) => `s${i}`)
    expect(siteHalves(sites.slice(0, 99), true)).toEqual([''])
    const ids = (clause: string) => /\^\((.*)\)\$/.exec(clause)![1]!.split('|')
    const [a, b] = siteHalves(sites, false)
    expect([...ids(a!), ...ids(b!)].sort()).toEqual([...sites].sort())
    expect(new Set(ids(a!)).size + new Set(ids(b!)).size).toBe(150)
    // Without a site filter the second half is "every other site", so an unlisted site still counts.
    const [first, rest] = siteHalves(sites, true)
    expect(rest).toBe(first!.replace('=~', '!~'))
    expect(() => siteHalves(["x' OR 1=1", ...sites], true)).toThrow(RangeError)
  })

  it('leaves sites out by id only', () => {
    expect(tagNotIn('site', ['a'])).toBe(`"site" != 'a'`)
    expect(tagNotIn('site', ['a', 'b'])).toBe(`"site" !~ /^(a|b)$/`)
    expect(() => tagNotIn('site', ["a' OR 1=1"])).toThrow(RangeError)
    expect(() => tagNotIn('site', [])).toThrow(RangeError)
  })

  it('cuts cube sums around stale site-days, so every site-day is summed once or counted from raw points', () => {
    const DAY = 86_400_000
    const d = (n: number) => Date.UTC(2026, 9, 31, 17) + n * DAY // local midnight, 1 November + n days
    const month = { fromMs: d(0), toMs: d(30), bucket: bucketOf(d(0), 'month') }
    const stale = new Map([
      [d(4), new Set(['b'])],
      [d(5), new Set(['b'])],
      [d(6), new Set(['a', 'b'])],
      [d(29), new Set(['a'])],
      [d(40), new Set(['a'])], // outside the window
    ])
    const parts = cubeParts([month], stale).map((p) => [(p.fromMs - d(0)) / DAY, (p.toMs - d(0)) / DAY, p.exclude])
    expect(parts).toEqual([
      [0, 4, undefined],
      [4, 6, ['b']],
      [6, 7, ['a', 'b']],
      [7, 29, undefined],
      [29, 30, ['a']],
    ])
    expect(cubeParts([month], new Map())).toEqual([{ window: month, fromMs: d(0), toMs: d(30) }])
    // Two windows with stale days at their edges: nothing empty, nothing across a window's end.
    const week = (n: number) => ({ fromMs: d(n), toMs: d(n + 7), timeGroup: localTimeGroup('week') })
    const edges = cubeParts([week(0), week(7)], new Map([[d(6), new Set(['a'])], [d(7), new Set(['a'])]]))
    expect(edges.map((p) => [(p.fromMs - d(0)) / DAY, (p.toMs - d(0)) / DAY, p.exclude])).toEqual([
      [0, 6, undefined],
      [6, 7, ['a']],
      [7, 8, ['a']],
      [8, 14, undefined],
    ])
    // A stretch of days as two, split at a local midnight; a single day stays whole.
    expect(halvesOfDays({ window: month, fromMs: d(0), toMs: d(7) }).map((p) => [(p.fromMs - d(0)) / DAY, (p.toMs - d(0)) / DAY])).toEqual([
      [0, 3],
      [3, 7],
    ])
    expect(halvesOfDays({ window: month, fromMs: d(2), toMs: d(3) })).toHaveLength(1)
  })

  it('puts day and week groups on local midnight and Monday', () => {
    // Two random instants: the GROUP BY offsets must give the same starts as hub/kpi/time.
    for (const t of [Date.UTC(2026, 10, 21, 16, 59), Date.UTC(2026, 0, 4, 18)]) {
      const day = bucketOf(t, 'day').start
      const week = bucketOf(t, 'week').start
      expect((day - 17 * 3_600_000) % 86_400_000).toBe(0)
      expect((week - 89 * 3_600_000) % (7 * 86_400_000)).toBe(0)
    }
    expect(localTimeGroup('week')).toBe('time(7d, 89h)')
  })

  it('widens ranges to whole periods and caps their number', () => {
    const from = Date.UTC(2026, 9, 15)
    const w = windowsFor({ unit: 'month', fromMs: from, toMs: Date.UTC(2026, 11, 2) })
    expect(w.buckets.map((b) => b.label)).toEqual(['2026-10', '2026-11', '2026-12'])
    expect(w.windows).toHaveLength(3)
    expect(windowsFor({ unit: 'day', fromMs: from, toMs: from + 5 * 86_400_000 }).windows).toHaveLength(1)
    expect(() => windowsFor({ unit: 'day', fromMs: 0, toMs: (MAX_BUCKETS + 5) * 86_400_000 })).toThrow(/more than/)
    expect(() => windowsFor({ unit: 'day', fromMs: 10, toMs: 10 })).toThrow(RangeError)
  })
})

describe('raw rating pages', () => {
  it('round-trips cursors and refuses forged ones', () => {
    const c = { ns: 1_795_000_000_123_000_017n, skip: 2 }
    expect(decodeCursor(encodeCursor(c))).toEqual(c)
    for (const bad of ['abc', Buffer.from("1 OR 1=1:0").toString('base64url'), Buffer.from('12:99999').toString('base64url')]) expect(decodeCursor(bad)).toBeNull()
  })

  it('reads InfluxDB nanosecond times exactly', () => {
    expect(rfc3339ToNs('2026-11-21T03:12:45.000000017Z')).toBe(BigInt(Date.UTC(2026, 10, 21, 3, 12, 45)) * 1_000_000n + 17n)
    expect(rfc3339ToNs('2026-11-21T03:12:45Z')).toBe(BigInt(Date.UTC(2026, 10, 21, 3, 12, 45)) * 1_000_000n)
  })

  it('pages by time and skips rows already sent at the cursor time', () => {
    expect(rawRatingsStatement(0, 100, { site: ['a'] }, 10, { ns: 5_000_000n, skip: 3 })).toBe(
      `SELECT * FROM "rating" WHERE time >= 0ms AND time <= 5000000 AND "site" = 'a' ORDER BY time DESC LIMIT 13`,
    )
  })
})

describe('alert ids', () => {
  it('name their site, and anything else is not an alert', () => {
    expect(alertSite('dissatisfied_run:ct-center/q03:1795150000000')).toEqual({ kind: 'dissatisfied_run', site: 'ct-center' })
    expect(alertSite('edge_silent:ct-cai-rang:1795150000000')).toEqual({ kind: 'edge_silent', site: 'ct-cai-rang' })
    for (const bad of ['nope:ct-center:1', "edge_silent:ct-center':1", 'edge_silent:ct-center', 'edge_silent:a/b/c:1']) expect(alertSite(bad), bad).toBeNull()
  })
})
