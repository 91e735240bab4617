/**
 * Alerts that reach people (docs/alerts.md): after each background
 * evaluation of the alert store, the raises and clears the plan (plan.ts)
 * lets through go by email (the reports' SMTP server, hub/delivery's
 * transport) and by JSON webhook, each attempt on the delivery log
 * (log.ts) in InfluxDB. The plan is made from the log every round, so a
 * restarted hub, or another instance, knows what was sent: only the instance
 * with `alerts.delivery.send` sends. A failure is tried again after a
 * doubling pause; a webhook's 4xx (not 408 or 429) is final. Addresses and
 * secrets go to nodemailer and the gateway only: no log line carries them.
 */
import type { Logger } from '../../common/log.js'
import type { AlertDeliveryConfig, AlertRecipient } from '../config/alerts.js'
import type { MailConfig } from '../config/reports.js'
import { mailTransport, withoutSecret } from '../delivery/delivery.js'
import { retryDelayMs } from '../delivery/plan.js'
import type { Alert } from '../kpi/alerts/types.js'
import type { Directory } from '../queries/directory.js'
import type { AlertDeliveryLog, AlertDeliveryStatus } from './log.js'
import { alertText, mailSubject, mailText, messageId, webhookBody, webhookSignature } from './message.js'
import { lookBackMs, planDeliveries, type DeliveryJob } from './plan.js'

/** Sends started in one round at most: the rest wait for the next round (no burst at a province's SMTP server). */
export const MAX_SENDS_PER_ROUND = 50

export interface AlertDelivery {
  /** One round over the alerts the store evaluated; resolves when its sends have ended. A round still running makes this one a no-op. */
  tick(alerts: readonly Alert[]): Promise<void>
  stop(): Promise<void>
}

export interface AlertDeliveryOptions {
  config: AlertDeliveryConfig
  /** The reports' SMTP server; without it email recipients' messages fail (the config refuses that when sending). */
  mail?: MailConfig
  dir: Directory
  log: AlertDeliveryLog
  logger: Logger
  now: () => number
}

/** A webhook answer that no retry will change: any 4xx but timeout and too-many-requests. */
const isFinal = (status: number) => status >= 400 && status < 500 && status !== 408 && status !== 429

class FinalError extends Error {}

export function createAlertDelivery(o: AlertDeliveryOptions): AlertDelivery {
  const log = o.logger.child({ module: 'alert-delivery' })
  const cfg = o.config
  const transport = o.mail ? mailTransport(o.mail) : null
  const hooks = new Map(cfg.webhooks.map((w) => [w.id, w]))
  const secrets = [o.mail?.password, ...cfg.webhooks.map((w) => w.secret)].filter((s): s is string => !!s)
  const clean = (text: string) => secrets.reduce((t, s) => withoutSecret(t, s), text)
  let running: Promise<void> | null = null

  async function email(job: DeliveryJob & { recipient: AlertRecipient & { email: string } }): Promise<void> {
    if (!transport || !o.mail) throw new FinalError('no mail server configured (reports.mail)')
    await transport.sendMail({
      from: o.mail.from,
      to: job.recipient.email,
      subject: mailSubject(job.alert, job.transition, o.dir),
      text: mailText(job.alert, job.transition, o.dir, cfg.consoleUrl),
      messageId: messageId(job.key),
      headers: { 'X-Motcua-Alert': job.alert.id },
    })
  }

  async function webhook(job: DeliveryJob & { recipient: AlertRecipient & { webhook: NonNullable<AlertRecipient['webhook']> } }): Promise<void> {
    const hook = hooks.get(job.recipient.webhook.id)
    if (!hook) throw new FinalError(`no webhook "${job.recipient.webhook.id}"`)
    const sentAt = o.now()
    const body = webhookBody({ key: job.key, alert: job.alert, transition: job.transition, recipient: job.recipient, dir: o.dir, consoleUrl: cfg.consoleUrl, sentAt })
    const res = await fetch(hook.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'idempotency-key': job.key,
        'x-motcua-timestamp': String(sentAt),
        ...(hook.secret ? { 'x-motcua-signature': webhookSignature(hook.secret, sentAt, body) } : {}),
      },
      body,
      redirect: 'error',
      signal: AbortSignal.timeout(hook.timeoutS * 1000),
    })
    // The answer is read to its end so the connection can be reused; its text is the gateway's reason.
    const answer = (await res.text().catch(() => '')).slice(0, 200)
    if (res.ok) return
    const msg = `HTTP ${res.status}${answer ? `: ${answer}` : ''}`
    throw isFinal(res.status) ? new FinalError(msg) : new Error(msg)
  }

  async function send(job: DeliveryJob): Promise<void> {
    let error = ''
    let final = false
    try {
      const r = job.recipient
      if (job.channel === 'email' && r.email) await email({ ...job, recipient: { ...r, email: r.email } })
      else if (job.channel === 'webhook' && r.webhook) await webhook({ ...job, recipient: { ...r, webhook: r.webhook } })
      else throw new FinalError(`recipient has no ${job.channel}`)
    } catch (err) {
      final = err instanceof FinalError
      error = clean((err as Error).message || String(err)) || 'failed'
    }
    const at = o.now()
    const status: AlertDeliveryStatus = error === '' ? 'sent' : final || job.attempt >= cfg.retry.maxAttempts ? 'gave_up' : 'failed'
    const nextAt = status === 'failed' ? at + retryDelayMs(job.attempt, cfg.retry) : null
    const fields = { alert: job.alert.id, transition: job.transition, recipient: job.recipient.id, channel: job.channel, attempt: job.attempt }
    if (status === 'sent') log.info(fields, 'alert delivered')
    else log.warn({ ...fields, status, nextAt, code: 'HUB_ALERT_DELIVERY_FAILED', err: error }, 'alert delivery failed')
    await record(job, status, error, nextAt, at)
  }

  async function record(job: DeliveryJob, status: AlertDeliveryStatus, error: string, nextAt: number | null, at: number): Promise<void> {
    const a = job.alert
    await o.log
      .add({
        time: at, key: job.key, alertId: a.id, kind: a.kind, site: a.site, subject: a.subject, transition: job.transition,
        recipient: job.recipient.id, channel: job.channel, status, attempt: job.attempt,
        text: alertText(a, job.transition, o.dir, 'vi', cfg.consoleUrl), error, nextAt,
      })
      .catch((err: unknown) => log.error({ err: (err as Error).message, alert: a.id, recipient: job.recipient.id }, 'alert delivery log not stored'))
  }

  async function round(alerts: readonly Alert[]): Promise<void> {
    const now = o.now()
    let past
    try {
      past = await o.log.since(now - lookBackMs(cfg), now + 1)
    } catch (err) {
      // The database is away: nothing is sent without knowing it was not sent already.
      log.warn({ err: (err as Error).message }, 'alert delivery log unreadable; looked at again after the next evaluation')
      return
    }
    const plan = planDeliveries(alerts, cfg, past, now)
    for (const s of plan.suppress) {
      log.info({ alert: s.alert.id, recipient: s.recipient.id, channel: s.channel, reason: s.reason }, 'alert message held back by a rate limit')
      await record(s, 'suppressed', s.reason, null, now)
    }
    await Promise.all(plan.send.slice(0, MAX_SENDS_PER_ROUND).map(send))
  }

  return {
    tick(alerts) {
      if (running) return running.then(() => undefined)
      running = round(alerts).finally(() => (running = null))
      return running
    },
    async stop() {
      await running
      transport?.close()
    },
  }
}
