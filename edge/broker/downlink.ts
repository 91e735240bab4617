import { parseTopic } from '../../protocol/topics.js'
import type { DeviceEntry, SiteIndex } from '../ingest/site.js'

/**
 * The counter level of a device's downlink topics: its own counter, or for a
 * queue system (which serves every counter) the counter it just published
 * under, when that is a counter of this site.
 */
export function downlinkCounter(device: DeviceEntry, topic: string, site: SiteIndex): string | null {
  if (device.counter) return device.counter
  const parsed = parseTopic(topic)
  if (!parsed || !('counter' in parsed) || parsed.site !== site.id) return null
  return site.counters.has(parsed.counter) ? parsed.counter : null
}
