/**
 * Deterministic demo data for the hub's database: a Center, a branch and a
 * reception point of Cần Thơ over a few days, as the edge records their edges
 * would have sent (protocol/records.ts). Written through the hub's own point
 * mapping and writer, so dashboards, the start script and benchmarks see
 * exactly the production shape. The same seed and end time give the same
 * records, so tests can compute the expected KPIs from them.
 *
 * Built in so the dashboards have something to show:
 * - one counter per site rated clearly worse than the others;
 * - misuse presses of every kind (rapid repeats, a stuck button, excess);
 * - a kiosk that went offline 3 h before the end and stayed offline;
 * - an edge silent for the last 2 h and one with a growing backlog;
 * - a camera offline for an hour, one failing authentication at the end, a tamper.
 */
import { MISUSE_KINDS, type EdgeRecord, type MisuseKind } from '../../protocol/records.js'
import { isDissatisfied, normalisedScore, type ScaleSize } from '../../protocol/scales.js'
import type { SitePlacement } from '../../hub/kpi/facts.js'
import { toPoint } from '../../hub/influx/points.js'
import type { Point } from '../../hub/influx/line-protocol.js'
import type { PointWriter } from '../../hub/influx/writer.js'
import { seededRandom } from '../../common/random.js'

const MIN = 60_000
const HOUR = 60 * MIN
const DAY = 24 * HOUR
/** Asia/Ho_Chi_Minh, UTC+7 all year (hub/kpi/time.ts). */
const VN_OFFSET = 7 * HOUR

export interface DemoCounterSpec {
  id: string
  department: string
  officer: string
  /** > 1 leans towards level 1 (satisfied); < 1 towards the last level. */
  mood: number
}

export interface DemoSiteSpec {
  id: string
  name: string
  placement: SitePlacement
  scale: ScaleSize
  deviceKind: 'kiosk' | 'button'
  counters: DemoCounterSpec[]
  cameras: string[]
}

export const DEMO_SITES: readonly DemoSiteSpec[] = [
  {
    id: 'ct-center',
    name: 'Trung tâm Phục vụ hành chính công thành phố Cần Thơ',
    placement: { province: 'can-tho', branch: null },
    scale: 4,
    deviceKind: 'kiosk',
    // The counters, departments and officers of the live demo site (demo-site.ts), so `npm start` data continues this history.
    counters: [
      { id: 'q01', department: 'noi-vu', officer: 'nguyen-thi-lan', mood: 3 },
      { id: 'q02', department: 'cong-thuong', officer: 'tran-van-minh', mood: 2.5 },
      { id: 'q03', department: 'cong-thuong', officer: 'le-thi-hoa', mood: 0.6 },
      { id: 'q04', department: 'nong-nghiep', officer: 'pham-van-hung', mood: 2 },
      { id: 'q05', department: 'nong-nghiep', officer: 'vo-thi-mai', mood: 1.6 },
      { id: 'q06', department: 'xay-dung', officer: 'huynh-van-tai', mood: 2.2 },
    ],
    cameras: ['cam-hall', 'cam-q01', 'cam-q02'],
  },
  {
    id: 'ct-ninh-kieu',
    name: 'Chi nhánh Ninh Kiều',
    placement: { province: 'can-tho', branch: 'ninh-kieu' },
    scale: 5,
    deviceKind: 'kiosk',
    counters: [
      { id: 'q01', department: 'tu-phap', officer: 'pham-thi-yen', mood: 2.4 },
      { id: 'q02', department: 'tai-nguyen', officer: 'chau-thi-diem', mood: 1.8 },
      { id: 'q03', department: 'lao-dong', officer: 'ho-van-dung', mood: 0.8 },
    ],
    cameras: ['cam-hall', 'cam-q01'],
  },
  {
    id: 'ct-cai-rang',
    name: 'Điểm tiếp nhận phường Cái Răng',
    placement: { province: 'can-tho', branch: 'cai-rang' },
    scale: 3,
    deviceKind: 'button',
    counters: [
      { id: 'q01', department: 'tu-phap', officer: 'mai-van-son', mood: 2 },
      { id: 'q02', department: 'lao-dong', officer: 'cao-thi-nhung', mood: 1.2 },
    ],
    cameras: ['cam-hall'],
  },
]

export interface DemoSiteData {
  site: string
  name: string
  placement: SitePlacement
  /** Sorted by `t`; `seq` follows that order, as one edge's outbox would. */
  records: EdgeRecord[]
}

export interface DemoDataOptions {
  /** Last moment covered, ms since epoch; nothing is later. */
  end: number
  days?: number
  seed?: number
  /** Default DEMO_SITES; benchmarks pass a province's worth. Sites after the third get no scripted faults. */
  sites?: readonly DemoSiteSpec[]
}

type Draft = EdgeRecord extends infer R ? (R extends EdgeRecord ? Omit<R, 'seq' | 'clock'> : never) : never

export function generateDemoData(opts: DemoDataOptions): DemoSiteData[] {
  const rand = seededRandom(opts.seed ?? 766)
  const between = (lo: number, hi: number) => lo + rand() * (hi - lo)
  const end = opts.end
  const start = end - (opts.days ?? 3) * DAY
  return (opts.sites ?? DEMO_SITES).map((spec, siteIndex) => {
    const out: Draft[] = []
    const push = (r: Draft) => {
      if (r.t >= start && r.t <= end) out.push(r)
    }
    let eventNo = 0
    const eventId = (device: string) => `${device}-${String(++eventNo).padStart(8, '0')}`
    const queue = 'queue-main'

    const firstDay = Math.floor((start + VN_OFFSET) / DAY) * DAY - VN_OFFSET
    for (let day = firstDay; day < end; day += DAY) {
      spec.counters.forEach((c, ci) => {
        const device = `${spec.deviceKind}-${c.id}`
        const tickets = 6 + Math.floor(rand() * 10)
        for (let n = 1; n <= tickets; n++) {
          const ticket = `${String.fromCharCode(65 + ci)}${String(n).padStart(3, '0')}`
          const issued = Math.round(day + 7.5 * HOUR + between(0, 9) * HOUR)
          const called = issued + Math.round(between(2, 25) * MIN)
          const finished = called + Math.round(between(3, 15) * MIN)
          const tick = (t: number, event: 'issued' | 'called' | 'finished') =>
            push({ kind: 'ticket', t, department: c.department, counter: c.id, device: queue, eventId: eventId(queue), ticket, event, deviceTs: t - 120, edgeTs: t })
          tick(issued, 'issued')
          tick(called, 'called')
          tick(finished, 'finished')
          // Every site shows each misuse kind every day: the first counter's first three tickets are scripted.
          const scripted = ci === 0 && n <= 3 ? MISUSE_KINDS[n - 1]! : null
          if (rand() > 0.85 && !scripted) continue
          const rate = (t: number, level: number, misuse: MisuseKind | null, withTicket: boolean) =>
            push({
              kind: 'rating',
              t,
              department: c.department,
              counter: c.id,
              device,
              officer: rand() < 0.15 ? null : c.officer,
              eventId: eventId(device),
              scale: spec.scale,
              level,
              score: normalisedScore(spec.scale, level),
              dissatisfied: isDissatisfied(spec.scale, level),
              reasons: isDissatisfied(spec.scale, level) && rand() < 0.5 ? ['cho-lau'] : [],
              ticket: withTicket ? ticket : null,
              deviceTs: t - 300,
              edgeTs: t,
              misuse,
            })
          const level = Math.min(spec.scale, 1 + Math.floor(Math.pow(rand(), c.mood) * spec.scale))
          const ratedAt = finished + Math.round(between(5, 40) * 1000)
          rate(ratedAt, level, null, true)
          const roll = scripted ? { rapid: 0, excess: 0.07, stuck: 0.085 }[scripted] : rand()
          if (roll < 0.06) rate(ratedAt + 1200, spec.scale, 'rapid', true)
          else if (roll < 0.08) rate(ratedAt + 90_000, 1 + Math.floor(rand() * spec.scale), 'excess', false)
          else if (roll < 0.09) for (let k = 1; k <= 3; k++) rate(ratedAt + k * 700, spec.scale, 'stuck', false)
        }
      })
    }

    // Devices: online from the start; heartbeats every 30 min while online.
    const devices = [...spec.counters.map((c) => ({ id: `${spec.deviceKind}-${c.id}`, counter: c.id, kind: spec.deviceKind })), { id: queue, counter: spec.counters[0]!.id, kind: 'queue' as const }]
    devices.forEach((d, di) => {
      const offlineAt = siteIndex === 0 && di === spec.counters.length - 1 ? end - 3 * HOUR : Infinity
      push({ kind: 'device_status', t: start + di, counter: d.counter, device: d.id, deviceKind: d.kind, online: true })
      if (offlineAt <= end) push({ kind: 'device_status', t: offlineAt, counter: d.counter, device: d.id, deviceKind: d.kind, online: false })
      let battery = between(80, 100)
      for (let t = start + 30 * MIN; t < Math.min(end, offlineAt); t += 30 * MIN) {
        battery = Math.max(5, battery - between(0, 0.6))
        push({
          kind: 'heartbeat',
          t: t + di * 1000,
          counter: d.counter,
          device: d.id,
          uptimeS: Math.round((t - start) / 1000),
          rssi: Math.round(between(-85, -40)),
          battery: d.kind === 'button' ? Math.round(battery * 10) / 10 : null,
        })
      }
    })

    // Edge health every 10 min: the reception point falls silent, the branch builds a backlog.
    const silentFrom = siteIndex === 2 ? end - 2 * HOUR : Infinity
    const backlogFrom = siteIndex === 1 ? end - 90 * MIN : Infinity
    let counters = { shed: 0, rejected: 0, deadLetters: 0 }
    for (let t = start; t <= end && t < silentFrom; t += 10 * MIN) {
      const backlogS = t > backlogFrom ? (t - backlogFrom) / 1000 : 0
      if (rand() < 0.05) counters = { ...counters, rejected: counters.rejected + 1 }
      push({
        kind: 'edge_health',
        t,
        uptimeS: Math.round((t - start) / 1000),
        outboxDepth: backlogS > 0 ? Math.round(backlogS / 6) : Math.floor(rand() * 3),
        outboxOldestAgeS: backlogS > 0 ? backlogS : Math.round(rand() * 20) / 10,
        outboxBytes: backlogS > 0 ? Math.round(backlogS * 90) : Math.floor(rand() * 2000),
        diskFreeBytes: Math.round(20e9 - (t - start) * 10 - siteIndex * 3e9),
        connectedDevices: devices.length,
        cpuTempC: Math.round(between(45, 62) * 10) / 10,
        rssBytes: Math.round(between(70, 90) * 1e6),
        ...counters,
        clockOffsetMs: Math.round(between(-30, 30)),
      })
    }

    // Cameras: a status every 30 min, motion during opening hours, the scripted faults.
    spec.cameras.forEach((camera, k) => {
      const stateAt = (t: number) => {
        if (siteIndex === 0 && camera === 'cam-q02' && t >= end - 5 * HOUR && t < end - 4 * HOUR) return 'offline' as const
        if (siteIndex === 1 && camera === 'cam-hall' && t >= end - HOUR) return 'auth_failed' as const
        return 'online' as const
      }
      for (let t = start + k * 1000; t <= end; t += 30 * MIN) {
        const state = stateAt(t)
        const up = state === 'online'
        const detail = state === 'offline' ? 'no ONVIF answer' : state === 'auth_failed' ? 'ONVIF refused the credentials' : ''
        push({ kind: 'camera_status', t, camera, state, onvif: up, stream: up, cameraOffsetMs: up ? Math.round(between(-500, 500)) : null, detail })
        const local = (t + VN_OFFSET) % DAY
        if (up && local > 7.5 * HOUR && local < 17 * HOUR && rand() < 0.5) {
          const on = t + Math.round(between(1, 25) * MIN)
          push({ kind: 'camera_event', t: on, camera, event: 'motion', state: true, snapshot: `${camera}-${on}.jpg` })
          push({ kind: 'camera_event', t: on + Math.round(between(10, 90) * 1000), camera, event: 'motion', state: false, snapshot: null })
        }
      }
      if (siteIndex === 0 && camera === 'cam-q01') {
        push({ kind: 'camera_event', t: end - 6 * HOUR, camera, event: 'tamper', state: true, snapshot: `${camera}-tamper.jpg` })
        push({ kind: 'camera_event', t: end - 6 * HOUR + 10 * MIN, camera, event: 'tamper', state: false, snapshot: null })
      }
    })

    out.sort((a, b) => a.t - b.t)
    const records = out.map((r, i) => ({ ...r, seq: i + 1, clock: 'synced' }) as EdgeRecord)
    return { site: spec.id, name: spec.name, placement: spec.placement, records }
  })
}

export function demoPoints(data: readonly DemoSiteData[]): Point[] {
  return data.flatMap((s) => s.records.map((r) => toPoint(s.site, r)))
}

/** Writes through the hub's writer in batches the size an edge sends; returns the number of points. */
export async function writeDemoData(writer: PointWriter, data: readonly DemoSiteData[], batchSize = 5000): Promise<number> {
  const points = demoPoints(data)
  for (let i = 0; i < points.length; i += batchSize) await writer.write(points.slice(i, i + batchSize))
  return points.length
}
