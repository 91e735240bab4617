/**
 * The dashboard files as Grafana would load them: provisioning YAML pointing
 * at the JSON folder and the data source every panel names, well-formed
 * panels, bilingual titles, and an expectation for every query.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { SCALES, SCALE_SIZES, isDissatisfied, normalisedScore } from '../../protocol/scales.js'
import { DASHBOARD_DIR, loadDashboards, panelQueries, variableQueries } from './grafana.js'
import { EXPECTED } from './reference.js'

const ROOT = join(import.meta.dirname, '../../dashboards')
const files = loadDashboards()
const dashboards = files.map((f) => f.dashboard)
const datasourceYaml = readFileSync(join(ROOT, 'provisioning/datasources/motcua.yaml'), 'utf8')
const providerYaml = readFileSync(join(ROOT, 'provisioning/dashboards/motcua.yaml'), 'utf8')
const datasources = parseYaml(datasourceYaml) as {
  apiVersion: number
  datasources: { uid: string; type: string; url: string; user: string; jsonData: Record<string, unknown>; secureJsonData: Record<string, string> }[]
}
const providers = parseYaml(providerYaml) as { apiVersion: number; providers: { type: string; options: { path: string } }[] }
const DS = datasources.datasources[0]!
/** Vietnamese first: at least one letter only Vietnamese has (ă, ơ, đ, ...). */
const VIETNAMESE = /[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹáàãéèíìóòõúùýĐ]/i

describe('provisioning', () => {
  it('defines one InfluxQL data source for database motcua, its address and credentials from the environment', () => {
    expect(datasources.apiVersion).toBe(1)
    expect(datasources.datasources).toHaveLength(1)
    expect(DS).toMatchObject({ uid: 'motcua-influx', type: 'influxdb', url: '${MOTCUA_INFLUX_URL}', user: '${MOTCUA_INFLUX_USER}' })
    expect(DS.jsonData).toMatchObject({ version: 'InfluxQL', dbName: 'motcua' })
    expect(DS.secureJsonData).toEqual({ password: '${MOTCUA_INFLUX_PASSWORD}' })
  })

  it('loads the dashboard folder from the path the README mounts it at', () => {
    expect(providers.apiVersion).toBe(1)
    const [provider] = providers.providers
    expect(provider?.type).toBe('file')
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
    expect(readme).toContain(`dashboards/json:${provider!.options.path}`)
    expect(readdirSync(DASHBOARD_DIR).filter((f) => f.endsWith('.json')).sort()).toEqual(['device-health.json', 'ioc-overview.json', 'site-detail.json'])
  })
})

describe.each(files)('$file', ({ dashboard: d }) => {
  it('is a schema-39 dashboard with a Vietnamese title and an English description', () => {
    expect(d.uid).toMatch(/^motcua-[a-z-]+$/)
    expect(d.schemaVersion).toBe(39)
    expect(d.title).toMatch(VIETNAMESE)
    expect(d.description).toMatch(/^[A-Z][\x20-\x7e–—−×÷≥≤&]+$/)
  })

  it('has site, department and counter variables from SHOW TAG VALUES where they apply', () => {
    const names = d.templating.list.map((v) => v.name)
    expect(names[0]).toBe('site')
    for (const v of d.templating.list) {
      expect(v.type).toBe('query')
      expect(v.datasource).toEqual({ type: 'influxdb', uid: DS.uid })
      expect(v.query).toMatch(new RegExp(`^SHOW TAG VALUES FROM "\\w+" WITH KEY = "${v.name}"`))
    }
    const used = new Set(panelQueries(d).flatMap((q) => [...q.query.matchAll(/\$([a-z]+)\b/g)].map((m) => m[1])))
    for (const name of names) expect(used.has(name), `$${name} used by a panel`).toBe(true)
  })

  it('gives every panel a unique id, the data source, a bilingual title and targets that follow the time picker', () => {
    const ids = d.panels.map((p) => p.id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const p of d.panels) {
      expect(p.datasource, p.title).toEqual({ type: 'influxdb', uid: DS.uid })
      expect(p.title).toMatch(/^[^/]+ \/ [^/]+$/)
      expect(p.title.split(' / ')[0]).toMatch(VIETNAMESE)
      expect(p.description, p.title).toBeTruthy()
      expect(p.targets?.length, p.title).toBeGreaterThan(0)
      const refIds = p.targets!.map((t) => t.refId)
      expect(new Set(refIds).size).toBe(refIds.length)
      for (const t of p.targets!) {
        expect(t).toMatchObject({ rawQuery: true, datasource: { type: 'influxdb', uid: DS.uid } })
        expect(t.query, p.title).toMatch(/\$timeFilter|now\(\) - \d+m/)
      }
    }
  })

  it('lays panels out on the 24-column grid without overlaps', () => {
    const cells = new Set<string>()
    for (const p of d.panels) {
      const g = p.gridPos!
      expect(g.x + g.w, p.title).toBeLessThanOrEqual(24)
      for (let x = g.x; x < g.x + g.w; x++)
        for (let y = g.y; y < g.y + g.h; y++) {
          expect(cells.has(`${x},${y}`), `${p.title} overlaps at ${x},${y}`).toBe(false)
          cells.add(`${x},${y}`)
        }
    }
  })
})

describe('queries', () => {
  it('has exactly one expectation per query in tests/dashboards/reference.ts', () => {
    const keys = dashboards.flatMap((d) => [...variableQueries(d), ...panelQueries(d)].map((q) => q.key)).sort()
    expect(new Set(keys).size).toBe(keys.length)
    expect(keys).toEqual(Object.keys(EXPECTED).sort())
  })

  it('dashboard uids are unique', () => {
    expect(new Set(dashboards.map((d) => d.uid)).size).toBe(dashboards.length)
  })

  // The share dissatisfied and Decision 766 panels average floor((130 − score) ÷ 100) because InfluxQL cannot average a boolean.
  it('floor((130 − score) ÷ 100) is 1 exactly for the dissatisfied levels of every scale', () => {
    for (const scale of SCALE_SIZES) {
      SCALES[scale].forEach((_, i) => {
        const level = i + 1
        expect(Math.floor((130 - normalisedScore(scale, level)) / 100), `${scale}/${level}`).toBe(isDissatisfied(scale, level) ? 1 : 0)
      })
    }
    const uses = dashboards.flatMap(panelQueries).filter((q) => q.query.includes('"unhappy"'))
    expect(uses.length).toBeGreaterThanOrEqual(3)
    for (const q of uses) expect(q.query).toContain('floor((130 - "score") / 100) AS "unhappy"')
  })
})
