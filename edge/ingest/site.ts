import type { DeviceKind } from '../../protocol/messages.js'
import type { EdgeConfig } from '../config/schema.js'

type Named = { id: string; name: string }
export type CounterEntry = Named & { department: string; officer?: string | undefined }
export type DeviceEntry = { id: string; kind: DeviceKind; counter?: string | undefined; secretHash?: string }

/**
 * The site config indexed for per-message lookups: ingest runs for every
 * MQTT message, so lookups are Map hits rather than array scans.
 */
export interface SiteIndex {
  readonly config: Readonly<EdgeConfig>
  readonly id: string
  readonly counters: ReadonlyMap<string, CounterEntry>
  readonly departments: ReadonlyMap<string, Named>
  readonly officers: ReadonlyMap<string, EdgeConfig['officers'][number]>
  readonly devices: ReadonlyMap<string, DeviceEntry>
  readonly reasons: ReadonlySet<string>
}

export function buildSiteIndex(config: Readonly<EdgeConfig>): SiteIndex {
  const byId = <T extends { id: string }>(xs: readonly T[]) => new Map(xs.map((x) => [x.id, x]))
  return {
    config,
    id: config.site.id,
    counters: byId(config.counters),
    departments: byId(config.departments),
    officers: byId(config.officers),
    devices: byId(config.devices),
    reasons: new Set(config.reasons.map((r) => r.id)),
  }
}
