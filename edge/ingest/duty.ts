import type { SiteIndex } from './site.js'

export type DutyListener = (counter: string, officer: string | null) => void

/**
 * Who is on duty at each counter right now. Starts from the config's
 * `counters[].officer`; kiosk sign-in (issue 4) changes it at run time, and
 * listeners (the broker) republish the counter's device config.
 */
export class DutyRoster {
  private readonly onDuty = new Map<string, string | null>()
  private readonly listeners = new Set<DutyListener>()

  constructor(private readonly site: SiteIndex) {
    for (const c of site.counters.values()) this.onDuty.set(c.id, c.officer ?? null)
  }

  officerAt(counter: string): string | null {
    return this.onDuty.get(counter) ?? null
  }

  /** Returns false (and changes nothing) for an unknown counter or officer. */
  setOfficer(counter: string, officer: string | null): boolean {
    if (!this.site.counters.has(counter)) return false
    if (officer !== null && !this.site.officers.has(officer)) return false
    if (this.onDuty.get(counter) === officer) return true
    this.onDuty.set(counter, officer)
    for (const l of this.listeners) l(counter, officer)
    return true
  }

  onChange(listener: DutyListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}
