/**
 * Retention of complaint cases (docs/retention.md, class `cases`): a case
 * closed before the cutoff goes whole, its complaint point (the citizen's
 * comment and phone number) and its `case_event` points (notes); an open case
 * stays however old it is, since it is still being handled. Points are
 * deleted one by one at their exact time and tags: the case key is a field
 * (tags hold no per-event value, docs/influx-schema.md), and DELETE reads
 * tags and time only. Run by the daily sweep (hub/retention/sweeper.ts),
 * complaints before events, so a sweep cut short is finished by the next.
 */
import type { InfluxQuery, Series } from '../queries/client.js'
import { quote } from '../queries/influxql.js'
import { CASE_EVENT_MEASUREMENT, COMPLAINT_MEASUREMENT } from './store.js'

const iso = (ms: number) => `'${new Date(ms).toISOString()}'`
const caseKey = (site: string, id: string) => `${site}\n${id}`

/** Cases closed before the cutoff (their `closed` event's time). */
export const closedBeforeStatement = (cutoffMs: number): string =>
  `SELECT "case" FROM "${CASE_EVENT_MEASUREMENT}" WHERE "event" = 'closed' AND time < ${iso(cutoffMs)} GROUP BY "site"`

/** Every point of the measurement with its tags, its case key and its time in RFC 3339 nanoseconds. */
export const pointsStatement = (measurement: string): string =>
  `SELECT "${measurement === COMPLAINT_MEASUREMENT ? 'event_id' : 'case'}" FROM "${measurement}" GROUP BY *`

/** Pure: one point's DELETE, by all its tags and its exact time. */
export function deletePoint(measurement: string, tags: Readonly<Record<string, string>>, timeNs: string): string {
  const where = Object.entries(tags).filter(([, v]) => v !== '').map(([k, v]) => `"${k}" = ${quote(v)}`)
  return `DELETE FROM "${measurement}" WHERE ${[...where, `time >= ${quote(timeNs)}`, `time <= ${quote(timeNs)}`].join(' AND ')}`
}

/** Pure: the DELETEs of the points (GROUP BY * answer, ns times) whose case is in `closed`. */
export function caseDeletes(measurement: string, points: readonly Series[], closed: ReadonlySet<string>): string[] {
  return points.flatMap((s) => {
    const tags = s.tags ?? {}
    return s.values.flatMap(([time, id]) =>
      typeof time === 'string' && typeof id === 'string' && closed.has(caseKey(tags.site ?? '', id)) ? [deletePoint(measurement, tags, time)] : [])
  })
}

/** The DELETE statements of one measurement of the `cases` class at this cutoff. */
export async function closedCaseDeletes(db: InfluxQuery, measurement: string, cutoffMs: number): Promise<string[]> {
  const [closedSeries] = await db.run([closedBeforeStatement(cutoffMs)])
  const closed = new Set((closedSeries ?? []).flatMap((s) => s.values.map((v) => caseKey(s.tags?.site ?? '', String(v[1])))))
  if (closed.size === 0) return []
  const [points] = await db.run([pointsStatement(measurement)], { ns: true })
  return caseDeletes(measurement, points ?? [], closed)
}
