import type { DeviceConfigMessage } from '../../protocol/messages.js'
import { SCALES } from '../../protocol/scales.js'
import type { SiteIndex } from '../ingest/site.js'

/** What a counter's kiosk or button box needs to draw its screen; null for a device without a counter. */
export function deviceConfigFor(site: SiteIndex, counterId: string, officerId: string | null): DeviceConfigMessage | null {
  const counter = site.counters.get(counterId)
  const department = counter && site.departments.get(counter.department)
  if (!counter || !department) return null
  const officer = officerId ? site.officers.get(officerId) : undefined
  const { config } = site
  // Only officers with a PIN can sign in; those of another department do not serve this counter.
  const canSignIn = config.officers.filter((o) => o.pinHash && (!o.department || o.department === department.id))
  return {
    v: 1,
    site: { id: config.site.id, name: config.site.name },
    counter: { id: counter.id, name: counter.name },
    department: { id: department.id, name: department.name },
    scale: config.scale,
    labels: SCALES[config.scale].map((l) => ({ vi: l.vi, en: l.en })),
    reasons: config.reasons.map((r) => ({ id: r.id, vi: r.vi, en: r.en })),
    officer: officer ? { id: officer.id, name: officer.name } : null,
    ...(canSignIn.length ? { officers: canSignIn.map((o) => ({ id: o.id, name: o.name })) } : {}),
  }
}
