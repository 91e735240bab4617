import { describe, expect, it } from 'vitest'
import { toLines } from '../../hub/influx/points.js'
import { edgeRecord, MISUSE_KINDS, type EdgeRecord } from '../../protocol/records.js'
import { DEMO_SITES, demoPoints, generateDemoData } from '../../scripts/lib/demo-data.js'

const HOUR = 3_600_000
const END = Date.UTC(2026, 10, 21, 9, 37) // 16:37 in Cần Thơ, a Saturday
const data = generateDemoData({ end: END, days: 3 })
const of = <K extends EdgeRecord['kind']>(site: string, kind: K) =>
  data.find((d) => d.site === site)!.records.filter((r): r is Extract<EdgeRecord, { kind: K }> => r.kind === kind)

describe('demo data', () => {
  it('is the same for the same seed and end, and different for another seed', () => {
    expect(generateDemoData({ end: END, days: 3 })).toEqual(data)
    expect(generateDemoData({ end: END, days: 3, seed: 1 })).not.toEqual(data)
  })

  it('is valid edge records, in time order with strictly increasing seq, inside the period', () => {
    expect(data.map((d) => d.site)).toEqual(DEMO_SITES.map((s) => s.id))
    for (const d of data) {
      d.records.forEach((r, i) => {
        expect(edgeRecord.safeParse(r).success, JSON.stringify(r)).toBe(true)
        expect(r.t).toBeGreaterThanOrEqual(END - 3 * 24 * HOUR)
        expect(r.t).toBeLessThanOrEqual(END)
        if (i > 0) {
          expect(r.t).toBeGreaterThanOrEqual(d.records[i - 1]!.t)
          expect(r.seq).toBe(d.records[i - 1]!.seq + 1)
        }
      })
    }
  })

  it('maps to line protocol through the hub, one point per record', () => {
    const points = demoPoints(data)
    expect(points).toHaveLength(data.reduce((n, d) => n + d.records.length, 0))
    toLines(points).forEach((line, i) => {
      expect(line.startsWith(`${points[i]!.measurement},`)).toBe(true)
      expect(line.endsWith(` ${points[i]!.timestampNs}`)).toBe(true)
    })
  })

  it('holds the situations the dashboards are there to show', () => {
    for (const d of data) {
      const ratings = of(d.site, 'rating')
      for (const kind of MISUSE_KINDS) expect(ratings.some((r) => r.misuse === kind), `${d.site} ${kind}`).toBe(true)
      expect(ratings.some((r) => r.dissatisfied)).toBe(true)
      expect(of(d.site, 'ticket').some((t) => t.event === 'finished')).toBe(true)
    }
    const lastHealth = (site: string) => of(site, 'edge_health').at(-1)!
    expect(lastHealth('ct-center').t).toBe(END)
    expect(lastHealth('ct-cai-rang').t).toBeLessThan(END - 2 * HOUR + 1)
    expect(lastHealth('ct-ninh-kieu').outboxOldestAgeS).toBeGreaterThan(900)
    expect(of('ct-center', 'device_status').filter((s) => !s.online)).toHaveLength(1)
    expect(of('ct-ninh-kieu', 'camera_status').some((c) => c.state === 'auth_failed')).toBe(true)
    expect(of('ct-center', 'camera_status').some((c) => c.state === 'offline')).toBe(true)
    expect(of('ct-center', 'camera_event').filter((e) => e.event === 'tamper').map((e) => e.state)).toEqual([true, false])
    // Button boxes report battery; mains-powered kiosks do not.
    expect(of('ct-cai-rang', 'heartbeat').filter((h) => h.device.startsWith('button-')).every((h) => h.battery !== null)).toBe(true)
    expect(of('ct-center', 'heartbeat').every((h) => h.battery === null)).toBe(true)
  })
})
