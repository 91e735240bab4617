/**
 * Who may publish and subscribe where (docs/protocol.md, "Access control").
 * Pure: the broker asks, ingest enforces before it looks at the payload.
 */
import { DOWNLINK_KINDS, TOPIC_ROOT, topics, type ParsedTopic } from '../../protocol/topics.js'
import type { ErrorCode } from '../../common/errors.js'
import type { DeviceEntry, SiteIndex } from './site.js'

export interface Refusal {
  code: ErrorCode
  message: string
}

/** null when `device` (null = anonymous) may publish to the parsed topic. */
export function checkPublish(parsed: ParsedTopic, device: DeviceEntry | null, site: SiteIndex): Refusal | null {
  const forbidden = (why: string): Refusal => ({ code: 'EDGE_TOPIC_FORBIDDEN', message: why })
  if (!device) return forbidden('anonymous clients may not publish')
  if (parsed.site !== site.id) return forbidden(`topic is for site "${parsed.site}", this edge serves "${site.id}"`)
  if (parsed.kind === 'down' || parsed.kind === 'alert' || parsed.kind === 'edge-status' || parsed.kind === 'camera-state')
    return forbidden('downlink, alert, edge and camera topics are published by the edge only')
  if (!site.counters.has(parsed.counter)) return forbidden(`counter "${parsed.counter}" is not configured at this site`)
  if ((parsed.kind === 'status' || parsed.kind === 'heartbeat') && parsed.device !== device.id)
    return forbidden(`a device publishes only its own ${parsed.kind}, not that of "${parsed.device}"`)
  if (device.kind === 'queue') {
    return parsed.kind === 'rating' || parsed.kind === 'officer' || parsed.kind === 'complaint' ? forbidden(`a queue system does not publish ${parsed.kind} messages`) : null
  }
  if (parsed.kind === 'ticket') return forbidden(`a ${device.kind} does not publish queue tickets`)
  if (parsed.kind === 'officer' && device.kind !== 'kiosk') return forbidden('only a kiosk signs officers in and out')
  if (parsed.kind === 'complaint' && device.kind !== 'kiosk') return forbidden('only a kiosk takes a citizen\'s complaint')
  if (parsed.counter !== device.counter)
    return forbidden(`device "${device.id}" serves counter "${device.counter}", not "${parsed.counter}"`)
  return null
}

/**
 * A device subscribes to its own downlink only (all of it, or its config or
 * error topic); a queue system, which serves every counter, may use any
 * counter level (or "+"). Anonymous clients (only with allowAnonymous, for
 * local dashboards) may read the site's topics.
 */
export function checkSubscribe(filter: string, device: DeviceEntry | null, site: SiteIndex): boolean {
  if (!device) return filter.startsWith(`${TOPIC_ROOT}/${site.id}/`)
  let counter = device.counter
  if (device.kind === 'queue') {
    const level = filter.split('/')[3] ?? ''
    counter = level === '+' || site.counters.has(level) ? level : undefined
  }
  if (!counter) return false
  return (
    filter === topics.downAll(site.id, counter, device.id) ||
    DOWNLINK_KINDS.some((kind) => filter === topics.down(site.id, counter, device.id, kind))
  )
}
