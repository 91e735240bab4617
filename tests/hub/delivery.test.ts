/**
 * Scheduled report delivery (hub/delivery) against a real SMTP server the
 * test starts (smtp-server) that refuses the first messages and then
 * recovers, with real InfluxDB for the figures and the delivery log, and
 * real Chromium for the PDF. The schedule, backoff and state are checked as
 * data; the SMTP password must appear in no log line and no log entry.
 */
process.env.LOG_LEVEL ??= 'silent'
import { Writable } from 'node:stream'
import type { AddressInfo } from 'node:net'
import { SMTPServer } from 'smtp-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../common/log.js'
import { hashSecret } from '../../common/secrets.js'
import { reportsConfigSchema } from '../../hub/config/reports.js'
import { hubConfigSchema } from '../../hub/config/schema.js'
import { createDelivery, withoutSecret } from '../../hub/delivery/delivery.js'
import { createDeliveryLog, type DeliveryEntry } from '../../hub/delivery/log.js'
import { dueReports, retryDelayMs, sendTime } from '../../hub/delivery/plan.js'
import { parsePeriodLabel } from '../../hub/kpi/time.js'
import { createInfluxQuery } from '../../hub/queries/client.js'
import { createDirectory } from '../../hub/queries/directory.js'
import { createPdfPrinter } from '../../hub/reports/pdf.js'
import { createReports } from '../../hub/reports/service.js'
import { createWriter } from '../../hub/rollup/writer.js'
import { DEMO_SITES, generateDemoData, writeDemoData } from '../../scripts/lib/demo-data.js'
import { startInfluxd, type Influxd } from '../../testkit/influxd.js'
import { waitFor } from '../../testkit/wait.js'
import { vn } from './kpi/fixtures.js'
import { decodeSubject } from '../support/mail.js'

const PASSWORD = 'smtp-Pass-9f27c1'
const REFUSALS = 2

describe('delivery plan (pure)', () => {
  const sendAt = { hour: 7, minute: 0 }
  const schedules = reportsConfigSchema.parse({
    schedules: [
      { id: 'thang', unit: 'month', scope: { level: 'province' }, to: ['a@example.gov.vn'] },
      { id: 'quy', unit: 'quarter', scope: { level: 'province' }, to: ['a@example.gov.vn'] },
    ],
  }).schedules

  it('the monthly report is due on the 1st at 07:00 local for the previous month; before that, the month before', () => {
    const at = (t: number) => dueReports(schedules, sendAt, t).map((d) => `${d.schedule.id}:${d.period.label}`)
    expect(at(vn('2026-07-01T07:00'))).toEqual(['thang:2026-06', 'quy:2026-Q2'])
    expect(at(vn('2026-07-01T06:59:59.999'))).toEqual(['thang:2026-05', 'quy:2026-Q1'])
    expect(at(vn('2026-07-20T12:00'))).toEqual(['thang:2026-06', 'quy:2026-Q2'])
    expect(sendTime(parsePeriodLabel('2026-06')!, sendAt)).toBe(vn('2026-07-01T07:00'))
  })

  it('retries double from the first delay up to the cap', () => {
    const retry = { maxAttempts: 8, firstDelayS: 60, maxDelayS: 3600 }
    expect([1, 2, 3, 6, 7, 20].map((n) => retryDelayMs(n, retry) / 1000)).toEqual([60, 120, 240, 1920, 3600, 3600])
  })

  it('an error text never carries the password', () => {
    expect(withoutSecret(`535 auth failed for pass ${PASSWORD}`, PASSWORD)).toBe('535 auth failed for pass ***')
  })
})

interface Received {
  from: string
  to: string[]
  raw: string
}

let influxd: Influxd
let smtp: SMTPServer
let port: number
const received: Received[] = []
let refused = 0
const logged: string[] = []

beforeAll(async () => {
  influxd = await startInfluxd()
  smtp = new SMTPServer({
    authOptional: false,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    onAuth(auth, _session, cb) {
      if (auth.username === 'bao-cao' && auth.password === PASSWORD) return cb(null, { user: 'bao-cao' })
      cb(new Error('535 bad credentials'))
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        // A server that is not ready yet: temporary failures first, then it recovers.
        if (refused < REFUSALS) {
          refused++
          return cb(Object.assign(new Error('mailbox busy, try again later'), { responseCode: 451 }))
        }
        received.push({ from: String(session.envelope.mailFrom && session.envelope.mailFrom.address), to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') })
        cb(null)
      })
    },
  })
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve))
  port = (smtp.server.address() as AddressInfo).port
}, 120_000)

afterAll(async () => {
  await new Promise<void>((resolve) => smtp?.close(() => resolve()))
  await influxd?.stop()
})

describe('scheduled delivery by email', () => {
  it('sends the last month’s report after the server recovers, logs every attempt, and never sends it twice', async () => {
    const hubConfig = hubConfigSchema.parse({
      influx: { version: 1, url: influxd.url, database: 'motcua' },
      edges: DEMO_SITES.map((s) => ({ site: s.id, tokenHash: hashSecret(`${s.id}-token-unused-0123456789`) })),
      province: 'can-tho',
      sites: DEMO_SITES.map((s) => ({ id: s.id, name: s.name, ...(s.placement.branch ? { branch: s.placement.branch } : {}) })),
    })
    const reportsConfig = reportsConfigSchema.parse({
      deliver: true,
      mail: { host: '127.0.0.1', port, secure: false, user: 'bao-cao', password: PASSWORD, from: 'Trung tâm PVHCC <bao-cao@cantho.gov.vn>' },
      schedules: [{ id: 'thang-trung-tam', unit: 'month', scope: { level: 'site', id: 'ct-center' }, to: ['giam-doc@cantho.gov.vn', 'noi-vu@cantho.gov.vn'] }],
      retry: { maxAttempts: 5, firstDelayS: 0.2, maxDelayS: 1 },
      checkEveryS: 0.1,
    })
    const sink = new Writable({ write: (c: Buffer, _e, cb) => (logged.push(c.toString('utf8')), cb()) })
    const log = createLogger('test', 'debug', sink)
    const writer = createWriter(hubConfig.influx, { log })
    await writeDemoData(writer, generateDemoData({ end: Date.now(), days: 40 }))
    const db = createInfluxQuery(hubConfig.influx)
    const dir = createDirectory(hubConfig)
    const reports = createReports({ db, dir, log, atOnce: 2, waiting: 8, printer: createPdfPrinter({ chromium: '/usr/bin/chromium' }) })
    const deliveryLog = createDeliveryLog({ writer, db })
    const due = dueReports(reportsConfig.schedules, reportsConfig.sendAt, Date.now())[0]!
    const delivery = createDelivery({ config: reportsConfig, reports, dir, log: deliveryLog, logger: log, now: Date.now })
    delivery.start()
    const entries = await waitFor('the report to be delivered after the refusals', async () => {
      const list = await deliveryLog.list(Date.now() - 3_600_000, Date.now() + 1, 50)
      return list.some((e) => e.status === 'sent') ? list : null
    }, { timeoutMs: 120_000, everyMs: 200 })
    await delivery.stop()

    const attempts = [...entries].sort((a, b) => a.attempt - b.attempt)
    expect(attempts.map((e: DeliveryEntry) => [e.attempt, e.status])).toEqual([[1, 'failed'], [2, 'failed'], [3, 'sent']])
    expect(attempts.every((e) => e.schedule === 'thang-trung-tam' && e.period === due.period.label && e.recipients === 2)).toBe(true)
    expect(attempts[0]!.error).toContain('451')
    // The pause before each retry doubles, as planned (data, not a timing bound).
    expect(attempts[0]!.nextAt! - attempts[0]!.time).toBe(200)
    expect(attempts[1]!.nextAt! - attempts[1]!.time).toBe(400)
    expect(attempts[2]).toMatchObject({ formats: 'xlsx,pdf', error: '', nextAt: null })

    expect(received).toHaveLength(1)
    const mail = received[0]!
    expect(mail.to).toEqual(['giam-doc@cantho.gov.vn', 'noi-vu@cantho.gov.vn'])
    expect(mail.from).toBe('bao-cao@cantho.gov.vn')
    expect(mail.raw).toContain(`bao-cao-site-ct-center-${due.period.label}.xlsx`)
    expect(mail.raw).toContain(`bao-cao-site-ct-center-${due.period.label}.pdf`)
    expect(mail.raw).toMatch(/Content-Type: application\/pdf/)
    expect(decodeSubject(mail.raw)).toContain(`Báo cáo tháng tháng ${due.period.label.slice(5)}/${due.period.label.slice(0, 4)}`)

    // A restarted hub reads the log back and does not send the report again.
    const again = createDelivery({ config: reportsConfig, reports, dir, log: deliveryLog, logger: log, now: Date.now })
    await again.tick()
    expect(again.state()).toEqual([expect.objectContaining({ status: 'sent', attempts: 3 })])
    expect(received).toHaveLength(1)
    await again.stop()

    // Two rounds at once (a slow round and the next timer's, as on a loaded machine) send a due report once.
    const other = { ...reportsConfig, schedules: [{ ...reportsConfig.schedules[0]!, id: 'thang-trung-tam-2', to: ['chanh-van-phong@cantho.gov.vn'] }] }
    const twice = createDelivery({ config: other, reports, dir, log: deliveryLog, logger: log, now: Date.now })
    await Promise.all([twice.tick(), twice.tick()])
    expect(twice.state()).toEqual([expect.objectContaining({ schedule: 'thang-trung-tam-2', status: 'sent', attempts: 1 })])
    expect(received.filter((m) => m.to.includes('chanh-van-phong@cantho.gov.vn'))).toHaveLength(1)
    await twice.stop()
    await writer.close()

    // The password reached the SMTP server and nothing else.
    expect(logged.join('')).toContain('report delivered')
    expect(logged.join('')).not.toContain(PASSWORD)
    expect(JSON.stringify(entries)).not.toContain(PASSWORD)
  }, 240_000)
})
