/**
 * Scheduled reports by email (docs/reports.md): every `checkEveryS` the due
 * reports (plan.ts) not yet delivered are made and sent with nodemailer to
 * their recipients; each attempt goes on the delivery log (log.ts), a
 * failure is tried again after a doubling pause until `maxAttempts`. The
 * retry state is data (`state()`), read back from the log after a restart.
 * SMTP credentials are handed to nodemailer only: no log line, log entry or
 * error text carries them (the password is cut out of any error message).
 */
import { readFileSync } from 'node:fs'
import nodemailer from 'nodemailer'
import type { Logger } from '../../common/log.js'
import type { MailConfig, ReportSchedule, ReportsConfig } from '../config/reports.js'
import type { Directory } from '../queries/directory.js'
import { sitesOfScope } from '../reports/build.js'
import { reportTitle, SUBJECT_TITLES } from '../reports/html.js'
import type { ReportFile, Reports } from '../reports/service.js'
import { periodTitle, REPORT_KIND } from '../reports/period-title.js'
import type { DeliveryLog, DeliveryStatus } from './log.js'
import { dueReports, retryDelayMs, type Due } from './plan.js'

export interface DeliveryState {
  schedule: string
  period: string
  status: DeliveryStatus | 'pending' | 'sending'
  attempts: number
  nextAt: number | null
  lastError: string
}

export interface Delivery {
  start(): void
  stop(): Promise<void>
  /** One look at the schedule now (the timer calls it); resolves when the sends it started have ended. */
  tick(): Promise<void>
  state(): DeliveryState[]
}

export interface DeliveryOptions {
  config: ReportsConfig
  reports: Reports
  dir: Directory
  log: DeliveryLog
  logger: Logger
  now: () => number
}

/** A message's text with every occurrence of the secret removed. */
export const withoutSecret = (text: string, secret: string | undefined) => (secret ? text.split(secret).join('***') : text)

export function mailTransport(m: MailConfig) {
  return nodemailer.createTransport({
    host: m.host,
    port: m.port,
    secure: m.secure,
    requireTLS: m.requireTls,
    ...(m.user ? { auth: { user: m.user, pass: m.password ?? '' } } : {}),
    ...(m.ca ? { tls: { ca: readFileSync(m.ca) } } : {}),
    // nodemailer's own logger would print the SMTP conversation, AUTH included.
    logger: false,
    debug: false,
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 120_000,
  })
}

export function mailSubject(files: readonly ReportFile[]): string {
  const r = files[0]!.report
  const unit = r.period.unit as ReportSchedule['unit']
  return `[motcua] ${REPORT_KIND[unit].vi} ${periodTitle(r.period, 'vi')} — ${r.subject || SUBJECT_TITLES[r.scope.level].vi}`
}

function mailText(files: readonly ReportFile[], missing: string[]): string {
  const r = files[0]!.report
  const lines = [
    `${reportTitle(r, 'vi')}.`,
    `${SUBJECT_TITLES[r.scope.level].vi}: ${r.subject}. So sánh với ${periodTitle(r.previous, 'vi')}.`,
    `Tệp đính kèm: ${files.map((f) => f.filename).join(', ')}.`,
    ...(missing.length ? [`Không tạo được: ${missing.join('; ')}.`] : []),
    '',
    `${reportTitle(r, 'en')}; attached: ${files.map((f) => f.filename).join(', ')}.`,
    ...(missing.length ? [`Could not be made: ${missing.join('; ')}.`] : []),
    '',
    'Thư gửi tự động từ hệ thống motcua — automatic message from the motcua hub.',
  ]
  return lines.join('\n')
}

export function createDelivery(o: DeliveryOptions): Delivery {
  const log = o.logger.child({ module: 'delivery' })
  const mail = o.config.mail
  const transport = mail ? mailTransport(mail) : null
  const states = new Map<string, DeliveryState>()
  const running = new Set<Promise<void>>()
  let timer: NodeJS.Timeout | undefined
  const keyOf = (d: Due) => `${d.schedule.id}\u0000${d.period.label}`
  const secret = mail?.password

  const loading = new Map<string, Promise<DeliveryState>>()
  /**
   * The state of a due report, read back from the log the first time it is seen (a restart keeps its count).
   * Rounds that overlap (a slow round and the next timer's) share one read and so one state: two reads made two
   * states, and each sent the report as its attempt 1.
   */
  function stateOf(d: Due): Promise<DeliveryState> {
    const key = keyOf(d)
    let p = loading.get(key)
    if (!p) {
      loading.set(key, (p = readState(d)))
      // A failed read is tried again next round.
      p.catch(() => loading.delete(key))
    }
    return p
  }

  async function readState(d: Due): Promise<DeliveryState> {
    const past = await o.log.attempts(d.schedule.id, d.period.label, d.period.end, o.now() + 1)
    const last = past.at(-1)
    const s: DeliveryState = {
      schedule: d.schedule.id,
      period: d.period.label,
      status: last?.status ?? 'pending',
      attempts: past.length,
      nextAt: last?.status === 'failed' ? last.nextAt : null,
      lastError: last?.error ?? '',
    }
    states.set(keyOf(d), s)
    return s
  }

  async function send(d: Due, s: DeliveryState): Promise<void> {
    const { schedule, period } = d
    s.status = 'sending'
    const attempt = s.attempts + 1
    const scope = { level: schedule.scope.level, id: 'id' in schedule.scope ? schedule.scope.id : '' }
    const sites = sitesOfScope(o.dir, scope)
    const files: ReportFile[] = []
    const missing: string[] = []
    let error = ''
    try {
      for (const format of schedule.formats) {
        try {
          files.push(await o.reports.file({ period, scope, sites, officers: schedule.officers, nowMs: o.now() }, format))
        } catch (err) {
          // A PDF that cannot be printed (no Chromium) does not hold back the Excel file.
          if (format !== 'pdf') throw err
          missing.push(`PDF (${(err as Error).message})`)
          log.warn({ schedule: schedule.id, period: period.label, err: (err as Error).message }, 'report PDF not made; sending the rest')
        }
      }
      if (!transport || !mail) throw new Error('no mail server configured')
      await transport.sendMail({
        from: mail.from,
        to: schedule.to,
        subject: mailSubject(files),
        text: mailText(files, missing),
        attachments: files.map((f) => ({ filename: f.filename, content: f.body, contentType: f.contentType })),
      })
    } catch (err) {
      error = withoutSecret((err as Error).message || String(err), secret)
    }
    const at = o.now()
    const status: DeliveryStatus = error === '' ? 'sent' : attempt >= o.config.retry.maxAttempts ? 'gave_up' : 'failed'
    const nextAt = status === 'failed' ? at + retryDelayMs(attempt, o.config.retry) : null
    Object.assign(s, { status, attempts: attempt, nextAt, lastError: error })
    const fields = { schedule: schedule.id, period: period.label, attempt, recipients: schedule.to.length }
    if (status === 'sent') log.info({ ...fields, files: files.map((f) => f.filename) }, 'report delivered')
    else log.warn({ ...fields, status, nextAt, code: 'HUB_MAIL_FAILED', err: error }, 'report delivery failed')
    await o.log
      .add({ time: at, schedule: schedule.id, period: period.label, status, attempt, recipients: schedule.to.length, formats: files.map((f) => f.format).join(','), error, nextAt })
      .catch((err: unknown) => log.error({ err: (err as Error).message, ...fields }, 'delivery log not stored'))
  }

  async function tick(): Promise<void> {
    const now = o.now()
    const started: Promise<void>[] = []
    for (const d of dueReports(o.config.schedules, o.config.sendAt, now)) {
      let s: DeliveryState
      try {
        s = await stateOf(d)
      } catch (err) {
        // The database is away: nothing is sent without knowing it was not sent already.
        log.warn({ schedule: d.schedule.id, err: (err as Error).message }, 'delivery log unreadable; schedule looked at again later')
        continue
      }
      if (s.status === 'sent' || s.status === 'gave_up' || s.status === 'sending') continue
      if (s.nextAt !== null && s.nextAt > now) continue
      const p = send(d, s).finally(() => running.delete(p))
      running.add(p)
      started.push(p)
    }
    await Promise.all(started)
  }

  return {
    tick,
    start() {
      if (timer) return
      const look = () => void tick().catch((err: unknown) => log.error({ err }, 'delivery round failed'))
      timer = setInterval(look, o.config.checkEveryS * 1000)
      look()
    },
    async stop() {
      clearInterval(timer)
      timer = undefined
      await Promise.allSettled([...running])
      transport?.close()
    },
    state: () => [...states.values()].map((s) => ({ ...s })),
  }
}
