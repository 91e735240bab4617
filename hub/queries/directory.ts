/**
 * The site directory: where each site sits (site → branch → province) and
 * the names people read. Built from the hub config, shared by the KPI API,
 * reports and the console. A site that sends data but is not listed belongs
 * to the hub's province and to no branch, named by its id.
 */
import type { HubConfig } from '../config/schema.js'
import type { SitePlacement } from '../kpi/facts.js'

export interface SiteInfo extends SitePlacement {
  id: string
  name: string
}

export interface Directory {
  readonly province: string
  /** Every site known from `sites` and `edges`, sorted by id. */
  readonly sites: readonly SiteInfo[]
  site(id: string): SiteInfo
  branchName(id: string): string
  /** Sites in a branch or province, for filters. */
  sitesWhere(filter: { province?: string; branch?: string }): string[]
}

export function createDirectory(config: Pick<HubConfig, 'province' | 'sites' | 'branches' | 'edges'>): Directory {
  const branches = new Map(config.branches.map((b) => [b.id, b]))
  const byId = new Map<string, SiteInfo>()
  for (const s of config.sites) {
    const branch = s.branch ?? null
    const province = s.province ?? (branch ? branches.get(branch)?.province : undefined) ?? config.province
    byId.set(s.id, { id: s.id, name: s.name, branch, province })
  }
  for (const e of config.edges) if (!byId.has(e.site)) byId.set(e.site, fallback(e.site))
  const sites = [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : 1))
  function fallback(id: string): SiteInfo {
    return { id, name: id, branch: null, province: config.province }
  }
  return {
    province: config.province,
    sites,
    site: (id) => byId.get(id) ?? fallback(id),
    branchName: (id) => branches.get(id)?.name ?? id,
    sitesWhere: ({ province, branch }) =>
      sites.filter((s) => (province === undefined || s.province === province) && (branch === undefined || s.branch === branch)).map((s) => s.id),
  }
}
