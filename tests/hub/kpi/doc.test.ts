import { describe, expect, it } from 'vitest'
import { ALERT_KINDS, DEFAULT_ALERT_THRESHOLDS as T } from '../../../hub/kpi/alerts/types.js'
import { DECISION_766 } from '../../../hub/kpi/decision766.js'
import { PERIOD_UNITS } from '../../../hub/kpi/time.js'
import { readDoc, tableAfter } from '../../support/markdown.js'

const doc = readDoc('docs/kpi.md')
const MIN = 60_000
const minutes = (ms: number) => `${ms / MIN} min`

describe('docs/kpi.md is in step with hub/kpi/', () => {
  it('states the Decision 766 constants the code uses', () => {
    const rows = Object.fromEntries(tableAfter(doc, '**Our reading.**').map((r) => [r[0], r[1]]))
    expect(rows).toEqual({
      'maximum points': String(DECISION_766.maxPoints),
      'full-points rate': `${DECISION_766.fullRateTenths * 10} %`,
    })
  })

  it('lists the alert defaults the code uses', () => {
    const rows = Object.fromEntries(tableAfter(doc, '### Alert defaults').map((r) => [r[0], r[1]]))
    expect(rows).toEqual({
      'run count': String(T.run.count),
      'run window': minutes(T.run.windowMs),
      'low-index window': minutes(T.lowIndex.windowMs),
      'low-index threshold': String(T.lowIndex.below),
      'low-index minimum ratings': String(T.lowIndex.minRatings),
      'low-index clear margin': String(T.lowIndex.clearMargin),
      'camera offline grace': minutes(T.camera.offlineAfterMs),
      'edge silent after': minutes(T.edge.silentAfterMs),
      'edge backlog after': minutes(T.edge.backlogAfterS * 1000),
      'retention after clear and acknowledgement': `${T.retainMs / (24 * 60 * MIN)} days`,
    })
  })

  it('describes every alert kind and every period unit', () => {
    expect(tableAfter(doc, '## Alerts').map((r) => r[0])).toEqual([...ALERT_KINDS])
    expect(tableAfter(doc, '## Periods').map((r) => r[0])).toEqual([...PERIOD_UNITS, 'live'])
  })
})
