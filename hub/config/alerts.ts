/**
 * The hub config's `alerts` key (docs/alerts.md): the detectors' thresholds,
 * and the delivery of alerts to people by email and by a JSON webhook (the
 * form SMS and Zalo gateways accept), per recipient with their role, sites,
 * kinds and channels, with rate limits and retries.
 */
import { z } from 'zod'
import { idSchema } from '../../protocol/ids.js'
import { ALERT_KINDS, DEFAULT_ALERT_THRESHOLDS as T, type AlertThresholds } from '../kpi/alerts/types.js'
import type { Role } from './schema.js'

const MIN = 60_000

/** The console's roles (schema.ts `ROLES`; schema.ts imports this file, so they are not imported back). A test keeps the two equal. */
export const RECIPIENT_ROLES = ['ioc', 'inspector', 'supervisor', 'admin'] as const satisfies readonly Role[]
const minutes = (d: number) => z.number().min(0).max(7 * 24 * 60).default(d)

/** Every threshold in minutes (or a count), defaulting to hub/kpi/alerts/types.ts DEFAULT_ALERT_THRESHOLDS. */
const thresholds = z.strictObject({
  runCount: z.number().int().min(2).max(100).default(T.run.count),
  runWindowMin: minutes(T.run.windowMs / MIN),
  lowIndexWindowMin: minutes(T.lowIndex.windowMs / MIN),
  lowIndexBelow: z.number().min(0).max(100).default(T.lowIndex.below),
  lowIndexMinRatings: z.number().int().min(1).default(T.lowIndex.minRatings),
  lowIndexClearMargin: z.number().min(0).max(100).default(T.lowIndex.clearMargin),
  cameraOfflineMin: minutes(T.camera.offlineAfterMs / MIN),
  edgeSilentMin: minutes(T.edge.silentAfterMs / MIN),
  edgeBacklogMin: minutes(T.edge.backlogAfterS / 60),
  unstaffedGraceMin: minutes(T.unstaffed.graceMs / MIN),
  overloadWaitMin: z.number().min(1).max(24 * 60).default(T.overload.waitMs / MIN),
  overloadQueue: z.number().int().min(1).max(100_000).default(T.overload.queueLength),
  overloadKeepRatio: z.number().min(0.1).max(1).default(T.overload.keepRatio),
  overloadAbandonMin: z.number().min(1).max(24 * 60).default(T.overload.abandonAfterMs / MIN),
})

/** A JSON webhook: an SMS or Zalo gateway, or the province's own relay to them. */
const webhook = z.strictObject({
  id: idSchema,
  url: z.url().refine((u) => /^https?:/.test(u), 'an http(s) URL'),
  /** Shared secret for the X-Motcua-Signature header (HMAC-SHA256); prefer secretFile. */
  secret: z.string().min(16).optional(),
  /** Read at load (hub/config/load.ts) into `secret`. */
  secretFile: z.string().min(1).optional(),
  /** A request not answered within this is a failure, tried again. */
  timeoutS: z.number().min(0.1).max(120).default(10),
})

const recipient = z
  .strictObject({
    id: idSchema,
    /** Shown in the console's list of what was sent; the addresses are not. */
    name: z.string().min(1).max(200),
    /** Whom the alerts are for, as the console's roles: a supervisor is told only of their `sites`. */
    role: z.enum(RECIPIENT_ROLES),
    /** The sites whose alerts they get; every site when absent (not for a supervisor). */
    sites: z.array(idSchema).min(1).optional(),
    /** The kinds they get; every kind when absent. */
    kinds: z.array(z.enum(ALERT_KINDS)).min(1).optional(),
    /** Also tell them when an alert they were told of clears. */
    cleared: z.boolean().default(false),
    email: z.email().optional(),
    /** A webhook of `webhooks` and the address it delivers to (a phone number for SMS or Zalo). */
    webhook: z.strictObject({ id: idSchema, to: z.string().min(3).max(100) }).optional(),
  })
  .refine((r) => r.role !== 'supervisor' || r.sites !== undefined, { message: 'a site supervisor needs "sites"', path: ['sites'] })
  .refine((r) => r.email !== undefined || r.webhook !== undefined, { message: 'a recipient needs "email" or "webhook"', path: ['email'] })

const delivery = z.strictObject({
  /**
   * Whether this instance sends alerts. Hub instances share nothing but the database: turn it on for one instance
   * per province (the delivery log in the database keeps a restart from sending twice), as `reports.deliver`.
   */
  send: z.boolean().default(false),
  /** Linked in every message: where the recipient acknowledges the alert (e.g. https://giamsat.cantho.gov.vn/console/#alerts). */
  consoleUrl: z.url().optional(),
  /** A raise or clear older than this is not sent (a hub back after a long stop does not send the past). */
  maxAgeMin: z.number().min(1).max(24 * 60).default(60),
  limits: z
    .strictObject({
      /** One message per recipient, kind and subject (counter, camera, site) within this; a clear of a raise they were told of is not held back. */
      perSubjectMin: z.number().min(0).max(24 * 60).default(30),
      /** At most this many messages per recipient in any hour. */
      perRecipientPerHour: z.number().int().min(1).max(1000).default(20),
    })
    .default({ perSubjectMin: 30, perRecipientPerHour: 20 }),
  retry: z
    .strictObject({
      maxAttempts: z.number().int().min(1).max(50).default(6),
      firstDelayS: z.number().min(0.1).default(30),
      maxDelayS: z.number().min(1).default(1800),
    })
    .default({ maxAttempts: 6, firstDelayS: 30, maxDelayS: 1800 }),
  webhooks: z.array(webhook).default([]),
  recipients: z.array(recipient).default([]),
})

export const alertsConfigSchema = z
  .strictObject({
    thresholds: thresholds.default(() => thresholds.parse({})),
    delivery: delivery.default(() => delivery.parse({})),
  })
  .superRefine((a, ctx) => {
    const hooks = new Set<string>()
    a.delivery.webhooks.forEach((w, i) => {
      if (hooks.has(w.id)) ctx.addIssue({ code: 'custom', path: ['delivery', 'webhooks', i, 'id'], message: `duplicate webhook "${w.id}"` })
      hooks.add(w.id)
    })
    const seen = new Set<string>()
    a.delivery.recipients.forEach((r, i) => {
      if (seen.has(r.id)) ctx.addIssue({ code: 'custom', path: ['delivery', 'recipients', i, 'id'], message: `duplicate recipient "${r.id}"` })
      seen.add(r.id)
      if (r.webhook && !hooks.has(r.webhook.id)) {
        ctx.addIssue({ code: 'custom', path: ['delivery', 'recipients', i, 'webhook', 'id'], message: `no webhook "${r.webhook.id}" in alerts.delivery.webhooks` })
      }
    })
  })

export type AlertsConfig = z.output<typeof alertsConfigSchema>
export type AlertDeliveryConfig = AlertsConfig['delivery']
export type AlertRecipient = AlertDeliveryConfig['recipients'][number]
export type AlertWebhook = AlertDeliveryConfig['webhooks'][number]

/** Alert emails go through the reports' SMTP server: sending them needs `reports.mail`. */
export function alertsAgainstMail(c: { alerts: AlertsConfig; reports: { mail?: unknown } }, ctx: z.RefinementCtx): void {
  const d = c.alerts.delivery
  if (d.send && c.reports.mail === undefined && d.recipients.some((r) => r.email !== undefined)) {
    ctx.addIssue({ code: 'custom', path: ['alerts', 'delivery', 'recipients'], message: 'alert emails go through "reports.mail": set it, or give these recipients a webhook only' })
  }
}

/** The detectors' thresholds from the config. */
export function alertThresholds(c: AlertsConfig['thresholds']): AlertThresholds {
  return {
    run: { count: c.runCount, windowMs: c.runWindowMin * MIN },
    lowIndex: { windowMs: c.lowIndexWindowMin * MIN, below: c.lowIndexBelow, minRatings: c.lowIndexMinRatings, clearMargin: c.lowIndexClearMargin },
    camera: { offlineAfterMs: c.cameraOfflineMin * MIN },
    edge: { silentAfterMs: c.edgeSilentMin * MIN, backlogAfterS: c.edgeBacklogMin * 60 },
    unstaffed: { graceMs: c.unstaffedGraceMin * MIN },
    overload: { waitMs: c.overloadWaitMin * MIN, queueLength: c.overloadQueue, keepRatio: c.overloadKeepRatio, abandonAfterMs: c.overloadAbandonMin * MIN },
    retainMs: T.retainMs,
  }
}
