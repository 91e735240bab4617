/**
 * What the retention sweep deletes (pure; docs/retention.md). Each
 * measurement belongs to one class of data, kept for that class's days, and
 * is deleted by one of three rules:
 * - `time`: every point before the cutoff;
 * - `keepLast`: every point before the cutoff except each series' last one
 *   before it, for measurements written on change (a device online for a year
 *   sent one `device_status`; the health queries read "the state before the
 *   window", and a site's directory names its officers until it changes);
 * - `wholeChains`: an audit chain only once its newest entry is before the
 *   cutoff, so every chain left is whole and `motcua-hub audit-verify` holds;
 * - `closedCases`: a complaint case only once it closed before the cutoff.
 * A measurement listed nowhere is never deleted (a test keeps the list in
 * step with hub/influx/schema.ts).
 */
import { DAY_MS } from '../../common/time.js'
import { VN_OFFSET_MS } from '../kpi/time.js'
import type { RetentionClass, RetentionConfig } from '../config/retention.js'

export type Rule =
  | { kind: 'time' }
  /** `field` is one every point of the measurement has; `by` the tags that make one state. */
  | { kind: 'keepLast'; field: string; by: readonly string[] }
  | { kind: 'wholeChains'; field: string; tag: string }
  /** A complaint case closed before the cutoff, whole (hub/cases/retention.ts); an open case is kept. */
  | { kind: 'closedCases' }

export interface MeasurementRule {
  measurement: string
  rule: Rule
}

const time = (measurement: string): MeasurementRule => ({ measurement, rule: { kind: 'time' } })
const keepLast = (measurement: string, field: string, by: readonly string[]): MeasurementRule => ({ measurement, rule: { kind: 'keepLast', field, by } })

export const RETENTION_CLASSES: Readonly<Record<RetentionClass, readonly MeasurementRule[]>> = {
  // Officers' and citizens' traces: officer ids, ticket numbers, sign-ins; the directory names officers.
  ratings: [time('rating'), time('ticket'), time('duty'), keepLast('directory', 'hash', ['site'])],
  devices: [
    keepLast('device_status', 'online', ['site', 'device']),
    keepLast('camera_status', 'online', ['site', 'camera']),
    keepLast('camera_event', 'state', ['site', 'camera', 'event']),
    time('heartbeat'),
    time('edge_health'),
  ],
  // An alert's point sits at its start: one still open after the cutoff keeps its point.
  alerts: [keepLast('alert', 'alert_id', ['kind', 'site', 'subject']), time('alert_ack'), time('alert_delivery')],
  audit: [{ measurement: 'audit', rule: { kind: 'wholeChains', field: 'hash', tag: 'chain' } }],
  signouts: [time('console_signout')],
  deliveries: [time('report_delivery')],
  rollup: ['kpi_province', 'kpi_site', 'kpi_department', 'kpi_counter', 'kpi_state', 'kpi_epoch'].map(time),
  // Complaints before their events: the `closed` event says which cases go, so it is deleted last.
  cases: [{ measurement: 'complaint', rule: { kind: 'closedCases' } }, { measurement: 'case_event', rule: { kind: 'closedCases' } }],
}

/** The class each measurement belongs to. */
export const CLASS_OF: ReadonlyMap<string, RetentionClass> = new Map(
  Object.entries(RETENTION_CLASSES).flatMap(([c, rules]) => rules.map((r) => [r.measurement, c as RetentionClass] as const)),
)

/** Start of the local day `days` before the one holding nowMs: deletions cover whole local days, as the KPIs count them. */
export function cutoffOf(nowMs: number, days: number): number {
  const today = Math.floor((nowMs + VN_OFFSET_MS) / DAY_MS) * DAY_MS - VN_OFFSET_MS
  return today - days * DAY_MS
}

/** Each class's cutoff at nowMs. */
export function cutoffs(config: RetentionConfig, nowMs: number): Record<RetentionClass, number> {
  return Object.fromEntries(Object.entries(config.days).map(([c, d]) => [c, cutoffOf(nowMs, d)])) as Record<RetentionClass, number>
}

/** The cutoff of a measurement's class, or null for one no class holds (kept for ever). */
export function cutoffFor(config: RetentionConfig, measurement: string, nowMs: number): number | null {
  const c = CLASS_OF.get(measurement)
  return c === undefined ? null : cutoffOf(nowMs, config.days[c])
}

const iso = (ms: number) => `'${new Date(ms).toISOString()}'`
const literal = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`

/** `time` rule: one statement. */
export function deleteBefore(measurement: string, cutoffMs: number): string {
  return `DELETE FROM "${measurement}" WHERE time < ${iso(cutoffMs)}`
}

/**
 * keepLast: the last point of each state before the cutoff (one row per series, its time in ms), and how many
 * points each has there: a state with one has nothing to delete.
 */
export function lastBeforeStatements(measurement: string, rule: Extract<Rule, { kind: 'keepLast' }>, cutoffMs: number): [last: string, count: string] {
  const tail = `FROM "${measurement}" WHERE time < ${iso(cutoffMs)} GROUP BY ${rule.by.map((t) => `"${t}"`).join(', ')}`
  return [`SELECT last("${rule.field}") ${tail}`, `SELECT count("${rule.field}") ${tail}`]
}

/**
 * keepLast: delete a state's points before its last one. Points carry sub-ms nanoseconds and the last one's time
 * comes back in ms, so `time < lastMs` never reaches it.
 */
export function deleteBeforeLast(measurement: string, tags: Readonly<Record<string, string>>, lastMs: number): string {
  const where = Object.entries(tags).map(([k, v]) => `"${k}" = ${literal(v)}`)
  return `DELETE FROM "${measurement}" WHERE ${[...where, `time < ${iso(lastMs)}`].join(' AND ')}`
}

/** wholeChains: each chain's newest entry. */
export function chainEndsStatement(measurement: string, rule: Extract<Rule, { kind: 'wholeChains' }>): string {
  return `SELECT last("${rule.field}") FROM "${measurement}" GROUP BY "${rule.tag}"`
}

export function deleteChain(measurement: string, tag: string, chain: string): string {
  return `DELETE FROM "${measurement}" WHERE "${tag}" = ${literal(chain)}`
}
