import { describe, expect, it } from 'vitest'
import { mapRecords, parseEnvelope } from '../../hub/ingest/validate.js'
import { MAX_POINT_MS, pointTimeNs, toLineProtocol, toPoint } from '../../hub/influx/points.js'
import { MEASUREMENTS } from '../../hub/influx/schema.js'
import { edgeRecord, type EdgeRecord } from '../../protocol/records.js'
import { BASE_MS, rating } from './helpers.js'

const base = { seq: 1_000_042, t: BASE_MS, clock: 'corrected' as const }
/** One valid record of every kind, checked against the protocol schema below. */
const samples: EdgeRecord[] = [
  rating(7, { officer: null, reasons: ['cho-lau', 'thai-do'], misuse: 'rapid', level: 4, score: 0, dissatisfied: true, ticket: null }),
  { kind: 'ticket', ...base, department: 'tu-phap', counter: 'q1', device: 'queue-1', eventId: 'tkt-00000001', ticket: 'A123', event: 'called', deviceTs: 1, edgeTs: 2 },
  { kind: 'device_status', ...base, counter: 'q1', device: 'kiosk-1', deviceKind: 'kiosk', online: false },
  { kind: 'heartbeat', ...base, counter: 'q1', device: 'btn-1', uptimeS: 3600, rssi: -61, battery: null },
  { kind: 'edge_health', ...base, uptimeS: 10, outboxDepth: 3, outboxOldestAgeS: 1.5, outboxBytes: 900, diskFreeBytes: 1e9, connectedDevices: 4, cpuTempC: null, rssBytes: 5e7, shed: 0, rejected: 1, deadLetters: 0, clockOffsetMs: -12.5 },
  { kind: 'camera_status', ...base, camera: 'cam-sanh', state: 'no_stream', onvif: true, stream: false, cameraOffsetMs: null, detail: 'RTSP timeout' },
  { kind: 'camera_event', ...base, camera: 'cam-sanh', event: 'motion', state: true, snapshot: null },
  { kind: 'audit', ...base, action: 'view_end', user: 'giamsat', camera: 'cam-sanh', viewing: 'v-1', detail: '', client: '192.168.1.20', durationS: 12.5, at: BASE_MS - 3, chain: 'edge-ttpv-1', link: 4, prev: 'a'.repeat(64), hash: 'b'.repeat(64) },
  {
    kind: 'directory', ...base, hash: 'c'.repeat(64), siteName: 'Trung tâm Cần Thơ',
    departments: [{ id: 'tu-phap', name: 'Sở Tư pháp' }],
    counters: [{ id: 'q1', name: 'Quầy 1, "Hộ tịch"', department: 'tu-phap', officer: 'nv-a', kiosk: true }],
    officers: [{ id: 'nv-a', name: 'Nguyễn Văn A', department: null, signIn: true }],
  },
  { kind: 'duty', ...base, event: 'in', reason: 'sign-in', counter: 'q1', officer: 'nv-a', device: 'kiosk-1', eventId: 'off-00000001' },
  {
    kind: 'complaint', ...base, department: 'tu-phap', counter: 'q1', device: 'kiosk-1', officer: 'nv-a', eventId: 'cmp-00000001',
    rating: 'evt-00000001', level: 1, comment: 'Chờ lâu', phone: '0912345678', lang: 'vi', deviceTs: BASE_MS, edgeTs: BASE_MS,
  },
]

describe('record → point', () => {
  it('the samples are valid records and cover every record kind', () => {
    for (const s of samples) expect(edgeRecord.safeParse(s).success, s.kind).toBe(true)
    expect(samples.map((s) => s.kind).sort()).toEqual(Object.keys(MEASUREMENTS).sort())
  })

  it('time is t ms plus seq mod 1e6 ns, so a replay hits the same point', () => {
    expect(pointTimeNs(1_700_000_000_123, 5)).toBe('1700000000123000005')
    expect(pointTimeNs(1_700_000_000_123, 2_000_999)).toBe('1700000000123000999')
    expect(pointTimeNs(0, 7)).toBe('7')
    expect(BigInt(pointTimeNs(MAX_POINT_MS, 999_999))).toBeLessThanOrEqual(9223372036854775806n)
    const r = rating(3)
    expect(toPoint('s1', r)).toEqual(toPoint('s1', structuredClone(r)))
  })

  it('every point uses exactly the schema tags, in key order, and only declared fields', () => {
    for (const s of samples) {
      const p = toPoint('ttpv-can-tho', s)
      const schema = MEASUREMENTS[s.kind]
      expect(p.measurement).toBe(s.kind)
      expect(Object.keys(p.tags)).toEqual([...schema.tags].sort())
      for (const f of Object.keys(p.fields)) expect(Object.keys(schema.fields), `${s.kind}.${f}`).toContain(f)
    }
  })

  it('never puts per-event values (event id, ticket, seq, times) in tags', () => {
    for (const s of samples) {
      const tags = Object.values(toPoint('ttpv-can-tho', s).tags)
      for (const v of [String(s.seq), String(s.t), 'eventId' in s ? s.eventId : '', 'ticket' in s ? String(s.ticket) : '']) {
        if (v) expect(tags, `${s.kind} tag holds ${v}`).not.toContain(v)
      }
    }
  })

  it('maps a directory to one point whose body is the content as JSON, and a restart to a duty point without counter or officer', () => {
    const dirPoint = toPoint('ttpv-can-tho', samples.find((s) => s.kind === 'directory')!)
    expect(dirPoint.tags).toEqual({ site: 'ttpv-can-tho' })
    expect(JSON.parse(String(dirPoint.fields.body))).toMatchObject({ siteName: 'Trung tâm Cần Thơ', counters: [{ id: 'q1', name: 'Quầy 1, "Hộ tịch"' }] })
    const restart: EdgeRecord = { kind: 'duty', ...base, event: 'out', reason: 'restart', counter: null, officer: null, device: null, eventId: null }
    expect(edgeRecord.safeParse(restart).success).toBe(true)
    expect(toLineProtocol([toPoint('s1', restart)])).toBe(`duty,event=out,site=s1 reason="restart",clock="corrected",seq=1000042i ${pointTimeNs(BASE_MS, 1_000_042)}`)
    // A restart that names a counter, or an "in" that is not a sign-in, is refused.
    expect(edgeRecord.safeParse({ ...restart, counter: 'q1' }).success).toBe(false)
    expect(edgeRecord.safeParse({ ...restart, event: 'in' }).success).toBe(false)
  })

  it('maps a rating to its tags and fields', () => {
    const p = toPoint('ttpv-can-tho', samples[0] as EdgeRecord)
    expect(p.tags).toEqual({ counter: 'q1', department: 'tu-phap', device: 'kiosk-1', level: '4', officer: 'none', scale: '4', site: 'ttpv-can-tho' })
    expect(p.fields).toEqual({
      score: 0, dissatisfied: true, misuse: 'rapid', event_id: 'evt-00000007', ticket: '', reasons: 'cho-lau,thai-do',
      device_ts: BASE_MS + 7000 - 150, edge_ts: BASE_MS + 7000 - 20, clock: 'synced', seq: 7,
    })
    expect(p.timestampNs).toBe(`${BASE_MS + 7000}000007`)
  })

  it('leaves unknown (null) measurements out instead of inventing a value', () => {
    const hb = toPoint('s', samples[3] as EdgeRecord)
    expect(hb.fields).toEqual({ uptime_s: 3600, rssi: -61, clock: 'corrected', seq: 1_000_042 })
    const cam = toPoint('s', samples[5] as EdgeRecord)
    expect(cam.fields).not.toHaveProperty('camera_offset_ms')
    expect(cam.fields.online).toBe(false)
  })

  it('serializes every kind to one valid line with typed fields', () => {
    const text = toLineProtocol(samples.map((s) => toPoint('ttpv-can-tho', s)))
    const lines = text.split('\n')
    expect(lines).toHaveLength(samples.length)
    expect(lines[0]).toBe(
      `rating,counter=q1,department=tu-phap,device=kiosk-1,level=4,officer=none,scale=4,site=ttpv-can-tho ` +
        `score=0,dissatisfied=true,misuse="rapid",event_id="evt-00000007",ticket="",reasons="cho-lau,thai-do",` +
        `device_ts=${BASE_MS + 6850}i,edge_ts=${BASE_MS + 6980}i,clock="synced",seq=7i ${BASE_MS + 7000}000007`,
    )
    expect(lines[4]).toContain('outbox_oldest_age_s=1.5,')
    expect(lines[4]).toContain('clock_offset_ms=-12.5,')
    expect(lines[4]).toMatch(new RegExp(`,seq=1000042i ${BASE_MS}000042$`))
  })
})

describe('batch mapping', () => {
  it('accepts the envelope and reports its problems otherwise', () => {
    expect(parseEnvelope({ v: 1, site: 'ttpv', records: [{}] })).toEqual({ ok: true, site: 'ttpv', records: [{}] })
    const bad = parseEnvelope({ v: 2, site: 'ttpv', records: [] })
    expect(bad.ok).toBe(false)
    expect(!bad.ok && bad.message).toMatch(/^v: .*records: /)
    expect(parseEnvelope({ v: 1, site: 'ttpv', records: [{}], extra: 1 }).ok).toBe(false)
  })

  it('writes valid records and lists invalid ones by index', () => {
    const { points, rejected } = mapRecords('ttpv', [
      rating(1),
      { ...rating(2), level: 9 },
      'not a record',
      rating(4),
      { ...rating(5), t: MAX_POINT_MS + 1 },
    ])
    expect(points.map((p) => p.fields.seq)).toEqual([1, 4])
    expect(rejected.map((r) => [r.index, r.code])).toEqual([[1, 'HUB_RECORD_INVALID'], [2, 'HUB_RECORD_INVALID'], [4, 'HUB_RECORD_INVALID']])
    expect(rejected[0]?.message).toMatch(/level/)
    expect(rejected[2]?.message).toMatch(/InfluxDB/)
  })
})
