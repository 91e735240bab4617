/**
 * A complaint's case as the fold of its events (pure; docs/complaints.md).
 * The log is append-only in InfluxDB (the complaint point, then `case_event`
 * points), so every hub instance derives the same state from it. Events are
 * applied in time order; one that does not fit the state (a second result,
 * written by another instance in the same second) is skipped, so the first
 * stored wins. `nextEvent` checks an action against the state before it is
 * written.
 */

export const CASE_EVENTS = ['assigned', 'progress', 'resolved', 'result', 'closed'] as const
export type CaseEventKind = (typeof CASE_EVENTS)[number]

/** The complaint that opened the case, as stored (measurement `complaint`). */
export interface Complaint {
  site: string
  /** The complaint's event id: with the site, the case's key. */
  id: string
  at: number
  department: string
  counter: string
  officer: string | null
  device: string
  rating: string
  level: number
  comment: string
  phone: string | null
  lang: 'vi' | 'en'
}

export interface CaseEvent {
  site: string
  case: string
  kind: CaseEventKind
  at: number
  /** "username: name" of the console user. */
  by: string
  /** `assigned`: the department now handling it; '' otherwise. */
  department: string
  /** `assigned`: the person handling it, if named; '' otherwise. */
  handler: string
  /** Progress made, how it was resolved, the result told to the citizen; may be personal data. */
  note: string
}

export type CaseStatus = 'open' | 'resolved' | 'answered' | 'closed'

export interface CaseState {
  complaint: Complaint
  department: string
  handler: string | null
  status: CaseStatus
  /** The applied events, in order. */
  events: CaseEvent[]
  lastProgressAt: number | null
  resolvedAt: number | null
  resultAt: number | null
  closedAt: number | null
}

export function openCase(c: Complaint): CaseState {
  return { complaint: c, department: c.department, handler: null, status: 'open', events: [], lastProgressAt: null, resolvedAt: null, resultAt: null, closedAt: null }
}

/** Why an event does not fit the state, or null when it does. */
export function refusal(s: CaseState, kind: CaseEventKind): string | null {
  if (s.status === 'closed') return 'the case is closed'
  switch (kind) {
    case 'assigned':
    case 'progress':
      return s.status === 'open' ? null : 'the case is already resolved'
    case 'resolved':
      return s.status === 'open' ? null : 'the case is already resolved'
    case 'result':
      return s.status === 'resolved' ? null : s.status === 'open' ? 'resolve the case before recording its result' : 'the result is already recorded'
    case 'closed':
      return s.status === 'answered' ? null : 'record the result before closing the case'
  }
}

export function applyEvent(s: CaseState, e: CaseEvent): CaseState {
  if (refusal(s, e.kind) !== null) return s
  const next: CaseState = { ...s, events: [...s.events, e] }
  switch (e.kind) {
    case 'assigned':
      return { ...next, department: e.department || s.department, handler: e.handler || null }
    case 'progress':
      return { ...next, lastProgressAt: e.at }
    case 'resolved':
      return { ...next, status: 'resolved', resolvedAt: e.at }
    case 'result':
      return { ...next, status: 'answered', resultAt: e.at }
    case 'closed':
      return { ...next, status: 'closed', closedAt: e.at }
  }
}

/** Every case of the complaints, with the events of each applied in time order; events of no known complaint are left out. */
export function foldCases(complaints: readonly Complaint[], events: readonly CaseEvent[]): CaseState[] {
  const key = (site: string, id: string) => `${site}\n${id}`
  const cases = new Map(complaints.map((c) => [key(c.site, c.id), openCase(c)] as const))
  const sorted = [...events].sort((a, b) => a.at - b.at)
  for (const e of sorted) {
    const k = key(e.site, e.case)
    const s = cases.get(k)
    if (s && e.at >= s.complaint.at) cases.set(k, applyEvent(s, e))
  }
  return [...cases.values()].sort((a, b) => b.complaint.at - a.complaint.at)
}
