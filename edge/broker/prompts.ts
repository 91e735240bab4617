import type { PromptMessage } from '../../protocol/messages.js'
import { topics } from '../../protocol/topics.js'
import type { NewRecord } from '../outbox/types.js'
import type { SiteIndex } from '../ingest/site.js'

/**
 * A ticket called to a counter invites the citizen to rate it: one prompt to
 * each kiosk of that counter (button boxes have no screen to show it on).
 */
export function promptsFor(site: SiteIndex, record: NewRecord): { topic: string; body: PromptMessage }[] {
  if (record.kind !== 'ticket' || record.event !== 'called') return []
  const out: { topic: string; body: PromptMessage }[] = []
  for (const device of site.devices.values()) {
    if (device.kind !== 'kiosk' || device.counter !== record.counter) continue
    out.push({ topic: topics.down(site.id, record.counter, device.id, 'prompt'), body: { v: 1, ticket: record.ticket, ts: record.edgeTs } })
  }
  return out
}
