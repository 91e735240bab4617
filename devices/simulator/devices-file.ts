/**
 * Which boxes the CLI simulates. Either a devices file that holds the
 * secrets itself (for tests and benches), or the edge's own config plus a
 * secrets file, since the edge config keeps only the secrets' hashes.
 *
 *   # devices file                 # secrets file (id: secret), from npm run provision-device -- --secrets-file
 *   site: hcm-q1                   kiosk-q01: 3q2-...
 *   scale: 4                       btn-q02: Zx9...
 *   devices:
 *     - { id: kiosk-q01, counter: q01, kind: kiosk, secret: 3q2-... }
 */
import { readFileSync } from 'node:fs'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { ConfigError, relativeTo, validateConfig } from '../../common/config.js'
import { edgeConfigSchema } from '../../edge/config/schema.js'
import { idSchema } from '../../protocol/ids.js'
import { SCALE_SIZES, type ScaleSize } from '../../protocol/scales.js'
import type { SimDevice } from './box.js'

const scaleSchema = z.union(SCALE_SIZES.map((n) => z.literal(n)) as [z.ZodLiteral<3>, z.ZodLiteral<4>, z.ZodLiteral<5>])

export const devicesFileSchema = z.strictObject({
  site: idSchema,
  scale: scaleSchema.optional(),
  reasons: z.array(idSchema).optional(),
  devices: z
    .array(z.strictObject({ id: idSchema, counter: idSchema, kind: z.enum(['kiosk', 'button']), secret: z.string().min(1) }))
    .min(1),
})

const secretsFileSchema = z.record(idSchema, z.string().min(1))

export interface SimSetup {
  site: string
  scale?: ScaleSize
  reasons?: string[]
  devices: SimDevice[]
  /** From an edge config: its broker's CA (broker.tls.ca, resolved against the config), which mqtts:// and wss:// must trust. */
  caFile?: string
}

function readYaml(file: string): unknown {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new ConfigError(file, [`cannot read file: ${(err as Error).message}`])
  }
  try {
    return parseYaml(text)
  } catch (err) {
    throw new ConfigError(file, [`not valid YAML: ${(err as Error).message}`])
  }
}

/** Reads a devices file, or an edge config with its secrets file; queue systems are skipped (they do not rate). */
export function loadSimSetup(file: string, secretsFile?: string): SimSetup {
  const raw = readYaml(file)
  const isDevicesFile = typeof (raw as { site?: unknown } | null)?.site === 'string'
  if (isDevicesFile) {
    const f = validateConfig(file, raw, devicesFileSchema)
    return {
      site: f.site,
      ...(f.scale ? { scale: f.scale } : {}),
      ...(f.reasons ? { reasons: [...f.reasons] } : {}),
      devices: f.devices.map((d) => ({ ...d })),
    }
  }
  const edge = validateConfig(file, raw, edgeConfigSchema)
  if (!secretsFile) throw new ConfigError(file, ['an edge config holds only secret hashes: pass the secrets file too (--secrets)'])
  const secrets = validateConfig(secretsFile, readYaml(secretsFile), secretsFileSchema)
  const devices: SimDevice[] = []
  const missing: string[] = []
  for (const d of edge.devices) {
    if (d.kind === 'queue' || !d.counter) continue
    const secret = secrets[d.id]
    if (secret === undefined) missing.push(d.id)
    else devices.push({ id: d.id, counter: d.counter, kind: d.kind, secret })
  }
  if (missing.length > 0) throw new ConfigError(secretsFile, missing.map((id) => `${id}: no secret for this device`))
  if (devices.length === 0) throw new ConfigError(file, ['devices: no kiosk or button device to simulate'])
  const ca = edge.broker.tls?.ca
  return { site: edge.site.id, scale: edge.scale, reasons: edge.reasons.map((r) => r.id), devices, ...(ca ? { caFile: relativeTo(file)(ca) } : {}) }
}
