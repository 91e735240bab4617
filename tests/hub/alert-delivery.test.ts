/**
 * Alerts that reach people (issue 16, hub/alert-delivery): against a real
 * SMTP server (smtp-server) that refuses the first message, a local HTTP
 * receiver standing in for an SMS/Zalo gateway that answers 500 first (and
 * a broken one that answers 400), and the delivery log in a real influxd.
 * What was sent, to whom, retried after the failure, never twice (a
 * restarted delivery sends nothing again), rate limits held, clears to
 * whom the raise went; no secret or address in the hub's log lines.
 * The plan and the messages are also checked as pure functions.
 */
process.env.LOG_LEVEL ??= 'silent'
import { createHmac } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { ConfigError } from '../../common/config.js'
import { createLogger } from '../../common/log.js'
import { createAlertDelivery } from '../../hub/alert-delivery/delivery.js'
import { createAlertDeliveryLog, deliveryKey, type AlertDeliveryEntry } from '../../hub/alert-delivery/log.js'
import { alertText, messageId, webhookSignature } from '../../hub/alert-delivery/message.js'
import { planDeliveries } from '../../hub/alert-delivery/plan.js'
import { alertsConfigSchema } from '../../hub/config/alerts.js'
import { loadHubConfig } from '../../hub/config/load.js'
import { hubConfigSchema } from '../../hub/config/schema.js'
import { ALERT_TITLES, type Alert, type AlertKind } from '../../hub/kpi/alerts/types.js'
import { createInfluxQuery } from '../../hub/queries/client.js'
import { createDirectory } from '../../hub/queries/directory.js'
import { createWriter } from '../../hub/rollup/writer.js'
import { startInfluxd, type Influxd } from '../../testkit/influxd.js'
import { waitFor } from '../../testkit/wait.js'
import { decodeSubject, startTestSmtp, type TestSmtp } from '../support/mail.js'

const MIN = 60_000
const PASSWORD = 'smtp-Pass-alerts-51c3'
const SECRET = 'webhook-shared-secret-7d1e0f'
const PHONE = '+84912345678'
const IOC_PHONE = '+84987654321'
const EMAIL = 'giam-doc@cantho.gov.vn'

function alert(kind: AlertKind, subject: string, since: number, raisedAt: number, details: Alert['details'] = {}): Alert {
  return { id: `${kind}:${subject}:${since}`, kind, site: subject.split('/')[0]!, subject, title: ALERT_TITLES[kind], since, raisedAt, seenAt: raisedAt, details, clearedAt: null, ack: null }
}

const deliveryConfig = (urls: { sms: string; bad: string }, limits = { perSubjectMin: 30, perRecipientPerHour: 3 }) =>
  alertsConfigSchema.parse({
    delivery: {
      send: true,
      consoleUrl: 'https://giamsat.cantho.gov.vn/console/#alerts',
      limits,
      retry: { maxAttempts: 4, firstDelayS: 0.2, maxDelayS: 1 },
      webhooks: [{ id: 'sms', url: urls.sms, secret: SECRET }, { id: 'zalo', url: urls.bad }],
      recipients: [
        { id: 'giam-doc-ct', name: 'Nguyễn Văn An (Giám đốc Trung tâm)', role: 'supervisor', sites: ['ct-center'], email: EMAIL, webhook: { id: 'sms', to: PHONE }, cleared: true },
        { id: 'ioc-truc-ban', name: 'IOC trực ban', role: 'ioc', kinds: ['overload'], webhook: { id: 'sms', to: IOC_PHONE } },
        { id: 'giam-sat-nk', name: 'Giám sát Ninh Kiều', role: 'supervisor', sites: ['ct-ninh-kieu'], email: 'nk@cantho.gov.vn' },
        { id: 'zalo-hong', name: 'Zalo OA (cấu hình sai)', role: 'admin', kinds: ['overload'], sites: ['ct-center'], webhook: { id: 'zalo', to: 'zalo:1234' } },
      ],
    },
  }).delivery

describe('the alerts config', () => {
  const base = { influx: { version: 1, url: 'http://127.0.0.1:8086' }, edges: [{ site: 'ct-center', tokenHash: `sha256:${'0'.repeat(64)}` }] }
  const problems = (alerts: unknown, extra: Record<string, unknown> = {}) => {
    const r = hubConfigSchema.safeParse({ ...base, ...extra, alerts })
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
  }

  it('refuses a supervisor without sites, a recipient without a channel, an unknown webhook, and emails without a mail server', () => {
    expect(problems({ delivery: { recipients: [{ id: 'a', name: 'A', role: 'supervisor', email: 'a@x.vn' }] } })).toEqual(['alerts.delivery.recipients.0.sites: a site supervisor needs "sites"'])
    expect(problems({ delivery: { recipients: [{ id: 'a', name: 'A', role: 'ioc' }] } })).toEqual(['alerts.delivery.recipients.0.email: a recipient needs "email" or "webhook"'])
    expect(problems({ delivery: { recipients: [{ id: 'a', name: 'A', role: 'ioc', webhook: { id: 'sms', to: PHONE } }] } })).toEqual(['alerts.delivery.recipients.0.webhook.id: no webhook "sms" in alerts.delivery.webhooks'])
    expect(problems({ delivery: { send: true, recipients: [{ id: 'a', name: 'A', role: 'ioc', email: 'a@x.vn' }] } })).toEqual([
      'alerts.delivery.recipients: alert emails go through "reports.mail": set it, or give these recipients a webhook only',
    ])
    expect(problems({ thresholds: { overloadQueue: 0 } })[0]).toMatch(/^alerts\.thresholds\.overloadQueue: /)
  })

  it('reads a webhook\'s secret from its file, relative to the config file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'motcua-alerts-config-'))
    try {
      const file = join(dir, 'hub.yaml')
      writeFileSync(file, stringify({ ...base, alerts: { delivery: { webhooks: [{ id: 'sms', url: 'https://sms.example.gov.vn/motcua', secretFile: 'sms.secret' }] } } }))
      writeFileSync(join(dir, 'sms.secret'), `${SECRET}\n`)
      expect(loadHubConfig(file).alerts.delivery.webhooks).toEqual([{ id: 'sms', url: 'https://sms.example.gov.vn/motcua', secretFile: join(dir, 'sms.secret'), secret: SECRET, timeoutS: 10 }])
      writeFileSync(join(dir, 'sms.secret'), 'short')
      expect(() => loadHubConfig(file)).toThrow(ConfigError)
      expect(() => loadHubConfig(file)).toThrow(/alerts\.delivery\.webhooks\.0\.secretFile: expected a secret of at least 16 characters/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('which messages go (pure)', () => {
  const cfg = deliveryConfig({ sms: 'http://127.0.0.1:1/sms', bad: 'http://127.0.0.1:1/bad' })
  const now = Date.UTC(2026, 10, 23, 2, 0)
  const u = alert('counter_unstaffed', 'ct-center/q02', now - 20 * MIN, now - 5 * MIN)
  const entry = (e: Partial<AlertDeliveryEntry> & Pick<AlertDeliveryEntry, 'key' | 'status' | 'time'>): AlertDeliveryEntry => ({
    alertId: u.id, kind: u.kind, site: u.site, subject: u.subject, transition: 'raised', recipient: 'giam-doc-ct', channel: 'email', attempt: 1, text: '', error: '', nextAt: null, ...e,
  })

  it('to each subscribed recipient by each channel; not to other sites or kinds; nothing older than maxAgeMin', () => {
    const plan = planDeliveries([u, alert('low_index', 'ct-center/q01', now - 3 * 60 * MIN, now - 61 * MIN)], cfg, [], now)
    expect(plan.send.map((j) => j.key)).toEqual([deliveryKey(u.id, 'raised', 'giam-doc-ct', 'email'), deliveryKey(u.id, 'raised', 'giam-doc-ct', 'webhook')])
    expect(plan.suppress).toEqual([])
  })

  it('a sent, given-up or suppressed key is done; a failed one waits for its retry time', () => {
    const key = deliveryKey(u.id, 'raised', 'giam-doc-ct', 'email')
    const only = (past: AlertDeliveryEntry[]) => planDeliveries([u], cfg, past, now).send.filter((j) => j.channel === 'email').map((j) => j.attempt)
    expect(only([entry({ key, status: 'sent', time: now - MIN })])).toEqual([])
    expect(only([entry({ key, status: 'gave_up', time: now - MIN })])).toEqual([])
    expect(only([entry({ key, status: 'failed', time: now - MIN, nextAt: now + 1 })])).toEqual([])
    expect(only([entry({ key, status: 'failed', time: now - MIN, nextAt: now }), entry({ key, status: 'failed', time: now - MIN, attempt: 2, nextAt: now })])).toEqual([3])
  })

  it('a clear goes only where the raise was sent, and only to recipients who asked for clears', () => {
    const cleared = { ...u, clearedAt: now - MIN }
    const sentRaise = entry({ key: deliveryKey(u.id, 'raised', 'giam-doc-ct', 'email'), status: 'sent', time: now - 4 * MIN })
    const plan = planDeliveries([cleared], cfg, [sentRaise], now)
    expect(plan.send.map((j) => [j.transition, j.channel])).toEqual([['raised', 'webhook'], ['cleared', 'email']])
  })

  it('rate limits: one message per recipient, kind and subject in perSubjectMin; at most perRecipientPerHour', () => {
    const again = alert('counter_unstaffed', 'ct-center/q02', now - 2 * MIN, now - MIN)
    const sentRaise = entry({ key: deliveryKey(u.id, 'raised', 'giam-doc-ct', 'email'), status: 'sent', time: now - 4 * MIN })
    const plan = planDeliveries([again], cfg, [sentRaise], now)
    expect(plan.suppress.map((j) => [j.channel, j.reason])).toEqual([['email', 'one message per 30 min for counter_unstaffed ct-center/q02']])
    const overloads = ['a', 'b', 'c', 'd'].map((s, i) => alert('overload', `ct-${s}`, now - 10 * MIN, now - (5 - i) * MIN))
    const ioc = planDeliveries(overloads, cfg, [], now)
    expect(ioc.send.filter((j) => j.recipient.id === 'ioc-truc-ban').map((j) => j.alert.site)).toEqual(['ct-a', 'ct-b', 'ct-c'])
    expect(ioc.suppress.map((j) => [j.recipient.id, j.alert.site, j.reason])).toEqual([['ioc-truc-ban', 'ct-d', 'at most 3 messages an hour']])
  })

  it('the text is Vietnamese first, short enough for one SMS segment group, with the site and counter names', () => {
    const dir = createDirectory({ province: 'can-tho', sites: [{ id: 'ct-center', name: 'Trung tâm PVHCC Cần Thơ' }], branches: [], edges: [] })
    const text = alertText({ ...u, details: { unstaffedSince: u.since } }, 'raised', dir, 'vi', cfg.consoleUrl)
    expect(text).toBe(`[Cảnh báo] Quầy không có cán bộ trong giờ tiếp dân: Trung tâm PVHCC Cần Thơ, q02; từ 08:40 23/11. Xem: ${cfg.consoleUrl}`)
    expect(text.length).toBeLessThan(300)
  })
})

interface Hit {
  path: string
  status: number
  headers: http.IncomingHttpHeaders
  body: string
}

let influxd: Influxd
let smtp: TestSmtp
let receiver: http.Server
let receiverUrl: string
const hits: Hit[] = []
let smsRefused = 0

beforeAll(async () => {
  influxd = await startInfluxd()
  smtp = await startTestSmtp({ user: 'canh-bao', password: PASSWORD, refusals: 1 })
  // The gateway: /sms fails once with 500 and then accepts; /bad refuses every request as malformed.
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const status = req.url === '/bad' ? 400 : smsRefused++ < 1 ? 500 : 200
      hits.push({ path: req.url ?? '', status, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') })
      res.writeHead(status, { 'content-type': 'application/json' }).end(status === 200 ? '{"ok":true}' : '{"error":"nope"}')
    })
  })
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`
}, 120_000)

afterAll(async () => {
  await smtp?.close()
  await new Promise<void>((resolve) => receiver?.close(() => resolve()))
  await influxd?.stop()
})

describe('alert delivery by email and webhook', () => {
  it('sends what, to whom; retries after a failure; never twice; holds the rate limits; tells of a clear', async () => {
    const hubConfig = hubConfigSchema.parse({
      influx: { version: 1, url: influxd.url, database: 'alert_delivery_test' },
      edges: [{ site: 'ct-center', tokenHash: `sha256:${'0'.repeat(64)}` }],
      province: 'can-tho',
      sites: [{ id: 'ct-center', name: 'Trung tâm PVHCC Cần Thơ' }, { id: 'ct-ninh-kieu', name: 'Chi nhánh Ninh Kiều' }],
    })
    const config = deliveryConfig({ sms: `${receiverUrl}/sms`, bad: `${receiverUrl}/bad` })
    const mail = { host: '127.0.0.1', port: smtp.port, secure: false, requireTls: false, user: 'canh-bao', password: PASSWORD, from: 'Cảnh báo motcua <canh-bao@cantho.gov.vn>' }
    const logged: string[] = []
    const logger = createLogger('test', 'debug', new Writable({ write: (c: Buffer, _e, cb) => (logged.push(c.toString('utf8')), cb()) }))
    const writer = createWriter(hubConfig.influx, { log: logger })
    const log = createAlertDeliveryLog({ writer, db: createInfluxQuery(hubConfig.influx) })
    const dir = createDirectory(hubConfig)
    const start = Date.now()
    const entries = async () => log.since(start - MIN, Date.now() + 1)
    const unstaffed = alert('counter_unstaffed', 'ct-center/q02', start - 20 * MIN, start - MIN, { unstaffedSince: start - 20 * MIN, sessionEnd: start + 60 * MIN, graceMin: 15 })
    const overload = alert('overload', 'ct-center', start - 10 * MIN, start - MIN, { waiting: 42, longestWaitMin: 63, waitMin: 60, queueLength: 40 })
    let alerts = [unstaffed, overload]

    const delivery = createAlertDelivery({ config, mail, dir, log, logger, now: Date.now })
    const finalOf = (list: AlertDeliveryEntry[]) => {
      const last = new Map<string, AlertDeliveryEntry>()
      for (const e of list) last.set(e.key, e)
      return last
    }
    const settled = (want: number) => async () => {
      await delivery.tick(alerts)
      const last = finalOf(await entries())
      return last.size === want && [...last.values()].every((e) => e.status !== 'failed') ? last : null
    }
    // giam-doc-ct: both alerts by email and SMS; ioc-truc-ban: the overload by SMS; zalo-hong: the overload, refused; giam-sat-nk: nothing (another site).
    const last = await waitFor('every first message sent or given up', settled(6), { timeoutMs: 60_000, everyMs: 100 })
    const key = (a: Alert, r: string, c: 'email' | 'webhook', t: 'raised' | 'cleared' = 'raised') => deliveryKey(a.id, t, r, c)
    expect(new Map([...last].map(([k, e]) => [k, e.status]))).toEqual(new Map([
      [key(unstaffed, 'giam-doc-ct', 'email'), 'sent'],
      [key(unstaffed, 'giam-doc-ct', 'webhook'), 'sent'],
      [key(overload, 'giam-doc-ct', 'email'), 'sent'],
      [key(overload, 'giam-doc-ct', 'webhook'), 'sent'],
      [key(overload, 'ioc-truc-ban', 'webhook'), 'sent'],
      [key(overload, 'zalo-hong', 'webhook'), 'gave_up'],
    ]))
    // Retried after the failure: one SMS and one email failed once, then went; the 400 was not tried again.
    const attempts = (list: AlertDeliveryEntry[], channel: string) =>
      list.filter((e) => e.channel === channel && e.recipient !== 'zalo-hong').map((e) => [e.attempt, e.status]).sort()
    const all = await entries()
    expect(attempts(all, 'webhook')).toEqual([[1, 'failed'], [1, 'sent'], [1, 'sent'], [2, 'sent']])
    expect(attempts(all, 'email')).toEqual([[1, 'failed'], [1, 'sent'], [2, 'sent']])
    const failed = all.filter((e) => e.status === 'failed')
    expect(failed.map((e) => e.nextAt! - e.time)).toEqual([200, 200])
    expect(failed.map((e) => `${e.channel}: ${e.error}`).sort()).toEqual([expect.stringMatching(/^email: .*451/), 'webhook: HTTP 500: {"error":"nope"}'])
    expect(all.filter((e) => e.recipient === 'zalo-hong')).toMatchObject([{ status: 'gave_up', attempt: 1, error: 'HTTP 400: {"error":"nope"}' }])

    // What the gateway got: one accepted request per message, signed, with its idempotency key, in Vietnamese.
    const accepted = hits.filter((h) => h.path === '/sms' && h.status === 200)
    expect(accepted).toHaveLength(3)
    for (const h of hits.filter((x) => x.path === '/sms')) {
      const ts = Number(h.headers['x-motcua-timestamp'])
      expect(h.headers['x-motcua-signature']).toBe(`sha256=${createHmac('sha256', SECRET).update(`${ts}.${h.body}`).digest('hex')}`)
      expect(h.headers['x-motcua-signature']).toBe(webhookSignature(SECRET, ts, h.body))
      expect(h.headers['idempotency-key']).toBe((JSON.parse(h.body) as { id: string }).id)
      expect(h.headers['content-type']).toBe('application/json; charset=utf-8')
    }
    const bodies = accepted.map((h) => JSON.parse(h.body) as { id: string; recipient: { id: string; to: string }; lang: string; text: string; alert: { kind: string; transition: string; siteName: string } })
    expect(bodies.map((b) => [b.recipient.id, b.recipient.to, b.alert.kind]).sort()).toEqual([
      ['giam-doc-ct', PHONE, 'counter_unstaffed'], ['giam-doc-ct', PHONE, 'overload'], ['ioc-truc-ban', IOC_PHONE, 'overload'],
    ])
    const smsU = bodies.find((b) => b.alert.kind === 'counter_unstaffed')!
    expect(smsU).toMatchObject({ id: key(unstaffed, 'giam-doc-ct', 'webhook'), lang: 'vi', alert: { transition: 'raised', siteName: 'Trung tâm PVHCC Cần Thơ' } })
    expect(smsU.text).toMatch(/^\[Cảnh báo\] Quầy không có cán bộ trong giờ tiếp dân: Trung tâm PVHCC Cần Thơ, q02; từ \d\d:\d\d \d\d\/\d\d\. Xem: https:/)
    expect(hits.filter((h) => h.path === '/bad')).toHaveLength(1)

    // The emails: one per message, to the recipient only, Vietnamese first, with the key's Message-ID.
    expect(smtp.received.map((m) => m.to)).toEqual([[EMAIL], [EMAIL]])
    const unstaffedMail = smtp.received.find((m) => m.raw.includes(messageId(key(unstaffed, 'giam-doc-ct', 'email'))))!
    expect(unstaffedMail.raw).toContain('X-Motcua-Alert: counter_unstaffed:ct-center/q02:')
    expect(decodeSubject(unstaffedMail.raw)).toBe('[motcua] Quầy không có cán bộ trong giờ tiếp dân — Trung tâm PVHCC Cần Thơ')
    await delivery.stop()

    // Never twice: a restarted delivery reads the log and sends nothing again.
    const counts = () => [hits.length, smtp.received.length]
    const before = counts()
    const again = createAlertDelivery({ config, mail, dir, log, logger, now: Date.now })
    await again.tick(alerts)
    await again.tick(alerts)
    expect(counts()).toEqual(before)

    // The same counter unstaffed again within 30 minutes (a new occurrence): held back, logged as such, not sent.
    const second = alert('counter_unstaffed', 'ct-center/q02', Date.now() - 2 * MIN, Date.now(), { unstaffedSince: Date.now() - 2 * MIN })
    // Three more overloads elsewhere: the IOC's hourly limit of 3 lets two through.
    const elsewhere = ['ct-ninh-kieu', 'ct-cai-rang', 'ct-thot-not'].map((s, i) => alert('overload', s, Date.now() - 5 * MIN, Date.now() - (3 - i) * 1000, { waiting: 41, longestWaitMin: 30 }))
    alerts = [unstaffed, overload, second, ...elsewhere]
    await again.tick(alerts)
    const afterLimits = await waitFor('the new overloads delivered', async () => {
      await again.tick(alerts)
      const l = finalOf(await entries())
      return [...l.values()].filter((e) => e.status === 'sent').length === 5 + 3 ? l : null
    }, { timeoutMs: 30_000, everyMs: 100 })
    expect([...afterLimits.values()].filter((e) => e.status === 'suppressed').map((e) => [e.recipient, e.channel, e.alertId, e.error]).sort()).toEqual([
      ['giam-doc-ct', 'email', second.id, 'one message per 30 min for counter_unstaffed ct-center/q02'],
      ['giam-doc-ct', 'webhook', second.id, 'one message per 30 min for counter_unstaffed ct-center/q02'],
      ['ioc-truc-ban', 'webhook', elsewhere[2]!.id, 'at most 3 messages an hour'],
    ])
    // The Ninh Kiều supervisor gets their site's overload by email; the IOC two of the three.
    expect(smtp.received.at(-1)!.to).toEqual(['nk@cantho.gov.vn'])
    expect(hits.filter((h) => h.status === 200).slice(3).map((h) => (JSON.parse(h.body) as { alert: { site: string } }).alert.site).sort()).toEqual(['ct-cai-rang', 'ct-ninh-kieu'])

    // The unstaffed counter is staffed again: whoever was told it began, and asked for clears, is told it is over.
    const sentBefore = hits.filter((h) => h.status === 200).length
    alerts = [{ ...unstaffed, clearedAt: Date.now() }, overload, second, ...elsewhere]
    await waitFor('the clear delivered', async () => {
      await again.tick(alerts)
      const l = finalOf(await entries())
      return l.get(key(unstaffed, 'giam-doc-ct', 'webhook', 'cleared'))?.status === 'sent' && l.get(key(unstaffed, 'giam-doc-ct', 'email', 'cleared'))?.status === 'sent'
    }, { timeoutMs: 30_000, everyMs: 100 })
    const clears = hits.filter((h) => h.status === 200).slice(sentBefore).map((h) => JSON.parse(h.body) as { recipient: { id: string }; text: string; alert: { transition: string } })
    expect(clears.map((c) => [c.recipient.id, c.alert.transition])).toEqual([['giam-doc-ct', 'cleared']])
    expect(clears[0]!.text).toMatch(/^\[Đã hết\] Quầy không có cán bộ trong giờ tiếp dân: Trung tâm PVHCC Cần Thơ, q02; lúc /)
    await again.stop()
    await writer.close()

    // Secrets and addresses reached the servers and nothing else.
    const text = logged.join('')
    expect(text).toContain('alert delivered')
    for (const secret of [PASSWORD, SECRET, PHONE, IOC_PHONE, EMAIL]) {
      expect(text).not.toContain(secret)
      expect(JSON.stringify(await entries())).not.toContain(secret)
    }
  }, 180_000)
})
