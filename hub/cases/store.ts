/**
 * Complaint cases in InfluxDB (docs/complaints.md): the complaint point the
 * edge's record made opens a case, `case_event` points the console writes
 * carry it on. Nothing is kept in the hub: every read folds the log again,
 * so any instance answers any request, and an action is checked against the
 * state read just before it is written (hub/cases/fold.ts decides a race).
 */
import { randomInt } from 'node:crypto'
import { MotcuaError } from '../../common/errors.js'
import { EVENT_ID_PATTERN } from '../../protocol/patterns.js'
import type { Point } from '../influx/line-protocol.js'
import type { PointWriter } from '../influx/writer.js'
import { readIfAny, rowsOf, type InfluxQuery, type Series } from '../queries/client.js'
import { assertId, tagFilters } from '../queries/influxql.js'
import { CASE_EVENTS, foldCases, refusal, type CaseEvent, type CaseEventKind, type CaseState, type Complaint } from './fold.js'

export const COMPLAINT_MEASUREMENT = 'complaint'
export const CASE_EVENT_MEASUREMENT = 'case_event'
/** A progress note or result told to the citizen: a few paragraphs. */
export const MAX_NOTE = 2000
const NO_OFFICER = 'none'

const str = (v: unknown): string => (typeof v === 'string' ? v : '')

function complaintsOf(series: readonly Series[]): Complaint[] {
  return series.flatMap(rowsOf).map((r) => ({
    site: str(r.site),
    id: str(r.event_id),
    at: Number(r.time),
    department: str(r.department),
    counter: str(r.counter),
    officer: r.officer === NO_OFFICER || !r.officer ? null : str(r.officer),
    device: str(r.device),
    rating: str(r.rating),
    level: Number(r.level),
    comment: str(r.comment),
    phone: str(r.phone) || null,
    lang: r.lang === 'en' ? 'en' : 'vi',
  }))
}

function eventsOf(series: readonly Series[]): CaseEvent[] {
  return series.flatMap(rowsOf).flatMap((r) => {
    const kind = str(r.event) as CaseEventKind
    if (!CASE_EVENTS.includes(kind)) return []
    return [{ site: str(r.site), case: str(r.case), kind, at: Number(r.time), by: str(r.by), department: str(r.department), handler: str(r.handler), note: str(r.note) }]
  })
}

/** Every case of the sites (undefined: all), newest first. */
export async function readCases(db: InfluxQuery, sites: readonly string[] | undefined): Promise<CaseState[]> {
  if (sites?.length === 0) return []
  const where = sites ? ` WHERE ${tagFilters({ site: sites }).join(' AND ')}` : ''
  const [complaints, events] = await Promise.all([
    readIfAny(db, `SELECT * FROM "${COMPLAINT_MEASUREMENT}"${where}`),
    readIfAny(db, `SELECT * FROM "${CASE_EVENT_MEASUREMENT}"${where}`),
  ])
  return foldCases(complaintsOf(complaints), eventsOf(events))
}

/** One case, or null when its site has no such complaint. */
export async function readCase(db: InfluxQuery, site: string, id: string): Promise<CaseState | null> {
  assertId(site)
  if (!EVENT_ID_PATTERN.test(id)) return null
  return (await readCases(db, [site])).find((c) => c.complaint.id === id) ?? null
}

/** Pure: a case event's point; the random nanoseconds keep two events of one millisecond apart. */
export function caseEventPoint(e: CaseEvent, nanos: number = randomInt(1_000_000)): Point {
  return {
    measurement: CASE_EVENT_MEASUREMENT,
    tags: { event: e.kind, site: e.site },
    fields: { case: e.case, by: e.by, department: e.department, handler: e.handler, note: e.note },
    timestampNs: `${e.at}${String(nanos).padStart(6, '0')}`,
  }
}

export interface CaseAction {
  kind: CaseEventKind
  department?: string
  handler?: string
  note?: string
}

/** Pure: what is wrong with an action's fields (the state is checked by fold.refusal). */
export function actionProblem(a: CaseAction, departments: readonly string[]): string | null {
  const note = a.note?.trim() ?? ''
  if (note.length > MAX_NOTE) return `note: at most ${MAX_NOTE} characters`
  if (a.kind === 'assigned') {
    if (!a.department || !/^[a-z0-9][a-z0-9-]{0,31}$/.test(a.department)) return 'department: a department id'
    // Before the site's edge sent its directory the hub knows no department; any id is then taken.
    if (departments.length > 0 && !departments.includes(a.department)) return `department: one of ${departments.join(', ')}`
    if ((a.handler ?? '').length > 120) return 'handler: at most 120 characters'
  }
  if ((a.kind === 'progress' || a.kind === 'result') && note === '') return `note: what was done, for a ${a.kind === 'progress' ? 'progress update' : 'result'}`
  return null
}

/** Checks and writes one action on a case; returns the case after it. */
export async function actOnCase(
  deps: { db: InfluxQuery; writer: PointWriter },
  o: { site: string; id: string; action: CaseAction; by: string; now: number; departments: readonly string[] },
): Promise<CaseState> {
  const state = await readCase(deps.db, o.site, o.id)
  if (!state) throw new MotcuaError('HUB_CASE_NOT_FOUND', `${o.site}/${o.id}`)
  const problem = actionProblem(o.action, o.departments) ?? refusal(state, o.action.kind)
  if (problem) throw new MotcuaError('HUB_CASE_ACTION_INVALID', problem)
  const event: CaseEvent = {
    site: o.site,
    case: o.id,
    kind: o.action.kind,
    at: Math.max(o.now, state.complaint.at),
    by: o.by,
    department: o.action.kind === 'assigned' ? (o.action.department ?? '') : '',
    handler: o.action.kind === 'assigned' ? (o.action.handler?.trim() ?? '') : '',
    note: o.action.note?.trim() ?? '',
  }
  await deps.writer.write([caseEventPoint(event)])
  return (await readCase(deps.db, o.site, o.id)) ?? state
}
