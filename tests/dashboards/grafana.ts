/**
 * What Grafana would do with our dashboard files, minus Grafana: list every
 * query (panel targets and template variables), interpolate the macros and
 * variables the way Grafana's InfluxDB data source does, and run the
 * InfluxQL over HTTP.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

export const DASHBOARD_DIR = join(import.meta.dirname, '../../dashboards/json')

export interface Target {
  refId: string
  query: string
  rawQuery?: boolean
  resultFormat?: string
  datasource?: { type: string; uid: string }
}

export interface Panel {
  id: number
  type: string
  title: string
  description?: string
  datasource?: { type: string; uid: string }
  gridPos?: { h: number; w: number; x: number; y: number }
  targets?: Target[]
}

export interface Variable {
  name: string
  type: string
  query: string
  multi: boolean
  includeAll: boolean
  datasource?: { type: string; uid: string }
}

export interface Dashboard {
  uid: string
  title: string
  description: string
  schemaVersion: number
  panels: Panel[]
  templating: { list: Variable[] }
}

export function loadDashboards(): { file: string; dashboard: Dashboard }[] {
  return readdirSync(DASHBOARD_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, dashboard: JSON.parse(readFileSync(join(DASHBOARD_DIR, file), 'utf8')) as Dashboard }))
}

/** One query of a dashboard; `key` names it in test expectations. */
export interface Query {
  key: string
  dashboard: Dashboard
  query: string
}

export function panelQueries(d: Dashboard): Query[] {
  return d.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ key: `${d.uid}/${p.id}/${t.refId}`, dashboard: d, query: t.query })))
}

export function variableQueries(d: Dashboard): Query[] {
  return d.templating.list.map((v) => ({ key: `${d.uid}/$${v.name}`, dashboard: d, query: v.query }))
}

/** Selected values per variable name; `null` = All. */
export type Selection = Record<string, string[] | null>

export interface Interpolation {
  fromMs: number
  toMs: number
  interval: string
  selection: Selection
  /** Values Grafana lists for each variable (from its own query), for All. */
  options: Record<string, string[]>
}

const escapeRegex = (s: string) => s.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&')

/**
 * Grafana's InfluxDB interpolation: a multi-value or All variable becomes a
 * regex group of escaped values; a single-value variable is inserted as is.
 */
export function interpolate(q: Query, ctx: Interpolation): string {
  let text = q.query
    .replaceAll('$timeFilter', `time >= ${ctx.fromMs}ms and time <= ${ctx.toMs}ms`)
    .replaceAll('$__interval', ctx.interval)
  for (const v of q.dashboard.templating.list) {
    if (!new RegExp(`\\$${v.name}\\b`).test(text)) continue
    const chosen = ctx.selection[v.name] ?? ctx.options[v.name]
    if (!chosen || chosen.length === 0) throw new Error(`${q.key}: no value for $${v.name}`)
    const value = v.multi || v.includeAll ? `(${chosen.map(escapeRegex).join('|')})` : chosen[0]!
    text = text.replace(new RegExp(`\\$${v.name}\\b`, 'g'), value)
  }
  const left = /\$(?!\/)[A-Za-z_]\w*/.exec(text)
  if (left) throw new Error(`${q.key}: ${left[0]} left after interpolation in ${text}`)
  return text
}

export interface Series {
  name: string
  tags?: Record<string, string>
  columns: string[]
  values: unknown[][]
}

/** Runs one InfluxQL statement; times come back as epoch milliseconds. */
export async function influxQuery(url: string, db: string, q: string): Promise<Series[]> {
  const res = await fetch(`${url}/query`, { method: 'POST', body: new URLSearchParams({ db, q, epoch: 'ms' }) })
  const body = (await res.json()) as { error?: string; results?: { error?: string; series?: Series[] }[] }
  const result = body.results?.[0]
  if (!res.ok || body.error || !result || result.error) throw new Error(`influx refused ${q}: ${body.error ?? result?.error ?? res.status}`)
  return result.series ?? []
}
