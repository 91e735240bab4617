/**
 * A citizen's complaint from the kiosk (issue 16): the bare checks the kiosk
 * and the edge share (protocol/complaint.ts), the message schema, and the
 * edge's ingest into a `complaint` record: only a kiosk, only after a
 * dissatisfied level, bad input refused naming the field and never its value.
 */
import { describe, expect, it } from 'vitest'
import { DutyRoster } from '../../edge/ingest/duty.js'
import { ingest, type IngestResult } from '../../edge/ingest/ingest.js'
import { buildSiteIndex, type DeviceEntry } from '../../edge/ingest/site.js'
import { complaintProblems, MAX_COMPLAINT_COMMENT, normalizeVnPhone } from '../../protocol/complaint.js'
import { complaintMessage } from '../../protocol/messages.js'
import { complaintRecord, edgeRecord, RECORD_PRIORITY } from '../../protocol/records.js'
import { parseTopic, topics } from '../../protocol/topics.js'
import { testSite } from '../support/edge-site.js'

const SITE = 'ct-center'
const site = buildSiteIndex(testSite().config)
const dev = (id: string) => site.devices.get(id) as DeviceEntry
const EDGE_TS = 1_763_712_000_000

const run = (body: unknown, device: DeviceEntry | null = dev('kiosk-1'), counter = 'q1'): IngestResult =>
  ingest({ topic: topics.complaint(SITE, counter), payload: Buffer.from(JSON.stringify(body)), device, edgeTs: EDGE_TS }, site, new DutyRoster(site))
const rejection = (r: IngestResult) => (r.outcome === 'rejected' ? r.rejection : null)
// The test site's scale has 4 levels; 4 is the dissatisfied one.
const message = (over: Record<string, unknown> = {}) => ({
  v: 1, id: 'cmp-0000001', ts: 1_763_711_000_000, rating: 'evt-0000001', level: 4,
  comment: '  Chờ quá lâu, không được hướng dẫn  ', phone: '+84 912 345 678', consent: true, lang: 'vi', ...over,
})

describe('Vietnamese phone numbers and the form\'s problems', () => {
  it.each([
    ['0912345678', '0912345678'],
    ['091 234 5678', '0912345678'],
    ['0912.345.678', '0912345678'],
    ['+84912345678', '0912345678'],
    ['84 912 345 678', '0912345678'],
    ['0356-789-012', '0356789012'],
    ['(0292) 3820 123', '02923820123'],
    ['0123456789', null],
    ['091234567', null],
    ['09123456789', null],
    ['abc', null],
    ['', null],
  ])('%s → %s', (raw, national) => {
    expect(normalizeVnPhone(raw)).toBe(national)
  })

  it('asks for a comment or a phone, at most 500 characters, a valid number and consent', () => {
    expect(complaintProblems({ comment: '', phone: '', consent: false })).toEqual(['empty', 'consent_missing'])
    expect(complaintProblems({ comment: 'x'.repeat(MAX_COMPLAINT_COMMENT + 1), phone: '12', consent: true })).toEqual(['comment_too_long', 'phone_invalid'])
    expect(complaintProblems({ comment: '', phone: '0912345678', consent: true })).toEqual([])
    expect(complaintProblems({ comment: 'Chờ lâu', phone: '', consent: true })).toEqual([])
  })

  it('a 500-character Vietnamese comment fits the device payload limit', () => {
    const body = JSON.stringify(message({ comment: 'ữ'.repeat(MAX_COMPLAINT_COMMENT) }))
    expect(Buffer.byteLength(body)).toBeLessThan(2048)
    expect(complaintMessage.safeParse(JSON.parse(body)).success).toBe(true)
  })
})

describe('ingest: complaints', () => {
  it('becomes a critical complaint record linked to its rating, with the counter\'s department, the officer on duty and the national phone', () => {
    const r = run(message())
    expect(r).toEqual({
      outcome: 'record',
      dedupKey: 'kiosk-1:cmp-0000001',
      record: {
        kind: 'complaint', department: 'justice', counter: 'q1', device: 'kiosk-1', officer: 'nguyen-van-a', eventId: 'cmp-0000001',
        rating: 'evt-0000001', level: 4, comment: 'Chờ quá lâu, không được hướng dẫn', phone: '0912345678', lang: 'vi',
        deviceTs: 1_763_711_000_000, edgeTs: EDGE_TS,
      },
    })
    expect(complaintRecord.safeParse({ ...(r as { record: object }).record, seq: 1, t: EDGE_TS, clock: 'synced' }).success).toBe(true)
    expect(edgeRecord.safeParse({ ...(r as { record: object }).record, seq: 1, t: EDGE_TS, clock: 'synced' }).success).toBe(true)
    expect(RECORD_PRIORITY.complaint).toBe('critical')
    expect(run(message({ phone: '' }))).toMatchObject({ record: { phone: null } })
    expect(parseTopic(topics.complaint(SITE, 'q1'))).toEqual({ kind: 'complaint', site: SITE, counter: 'q1' })
  })

  it('refuses bad input with a clear error that never repeats the citizen\'s words or number', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ comment: 'ừ'.repeat(501) }, /^comment: at most 500 characters/],
      [{ phone: '0123 456 789' }, /^phone: a Vietnamese phone number/],
      [{ comment: '', phone: '' }, /^comment: a comment or a phone number/],
      [{ consent: false }, /^consent: /],
      [{ level: 1 }, /^level: a complaint follows a dissatisfied rating/],
      [{ rating: 'x' }, /^rating: /],
      [{ name: 'Nguyễn Văn A' }, /name/],
    ]
    for (const [over, message_] of cases) {
      const r = rejection(run(message(over)))
      expect(r?.code, JSON.stringify(over)).toBe('EDGE_PAYLOAD_INVALID')
      expect(r?.message).toMatch(message_)
      expect(r?.message).not.toMatch(/0123 456 789|ừừ|Nguyễn/)
      expect(r?.eventId).toBe('cmp-0000001')
    }
  })

  it('only a kiosk, at its own counter', () => {
    expect(rejection(run(message(), dev('queue-1')))?.code).toBe('EDGE_TOPIC_FORBIDDEN')
    expect(rejection(run(message(), dev('kiosk-1'), 'q2'))?.code).toBe('EDGE_TOPIC_FORBIDDEN')
    expect(rejection(run(message(), null))?.code).toBe('EDGE_TOPIC_FORBIDDEN')
    expect(rejection(run(message(), dev('button-1')))?.message).toBe('only a kiosk takes a citizen\'s complaint')
  })
})
