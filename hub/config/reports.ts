/**
 * The hub config's `reports` key (docs/reports.md): where Chromium is for
 * the PDF, and the scheduled delivery by email — the SMTP server, the
 * schedules with their recipients, when they go, and how failed sends are
 * tried again.
 */
import { z } from 'zod'
import { idSchema } from '../../protocol/ids.js'

const email = z.email()

/** The SMTP server reports are sent through. The password only from a file in production (`passwordFile`, read at load). */
const mail = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(587),
  /** true: TLS from the first byte (port 465); false: STARTTLS when the server offers it. */
  secure: z.boolean().default(false),
  /** Refuse to send unless the connection is encrypted (STARTTLS required). */
  requireTls: z.boolean().default(false),
  user: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
  /** Read at load (hub/config/load.ts) into `password`, which it then replaces. */
  passwordFile: z.string().min(1).optional(),
  /** The sender: "Trung tâm PVHCC <bao-cao@example.gov.vn>" or a bare address. */
  from: z.string().min(3),
  /** A CA file to trust for the server's certificate (a province's own CA). */
  ca: z.string().min(1).optional(),
})

/** What a scheduled report covers: the province, a branch, a site, or one department across the province. */
const scope = z.discriminatedUnion('level', [
  z.strictObject({ level: z.literal('province') }),
  z.strictObject({ level: z.literal('branch'), id: z.union([idSchema, z.literal('-')]) }),
  z.strictObject({ level: z.literal('site'), id: idSchema }),
  z.strictObject({ level: z.literal('department'), id: idSchema }),
])

const schedule = z.strictObject({
  id: idSchema,
  /** month: on the 1st for the previous month; quarter, half, year: on the 1st day after each ends. */
  unit: z.enum(['month', 'quarter', 'half', 'year']),
  scope,
  to: z.array(email).min(1),
  /** The officers' sheet goes only where the recipients may see officers' figures. */
  officers: z.boolean().default(false),
  formats: z.array(z.enum(['xlsx', 'pdf'])).min(1).default(['xlsx', 'pdf']),
})

export const reportsConfigSchema = z
  .strictObject({
    /** Chromium for PDF reports; without it the hub answers HUB_REPORT_PDF_UNAVAILABLE for PDFs and sends Excel only. */
    chromium: z.string().min(1).default('/usr/bin/chromium'),
    pdfTimeoutS: z.number().int().min(5).default(120),
    /**
     * Reports one instance makes at once, and how many more wait their turn; past that a download is refused
     * (HUB_REPORTS_BUSY, 503 with retry-after). A province's quarter holds ~50 MB of the hub while it is made.
     */
    atOnce: z.number().int().min(1).max(8).default(2),
    waiting: z.number().int().min(0).max(100).default(8),
    mail: mail.optional(),
    /**
     * Whether this instance sends the schedules. Hub instances share nothing but the database: turn it on for
     * one instance per province (the delivery log in the database keeps a restart from sending twice).
     */
    deliver: z.boolean().default(false),
    /** Local time (Asia/Ho_Chi_Minh) on the first day after a period at which its report goes. */
    sendAt: z.strictObject({ hour: z.number().int().min(0).max(23), minute: z.number().int().min(0).max(59) }).default({ hour: 7, minute: 0 }),
    schedules: z.array(schedule).default([]),
    retry: z
      .strictObject({
        maxAttempts: z.number().int().min(1).max(50).default(8),
        firstDelayS: z.number().min(0.1).default(60),
        maxDelayS: z.number().min(1).default(6 * 3600),
      })
      .default({ maxAttempts: 8, firstDelayS: 60, maxDelayS: 6 * 3600 }),
    /** How often the schedule is looked at. */
    checkEveryS: z.number().min(0.05).default(60),
  })
  .refine((r) => !r.deliver || r.mail !== undefined, { message: 'delivering reports ("deliver": true) needs "mail"', path: ['mail'] })
  .superRefine((r, ctx) => {
    const seen = new Set<string>()
    r.schedules.forEach((s, i) => {
      if (seen.has(s.id)) ctx.addIssue({ code: 'custom', path: ['schedules', i, 'id'], message: `duplicate schedule "${s.id}"` })
      seen.add(s.id)
    })
  })

export const REPORTS_DEFAULTS = reportsConfigSchema.parse({})

export type ReportsConfig = z.output<typeof reportsConfigSchema>
export type ReportSchedule = ReportsConfig['schedules'][number]
export type MailConfig = NonNullable<ReportsConfig['mail']>
