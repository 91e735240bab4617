/**
 * Names of departments, counters and officers for reports and the console.
 * The site directory learns them from the edges (issue 15, names directory);
 * until a name is known, or on a hub whose directory cannot name them, the
 * id is shown.
 */
import type { Directory } from '../queries/directory.js'

interface NameLookups {
  departmentName(site: string, department: string): string
  counterName(site: string, counter: string): string
  officerName(site: string, officer: string): string
}

export interface Names {
  site(id: string): string
  branch(id: string): string
  department(site: string, id: string): string
  counter(site: string, id: string): string
  officer(site: string, id: string): string
}

export function namesOf(dir: Directory): Names {
  const known = dir as Directory & Partial<NameLookups>
  return {
    site: (id) => dir.site(id).name,
    branch: (id) => dir.branchName(id),
    department: (site, id) => known.departmentName?.(site, id) ?? id,
    counter: (site, id) => known.counterName?.(site, id) ?? id,
    officer: (site, id) => known.officerName?.(site, id) ?? id,
  }
}
