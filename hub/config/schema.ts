/** The hub's config file: where it listens, which InfluxDB it writes to, and which edges may write. */
import { z } from 'zod'
import { idSchema } from '../../protocol/ids.js'

const tokenHash = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'a token hash "sha256:<64 hex digits>"')

const influx1 = z.strictObject({
  version: z.literal(1),
  url: z.url(),
  database: z.string().min(1).default('motcua'),
  username: z.string().optional(),
  password: z.string().optional(),
  /** Retention policy to write to; default is the database's default. */
  retentionPolicy: z.string().optional(),
})

const influx2 = z.strictObject({
  version: z.literal(2),
  url: z.url(),
  org: z.string().min(1),
  bucket: z.string().min(1),
  token: z.string().default(''),
})

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
  retryAfterS: z.number().int().min(1).default(5),
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
})

export type HubConfig = z.output<typeof hubConfigSchema>
