/**
 * The published results (seed 002 §9, "Kết quả đánh giá được công khai"):
 * this month's Decision 766 satisfaction component per site and per
 * department at each site, as the public page and the lobby display show
 * them. Pure. Officers are never part of it: the figures are grouped by site
 * and department only, and only names of sites and departments are looked up.
 */
import type { Satisfaction766 } from '../kpi/decision766.js'
import type { RatingGroup } from '../kpi/ratings.js'
import type { PeriodBucket } from '../kpi/time.js'
import type { NamedId } from '../queries/directory.js'

export interface PublicFigure {
  /** Rated dossiers: presses without a misuse flag. */
  rated: number
  /** Share of rated dossiers not dissatisfied, 0–1; null when none was rated. */
  rate: number | null
  /** Decision 766 points out of 6; null when none was rated. */
  points: number | null
}

export interface PublicDepartment extends NamedId {
  figure: PublicFigure
}

export interface PublicSite extends NamedId {
  figure: PublicFigure
  departments: PublicDepartment[]
}

export interface PublicView {
  period: PeriodBucket
  /** When the figures were read, ms. */
  computedAt: number
  sites: PublicSite[]
}

export interface PublicViewInput {
  period: PeriodBucket
  computedAt: number
  /** The sites shown, in order. */
  sites: readonly NamedId[]
  /** The period's groups by site, and by site and department (queryRatingKpisBy). */
  bySite: readonly RatingGroup[]
  byDepartment: readonly RatingGroup[]
  /** The site's departments as its edge names them (shown even before their first rating). */
  departmentsOf(site: string): readonly NamedId[]
  departmentName(site: string, department: string): string
}

const NONE: PublicFigure = { rated: 0, rate: null, points: null }
const figureOf = (s: Satisfaction766): PublicFigure => ({ rated: s.rated, rate: s.rate, points: s.points })

export function publicView(input: PublicViewInput): PublicView {
  const siteFigures = new Map<string, PublicFigure>()
  for (const g of input.bySite) if (g.key.site) siteFigures.set(g.key.site, figureOf(g.kpis.decision766))
  const departmentFigures = new Map<string, Map<string, PublicFigure>>()
  for (const g of input.byDepartment) {
    const { site, department } = g.key
    if (!site || !department) continue
    let m = departmentFigures.get(site)
    if (!m) departmentFigures.set(site, (m = new Map()))
    m.set(department, figureOf(g.kpis.decision766))
  }
  const byName = (a: NamedId, b: NamedId) => a.name.localeCompare(b.name, 'vi') || (a.id < b.id ? -1 : 1)
  const sites = input.sites.map((s): PublicSite => {
    const figures = departmentFigures.get(s.id) ?? new Map<string, PublicFigure>()
    const ids = new Set([...input.departmentsOf(s.id).map((d) => d.id), ...figures.keys()])
    const departments = [...ids]
      .map((id) => ({ id, name: input.departmentName(s.id, id), figure: figures.get(id) ?? NONE }))
      .sort(byName)
    return { id: s.id, name: s.name, figure: siteFigures.get(s.id) ?? NONE, departments }
  })
  return { period: input.period, computedAt: input.computedAt, sites }
}

/** The lobby shows a few departments at a time, in turn: page `page` (wrapping) of `size`. */
export function lobbyPage<T>(items: readonly T[], page: number, size: number): { items: T[]; page: number; pages: number } {
  const pages = Math.max(1, Math.ceil(items.length / size))
  const p = ((Math.floor(page) % pages) + pages) % pages
  return { items: items.slice(p * size, p * size + size), page: p, pages }
}
