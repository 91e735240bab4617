/**
 * The site directory: where each site sits (site → branch → province) and
 * the names people read. Placement comes from the hub config; the names of a
 * site's departments, counters and officers come from the directories its
 * edge sends (issue 15, hub/queries/names.ts). Shared by the KPI API,
 * reports and the console. Every lookup is synchronous and falls back to the
 * id when the name is unknown. A site that sends data but is not listed
 * belongs to the hub's province and to no branch, named by its edge (or its id).
 */
import { openingHoursSchema, type OpeningHours } from '../config/opening-hours.js'
import type { HubConfig } from '../config/schema.js'
import type { SitePlacement } from '../kpi/facts.js'
import { createSiteNames, type SiteNames } from './names.js'

export interface SiteInfo extends SitePlacement {
  id: string
  name: string
}

export interface NamedId {
  id: string
  name: string
}

export interface CounterInfo extends NamedId {
  /** The department the counter serves, or null when the site's edge has not sent its directory. */
  department: string | null
}

export interface Directory {
  readonly province: string
  /** Every site known from `sites` and `edges`, sorted by id. */
  readonly sites: readonly SiteInfo[]
  site(id: string): SiteInfo
  branchName(id: string): string
  /** Sites in a branch or province, for filters. */
  sitesWhere(filter: { province?: string; branch?: string }): string[]
  /** Names as of now from the site's edge; the id itself when unknown. */
  departmentName(site: string, department: string): string
  counterName(site: string, counter: string): string
  officerName(site: string, officer: string): string
  /** The site's current departments, counters and officers, in its config's order; empty before its edge sent them. */
  counters(site: string): CounterInfo[]
  departments(site: string): NamedId[]
  officers(site: string): NamedId[]
  /** When the site receives citizens: its own `openingHours` in the hub config, else the hub's (hub/config/opening-hours.ts). */
  openingHours(site: string): OpeningHours
  /**
   * What officer duty is checked against, from the site's latest directory: officers its config posts at a
   * counter who can sign in (a kiosk PIN), and the counters with a kiosk, where sign-in is possible at all.
   */
  dutySetup(site: string): { scheduled: string[]; kioskCounters: string[]; postedCounters: string[] }
}

/** `names` defaults to an empty store: every name is then its id (tests, tools without a database). */
export function createDirectory(
  config: Pick<HubConfig, 'province' | 'sites' | 'branches' | 'edges'> & Partial<Pick<HubConfig, 'openingHours'>>,
  names: SiteNames = createSiteNames(),
): Directory {
  const defaultHours = config.openingHours ?? openingHoursSchema.parse(undefined)
  const ownHours = new Map(config.sites.flatMap((s) => (s.openingHours ? [[s.id, s.openingHours] as const] : [])))
  const branches = new Map(config.branches.map((b) => [b.id, b]))
  const byId = new Map<string, SiteInfo>()
  const configured = new Set(config.sites.map((s) => s.id))
  for (const s of config.sites) {
    const branch = s.branch ?? null
    const province = s.province ?? (branch ? branches.get(branch)?.province : undefined) ?? config.province
    byId.set(s.id, { id: s.id, name: s.name, branch, province })
  }
  for (const e of config.edges) if (!byId.has(e.site)) byId.set(e.site, { id: e.site, name: e.site, branch: null, province: config.province })
  const sites = [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : 1))
  // The hub config names a site first; an unlisted site is named by its own edge.
  const named = (s: SiteInfo): SiteInfo => {
    if (configured.has(s.id)) return s
    const edgeName = names.latest(s.id)?.siteName
    return edgeName ? { ...s, name: edgeName } : s
  }
  const site = (id: string) => named(byId.get(id) ?? { id, name: id, branch: null, province: config.province })
  return {
    province: config.province,
    get sites() {
      return sites.map(named)
    },
    site,
    branchName: (id) => branches.get(id)?.name ?? id,
    sitesWhere: ({ province, branch }) =>
      sites.filter((s) => (province === undefined || s.province === province) && (branch === undefined || s.branch === branch)).map((s) => s.id),
    departmentName: (s, id) => names.name(s, 'department', id) ?? id,
    counterName: (s, id) => names.name(s, 'counter', id) ?? id,
    officerName: (s, id) => names.name(s, 'officer', id) ?? id,
    counters: (s) => (names.latest(s)?.counters ?? []).map((c) => ({ id: c.id, name: c.name, department: c.department })),
    departments: (s) => (names.latest(s)?.departments ?? []).map((d) => ({ id: d.id, name: d.name })),
    officers: (s) => (names.latest(s)?.officers ?? []).map((o) => ({ id: o.id, name: o.name })),
    openingHours: (s) => ownHours.get(s) ?? defaultHours,
    dutySetup(s) {
      const latest = names.latest(s)
      if (!latest) return { scheduled: [], kioskCounters: [], postedCounters: [] }
      const canSignIn = new Set(latest.officers.filter((o) => o.signIn).map((o) => o.id))
      const kioskCounters = latest.counters.filter((c) => c.kiosk)
      const scheduled = kioskCounters.flatMap((c) => (c.officer && canSignIn.has(c.officer) ? [c.officer] : []))
      // Kiosk counters the config posts a sign-in officer at: the ones meant to be staffed during opening hours (alerts).
      const postedCounters = kioskCounters.filter((c) => c.officer && canSignIn.has(c.officer)).map((c) => c.id)
      return { scheduled: [...new Set(scheduled)], kioskCounters: kioskCounters.map((c) => c.id), postedCounters }
    },
  }
}
