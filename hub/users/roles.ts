/**
 * What each console role may see (pure). The server checks these on every
 * route and WebSocket; the page only hides what the server would refuse.
 */
import type { Role } from '../config/schema.js'

export interface Principal {
  username: string
  name: string
  role: Role
  /** Sites a supervisor is posted to; undefined for roles that see every site. */
  sites?: readonly string[]
}

const seesAllSites = (p: Principal) => p.role !== 'supervisor'

export function canSeeMetrics(p: Principal, site: string): boolean {
  return seesAllSites(p) || (p.sites ?? []).includes(site)
}

/** The IOC consumes metrics; watching people is for inspectors, the site's own supervisors and admins. */
export function canWatch(p: Principal, site: string): boolean {
  return p.role !== 'ioc' && canSeeMetrics(p, site)
}

export const canReadAudit = (p: Principal) => p.role === 'admin'

/**
 * A complaint's comment, the citizen's phone number and the notes of its case (issue 16, docs/complaints.md) are for
 * the people who handle it: the site's own supervisors and Home Affairs inspectors, who also act on cases. The IOC
 * and administrators see the cases' clocks, not what the citizen wrote or how to call them.
 */
export const canSeeComplaintDetails = (p: Principal, site: string): boolean =>
  p.role === 'inspector' || (p.role === 'supervisor' && (p.sites ?? []).includes(site))

/**
 * Officers' own figures (ratings per officer: an evaluation of a person, seed 004 IV.3.e) are for Home Affairs
 * inspectors, the site's own supervisors and admins; the IOC gets the figures of counters, departments and sites.
 */
export const canSeeOfficers = (p: Principal, site: string): boolean => p.role !== 'ioc' && canSeeMetrics(p, site)

/** Sites the principal may see, out of a list; undefined means "no restriction" for query filters. */
export function siteScope(p: Principal): readonly string[] | undefined {
  return seesAllSites(p) ? undefined : (p.sites ?? [])
}

/**
 * Recorded video and snapshots (issue 17) are evidence about people: for Home Affairs inspectors (every site) and
 * the site's own supervisors. Not the IOC (metrics only) and not administrators, who run the system and read the
 * audit log of who watched: the one who checks the watching is not also a watcher.
 */
export const canWatchRecordings = (p: Principal, site: string): boolean =>
  p.role === 'inspector' || (p.role === 'supervisor' && (p.sites ?? []).includes(site))
