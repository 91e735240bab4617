/** The period picker the drill-down and the duty view share: a unit (day … year) and the current or a past period of it. */
import { PERIOD_UNITS, type PeriodUnit } from '../../kpi/time.js'
import { recentPeriods } from '../../queries/periods.js'
import { periodTitle } from '../../reports/period-title.js'
import type { TextKey } from '../i18n.js'
import { el, state, tr } from './dom.js'

export interface PeriodChoice {
  unit: PeriodUnit
  /** A past period's label ("2026-Q3"), or null for the current one. */
  at: string | null
}

/** Two selects, `#{prefix}-unit` and `#{prefix}-at`; a new unit starts at its current period. */
export function periodPicker(prefix: string, current: PeriodChoice, changed: (c: PeriodChoice) => void): HTMLSelectElement[] {
  const unitSel = el('select')
  unitSel.id = `${prefix}-unit`
  unitSel.setAttribute('aria-label', tr('period'))
  for (const u of PERIOD_UNITS) {
    const o = el('option', undefined, tr(`unit_${u}` as TextKey))
    o.value = u
    o.selected = u === current.unit
    unitSel.append(o)
  }
  unitSel.onchange = () => changed({ unit: unitSel.value as PeriodUnit, at: null })
  const atSel = el('select')
  atSel.id = `${prefix}-at`
  atSel.setAttribute('aria-label', tr('period'))
  recentPeriods(current.unit, Date.now(), 12).forEach((b, i) => {
    const o = el('option', undefined, i === 0 ? `${tr(current.unit)} (${periodTitle(b, state.lang)})` : periodTitle(b, state.lang))
    o.value = i === 0 ? '' : b.label
    o.selected = (current.at ?? '') === o.value
    atSel.append(o)
  })
  atSel.onchange = () => changed({ unit: current.unit, at: atSel.value || null })
  return [unitSel, atSel]
}
