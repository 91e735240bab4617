/** The hub's config file: where it listens, which InfluxDB it writes to, and which edges may write. */
import { z } from 'zod'
import { idSchema } from '../../protocol/ids.js'
import { CASES_DEFAULTS, casesConfigSchema } from '../cases/config.js'
import { isProxyEntry } from '../../common/web/forwarded.js'
import { openingHoursSchema } from './opening-hours.js'
import { REPORTS_DEFAULTS, reportsConfigSchema } from './reports.js'
import { RETENTION_DEFAULTS, retentionAgainstSessions, retentionConfigSchema } from './retention.js'
import { alertsAgainstMail, alertsConfigSchema } from './alerts.js'

const tokenHash = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'a token hash "sha256:<64 hex digits>"')

const influx1 = z.strictObject({
  version: z.literal(1),
  url: z.url(),
  database: z.string().min(1).default('motcua'),
  username: z.string().optional(),
  password: z.string().optional(),
  /** Retention policy to write to; default is the database's default. */
  retentionPolicy: z.string().optional(),
  /** Retention policy of the daily KPI rollup (hub/rollup; default `motcua_rollup`); the hub creates it when it may. */
  rollupRetentionPolicy: z.string().regex(/^[A-Za-z0-9_]+$/).optional(),
})

const influx2 = z.strictObject({
  version: z.literal(2),
  url: z.url(),
  org: z.string().min(1),
  bucket: z.string().min(1),
  token: z.string().default(''),
})

const displayName = z.string().min(1).max(200)

/** Where a site sits in the province; read by the KPI API and the console alike. */
const siteEntry = z.strictObject({
  id: idSchema,
  name: displayName,
  /** Branch id, or absent for the main Center or a site in no branch. */
  branch: idSchema.optional(),
  /** Defaults to the hub's `province`. */
  province: idSchema.optional(),
  /** When this site receives citizens, if not the hub's `openingHours` (hub/config/opening-hours.ts). */
  openingHours: openingHoursSchema.optional(),
})

const branchEntry = z.strictObject({ id: idSchema, name: displayName, province: idSchema.optional() })

/**
 * A consumer of the KPI API (the IOC, a site's own display). `ioc` sees every
 * site; `site` sees only the listed sites.
 */
const apiKey = z
  .strictObject({
    id: idSchema,
    keyHash: tokenHash,
    scope: z.enum(['ioc', 'site']),
    sites: z.array(idSchema).min(1).optional(),
    /** May read officers' own duty figures (hours, lateness, absence; GET /api/v1/duty): an HR tool, not the IOC's wall. */
    officers: z.boolean().default(false),
    /** May pull live camera streams (GET /api/v1/live, docs/recordings.md): the Home Affairs monitoring system, not a KPI display. */
    video: z.boolean().default(false),
  })
  .refine((k) => k.scope === 'ioc' || k.sites !== undefined, { message: 'a site-scoped key needs "sites"', path: ['sites'] })

const uniqueIds = <T extends { id: string }>(what: string) => (list: T[], ctx: z.RefinementCtx) => {
  const seen = new Set<string>()
  list.forEach((e, i) => {
    if (seen.has(e.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate ${what} "${e.id}"` })
    seen.add(e.id)
  })
}

export const ROLES = ['ioc', 'inspector', 'supervisor', 'admin'] as const
export type Role = (typeof ROLES)[number]

/**
 * A person who signs in to the province console (hub/console). IOC operator:
 * metrics only; Home Affairs inspector: every site's video and metrics; site
 * supervisor: video and metrics of `sites` only; admin: everything and the
 * audit log. Passwords only as scrypt hashes (common/secrets.ts hashPassword; docs/console.md shows the one-liner).
 */
const consoleUser = z
  .strictObject({
    username: idSchema,
    name: displayName,
    role: z.enum(ROLES),
    sites: z.array(idSchema).min(1).optional(),
    passwordHash: z.string().regex(/^scrypt:(\d+:)?[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/, 'a scrypt hash "scrypt:<cost>:<salt>:<hash>"'),
  })
  .refine((u) => u.role !== 'supervisor' || u.sites !== undefined, { message: 'a site supervisor needs "sites"', path: ['sites'] })

export const hubConfigSchema = z.strictObject({
  http: z
    .strictObject({
      host: z.string().default('0.0.0.0'),
      port: z.number().int().min(0).max(65535).default(8443),
      /** Without tls the hub speaks plain HTTP; only for a TLS-terminating proxy in front. */
      tls: z.strictObject({ cert: z.string().min(1), key: z.string().min(1) }).optional(),
      maxBodyBytes: z.number().int().min(1024).default(16 * 1024 * 1024),
    })
    .default({ host: '0.0.0.0', port: 8443, maxBodyBytes: 16 * 1024 * 1024 }),
  influx: z.discriminatedUnion('version', [influx1, influx2]),
  /** Writes in flight at once; past it edges get 503 + Retry-After. */
  maxConcurrentWrites: z.number().int().min(1).default(8),
  /**
   * How long an uploaded batch that finds every write slot taken waits for
   * one (at most maxConcurrentWrites wait at once) before its 503; 0: never.
   * Well under the edge's request timeout (15 s by default).
   */
  writeSlotWaitMs: z.number().int().min(0).max(10_000).default(2000),
  retryAfterS: z.number().int().min(1).default(5),
  /** A record later than the hub's clock plus this is refused (HUB_RECORD_FUTURE): one future point would freeze the live stream. */
  maxFutureSkewS: z.number().int().min(0).default(300),
  edges: z
    .array(z.strictObject({ site: idSchema, tokenHash }))
    .min(1)
    .superRefine((edges, ctx) => {
      const seen = new Set<string>()
      edges.forEach((e, i) => {
        if (seen.has(e.site)) ctx.addIssue({ code: 'custom', path: [i, 'site'], message: `duplicate site "${e.site}"` })
        seen.add(e.site)
      })
    }),
  /**
   * KPI API event streams (hub/api/stream.ts, docs/api.md "Live stream"): how many one key and the whole
   * instance may hold open (past it 429 HUB_STREAM_LIMIT with retry-after), and when a client that does not
   * read is dropped: its unsent bytes past `maxBufferedBytes`, or no drain for `stallS` (issue 11, finding 5).
   */
  streams: z
    .strictObject({
      maxPerKey: z.number().int().min(1).default(5),
      maxTotal: z.number().int().min(1).default(200),
      maxBufferedBytes: z.number().int().min(256 * 1024).default(1024 * 1024),
      stallS: z.number().int().min(1).default(30),
      retryAfterS: z.number().int().min(1).default(30),
    })
    .default({ maxPerKey: 5, maxTotal: 200, maxBufferedBytes: 1024 * 1024, stallS: 30, retryAfterS: 30 }),
  /** The province this hub serves; sites without their own `province` belong to it. */
  province: idSchema.default('province'),
  sites: z.array(siteEntry).default([]).superRefine(uniqueIds('site')),
  /** When sites receive citizens, for officer duty (issue 15): Mon–Fri 07:30–11:30, 13:30–17:00 unless set; a site may set its own. */
  openingHours: openingHoursSchema,
  branches: z.array(branchEntry).default([]).superRefine(uniqueIds('branch')),
  apiKeys: z.array(apiKey).default([]).superRefine(uniqueIds('API key')),
  users: z
    .array(consoleUser)
    .default([])
    .superRefine((list, ctx) => uniqueIds('user')(list.map((u) => ({ ...u, id: u.username })), ctx)),
  /** Key that signs console session cookies; every hub instance needs the same one. Prefer sessionSecretFile. */
  sessionSecret: z.string().min(32).optional(),
  sessionSecretFile: z.string().optional(),
  /** A console session ends this long after sign-in, or after this long without a request. */
  sessionTtlS: z.number().int().min(1).default(8 * 3600),
  sessionIdleS: z.number().int().min(1).default(30 * 60),
  /**
   * Bearer token Prometheus sends for /metrics (issue 11, finding 10: it counts who watches cameras).
   * Without one, /metrics answers only clients on this machine.
   */
  metricsToken: z.string().min(16).optional(),
  /**
   * Addresses or CIDR ranges of the reverse proxies in front of this hub (docs/haproxy.md). Only their
   * X-Forwarded-For / X-Forwarded-Proto are believed: the client's address then reaches sign-in throttling,
   * logs and the audit log, and its scheme secure cookies and HSTS (common/web/forwarded.ts).
   */
  trustedProxies: z.array(z.string().refine(isProxyEntry, 'an IP address or CIDR range ("10.0.0.5", "10.0.0.0/24", "::1")')).default([]),
  /**
   * The other hub instances of the province, as they reach each other (http://10.0.0.12:8080): the console's
   * camera list asks them for the cameras whose edge tunnels they hold (hub/console/peer-cameras.ts).
   */
  peers: z.array(z.url()).default([]),
  /** Report files and their scheduled delivery by email (hub/config/reports.ts, docs/reports.md). */
  reports: reportsConfigSchema.default(REPORTS_DEFAULTS),
  /** Alert thresholds and the delivery of alerts by email and webhook (hub/config/alerts.ts, docs/alerts.md). */
  alerts: alertsConfigSchema.default(() => alertsConfigSchema.parse({})),
  /** How long each class of data is kept, and the daily sweep (hub/config/retention.ts, docs/retention.md). */
  retention: retentionConfigSchema.default(RETENTION_DEFAULTS),
  /** Complaint cases: the working-day calendar of their deadlines and the deadline alert (hub/cases/config.ts, docs/complaints.md). */
  cases: casesConfigSchema.default(CASES_DEFAULTS),
}).refine((c) => c.users.length === 0 || c.sessionSecret !== undefined || c.sessionSecretFile !== undefined, {
  message: 'console users need "sessionSecret" or "sessionSecretFile" (the same on every hub instance)',
  path: ['sessionSecretFile'],
}).superRefine(retentionAgainstSessions).superRefine(alertsAgainstMail)

export type HubConfig = z.output<typeof hubConfigSchema>
