/**
 * Complaint cases on a real influxd (issue 16): complaints as the hub ingest
 * writes them, actions as the console writes them, the case read back as the
 * fold of the log (what any instance would read), actions that do not fit
 * refused, and the retention sweep: a case closed before the cutoff is gone
 * whole, a case closed since and an open case however old are kept.
 */
process.env.LOG_LEVEL ??= 'silent'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MotcuaError } from '../../../common/errors.js'
import { createLogger } from '../../../common/log.js'
import { createAlertStore } from '../../../hub/alerts-store/store.js'
import { actOnCase, readCase, readCases } from '../../../hub/cases/store.js'
import { retentionConfigSchema } from '../../../hub/config/retention.js'
import { hubConfigSchema } from '../../../hub/config/schema.js'
import { toPoint } from '../../../hub/influx/points.js'
import { ALERT_TITLES } from '../../../hub/kpi/alerts/types.js'
import { createInfluxQuery, type InfluxQuery } from '../../../hub/queries/client.js'
import { createDirectory } from '../../../hub/queries/directory.js'
import { CLASS_OF } from '../../../hub/retention/policy.js'
import { sweep } from '../../../hub/retention/sweeper.js'
import { createWriter, type MarkingWriter } from '../../../hub/rollup/writer.js'
import type { EdgeRecord } from '../../../protocol/records.js'
import { startInfluxd, type Influxd } from '../../../testkit/influxd.js'
import { influxQuery } from '../helpers.js'

const DAY = 86_400_000
const NOW = Date.UTC(2026, 10, 22, 3, 0)
const SITE = 'ct-center'
const log = createLogger('test', 'silent')

const complaint = (seq: number, t: number, id: string, comment: string): EdgeRecord => ({
  kind: 'complaint', seq, t, clock: 'synced', department: 'justice', counter: 'q1', device: 'kiosk-1', officer: 'nguyen-van-a',
  eventId: id, rating: `evt-${id}`, level: 4, comment, phone: '0912345678', lang: 'vi', deviceTs: t, edgeTs: t,
})

let influxd: Influxd
let writer: MarkingWriter
let db: InfluxQuery
const count = async (q: string) => Number((await influxQuery(influxd.url, 'motcua_cases', q))[0]?.values[0]?.[1] ?? 0)

beforeAll(async () => {
  influxd = await startInfluxd()
  const cfg = hubConfigSchema.parse({ influx: { version: 1, url: influxd.url, database: 'motcua_cases' }, edges: [{ site: SITE, tokenHash: `sha256:${'0'.repeat(64)}` }] })
  writer = createWriter(cfg.influx, { log })
  db = createInfluxQuery(cfg.influx)
  await writer.write([
    complaint(1, NOW - 420 * DAY, 'cmp-old-closed', 'Chờ lâu'),
    complaint(2, NOW - 410 * DAY, 'cmp-old-open', 'Thiếu hướng dẫn'),
    complaint(3, NOW - 30 * DAY, 'cmp-recent', 'Thái độ'),
  ].map((r) => toPoint(SITE, r)))
}, 120_000)

afterAll(async () => {
  await writer?.close()
  await influxd?.stop()
})

const act = (id: string, kind: 'assigned' | 'progress' | 'resolved' | 'result' | 'closed', at: number, extra: { note?: string; department?: string; handler?: string } = {}) =>
  actOnCase({ db, writer }, { site: SITE, id, action: { kind, ...extra }, by: 'gs-a: Giám sát A', now: at, departments: ['justice', 'health'] })

describe('cases in InfluxDB', () => {
  it('folds the stored log: assign, progress, resolve, result and close, each checked against the state read before it', async () => {
    const old = NOW - 420 * DAY
    expect((await act('cmp-old-closed', 'assigned', old + DAY, { department: 'health', handler: 'Trần Thị B' })).handler).toBe('Trần Thị B')
    await act('cmp-old-closed', 'progress', old + 2 * DAY, { note: 'đã liên hệ công dân' })
    await act('cmp-old-closed', 'resolved', old + 5 * DAY)
    await act('cmp-old-closed', 'result', old + 6 * DAY, { note: 'đã trả lời bằng điện thoại' })
    const closed = await act('cmp-old-closed', 'closed', old + 7 * DAY)
    expect(closed).toMatchObject({ status: 'closed', department: 'health', closedAt: old + 7 * DAY, lastProgressAt: old + 2 * DAY })
    expect(closed.events.map((e) => e.kind)).toEqual(['assigned', 'progress', 'resolved', 'result', 'closed'])

    const recent = NOW - 30 * DAY
    await act('cmp-recent', 'resolved', recent + DAY)
    await act('cmp-recent', 'result', recent + 2 * DAY, { note: 'đã xin lỗi công dân' })
    await act('cmp-recent', 'closed', recent + 3 * DAY)

    const cases = await readCases(db, [SITE])
    expect(cases.map((c) => [c.complaint.id, c.status])).toEqual([['cmp-recent', 'closed'], ['cmp-old-open', 'open'], ['cmp-old-closed', 'closed']])
    expect(cases[1]!.complaint).toMatchObject({ comment: 'Thiếu hướng dẫn', phone: '0912345678', officer: 'nguyen-van-a', counter: 'q1', department: 'justice', level: 4 })
    expect(await readCases(db, ['other-site'])).toEqual([])
  })

  it('refuses what does not fit, naming why, and writes nothing', async () => {
    // The code, and the detail after the catalogue's text.
    const refused = async (p: Promise<unknown>) =>
      p.then(() => null, (err: unknown) => (err instanceof MotcuaError ? `${err.code}: ${err.message.split(': ').slice(1).join(': ')}` : String(err)))
    expect(await refused(act('cmp-old-open', 'closed', NOW))).toBe('HUB_CASE_ACTION_INVALID: record the result before closing the case')
    expect(await refused(act('cmp-old-open', 'progress', NOW, { note: ' ' }))).toBe('HUB_CASE_ACTION_INVALID: note: what was done, for a progress update')
    expect(await refused(act('cmp-old-open', 'assigned', NOW, { department: 'transport' }))).toBe('HUB_CASE_ACTION_INVALID: department: one of justice, health')
    expect(await refused(act('cmp-old-closed', 'progress', NOW, { note: 'x' }))).toBe('HUB_CASE_ACTION_INVALID: the case is closed')
    expect(await refused(act('cmp-nobody', 'resolved', NOW))).toBe(`HUB_CASE_NOT_FOUND: ${SITE}/cmp-nobody`)
    expect((await readCase(db, SITE, 'cmp-old-open'))?.events).toEqual([])
  })

  it('the sweep deletes a case closed before the cutoff whole, and keeps the case closed since and the open one however old', async () => {
    expect(CLASS_OF.get('complaint')).toBe('cases')
    expect(CLASS_OF.get('case_event')).toBe('cases')
    const retention = retentionConfigSchema.parse({ days: { cases: 365 } })
    const report = await sweep(db, retention, NOW, ['cases'])
    // The old case: its complaint and its five events, one statement each.
    expect(report.steps.map((s) => [s.measurement, s.statements])).toEqual([['complaint', 1], ['case_event', 5]])
    expect((await readCases(db, [SITE])).map((c) => c.complaint.id)).toEqual(['cmp-recent', 'cmp-old-open'])
    expect(await count(`SELECT count("comment") FROM "complaint" WHERE "event_id" = 'cmp-old-closed'`)).toBe(0)
    expect(await count(`SELECT count("by") FROM "case_event" WHERE "case" = 'cmp-old-closed'`)).toBe(0)
    expect(await count(`SELECT count("by") FROM "case_event" WHERE "case" = 'cmp-recent'`)).toBe(3)
    // Idempotent: nothing left to delete.
    expect((await sweep(db, retention, NOW, ['cases'])).steps.map((s) => s.statements)).toEqual([0, 0])
  })

  it('the alert store raises a case_deadline alert when a case is due within dueSoonDays, without personal data', async () => {
    // Received 19 days ago: its 20-day handling clock ends tomorrow.
    await writer.write([toPoint(SITE, { ...complaint(4, NOW - 19 * DAY, 'cmp-due-soon', 'Hồ sơ bị trả lại'), counter: 'q2' } as EdgeRecord)])
    const cfg = hubConfigSchema.parse({ influx: { version: 1, url: influxd.url, database: 'motcua_cases' }, edges: [{ site: SITE, tokenHash: `sha256:${'0'.repeat(64)}` }] })
    const dir = createDirectory(cfg)
    const withCases = await createAlertStore({ db, writer, dir, cases: cfg.cases }).list([SITE], NOW)
    const due = withCases.filter((a) => a.kind === 'case_deadline' && a.subject === `${SITE}/q2`)
    expect(due).toEqual([expect.objectContaining({ site: SITE, title: ALERT_TITLES.case_deadline, details: expect.objectContaining({ clock: 'handle', cases: 1, overdue: 0 }) })])
    expect(JSON.stringify(withCases)).not.toMatch(/0912345678|Hồ sơ bị trả lại|nguyen-van-a/)
    // A hub without the cases config leaves those alerts alone.
    const without = await createAlertStore({ db, writer, dir }).list([SITE], NOW)
    expect(without.filter((a) => a.kind === 'case_deadline')).toEqual([])
  })
})
