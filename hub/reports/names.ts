/**
 * Names of sites, branches, departments, counters and officers for reports
 * and the console, from the site directory (hub/queries/directory.ts: the
 * names the edges send; the id until one is known).
 */
import type { Directory } from '../queries/directory.js'

export interface Names {
  site(id: string): string
  branch(id: string): string
  department(site: string, id: string): string
  counter(site: string, id: string): string
  officer(site: string, id: string): string
}

export function namesOf(dir: Directory): Names {
  return {
    site: (id) => dir.site(id).name,
    branch: (id) => dir.branchName(id),
    department: (site, id) => dir.departmentName(site, id),
    counter: (site, id) => dir.counterName(site, id),
    officer: (site, id) => dir.officerName(site, id),
  }
}
