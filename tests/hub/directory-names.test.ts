import { describe, expect, it } from 'vitest'
import { hubConfigSchema } from '../../hub/config/schema.js'
import { createDirectory } from '../../hub/queries/directory.js'
import { createSiteNames, learningWriter } from '../../hub/queries/names.js'
import { toPoint } from '../../hub/influx/points.js'
import type { Point } from '../../hub/influx/line-protocol.js'
import type { DirectoryContent } from '../../protocol/records.js'
import { waitFor } from '../../testkit/wait.js'
import type { InfluxQuery, Series } from '../../hub/queries/client.js'

const config = hubConfigSchema.parse({
  influx: { version: 1, url: 'http://127.0.0.1:9' },
  edges: [{ site: 'ct-center', tokenHash: `sha256:${'0'.repeat(64)}` }, { site: 'xa-1', tokenHash: `sha256:${'1'.repeat(64)}` }],
  sites: [{ id: 'ct-center', name: 'Trung tâm Cần Thơ' }],
})

const content = (counterName: string, counters = ['q1', 'q2']): DirectoryContent => ({
  siteName: 'Bộ phận Một cửa xã A',
  departments: [{ id: 'tu-phap', name: 'Sở Tư pháp' }],
  counters: counters.map((id) => ({ id, name: id === 'q1' ? counterName : `Quầy ${id}`, department: 'tu-phap', officer: null, kiosk: true })),
  officers: [{ id: 'nv-a', name: 'Nguyễn Văn A', department: 'tu-phap', signIn: true }],
})

describe('Directory names (issue 15)', () => {
  it('falls back to the id before a site sent its directory', () => {
    const dir = createDirectory(config)
    expect(dir.counterName('ct-center', 'q1')).toBe('q1')
    expect(dir.departmentName('ct-center', 'tu-phap')).toBe('tu-phap')
    expect(dir.officerName('ct-center', 'nv-a')).toBe('nv-a')
    expect(dir.counters('ct-center')).toEqual([])
    expect(dir.site('xa-1').name).toBe('xa-1')
  })

  it('names ids as of the latest directory; an id dropped later keeps its last name; the config names the site first', () => {
    const names = createSiteNames()
    const dir = createDirectory(config, names)
    names.learn('xa-1', content('Quầy 1'), 1000, 'h1')
    names.learn('ct-center', content('Quầy Hộ tịch'), 1000, 'h2')
    names.learn('ct-center', content('Quầy Chứng thực', ['q1']), 2000, 'h3')
    // An older directory arriving late (another instance's refresh) does not undo the rename.
    names.learn('ct-center', content('Quầy cũ'), 500, 'h0')
    expect(dir.counterName('ct-center', 'q1')).toBe('Quầy Chứng thực')
    expect(dir.counterName('ct-center', 'q2')).toBe('Quầy q2')
    expect(dir.counters('ct-center')).toEqual([{ id: 'q1', name: 'Quầy Chứng thực', department: 'tu-phap' }])
    expect(dir.departments('ct-center')).toEqual([{ id: 'tu-phap', name: 'Sở Tư pháp' }])
    expect(dir.officers('ct-center')).toEqual([{ id: 'nv-a', name: 'Nguyễn Văn A' }])
    expect(dir.officerName('ct-center', 'nv-a')).toBe('Nguyễn Văn A')
    expect(dir.site('ct-center').name).toBe('Trung tâm Cần Thơ')
    expect(dir.site('xa-1').name).toBe('Bộ phận Một cửa xã A')
    expect(dir.sites.map((s) => s.name)).toEqual(['Trung tâm Cần Thơ', 'Bộ phận Một cửa xã A'])
  })

  it('learns a directory point once the database accepted it, not before', async () => {
    const names = createSiteNames()
    const written: Point[][] = []
    let fail = true
    const writer = learningWriter({
      write: async (points) => {
        if (fail) throw new Error('db down')
        written.push([...points])
      },
      ping: async () => true,
      close: async () => undefined,
    }, names)
    const record = { kind: 'directory' as const, seq: 3, t: 1_700_000_000_000, clock: 'synced' as const, hash: 'a'.repeat(64), ...content('Quầy 1') }
    const point = toPoint('xa-1', record)
    await expect(writer.write([point])).rejects.toThrow('db down')
    expect(names.name('xa-1', 'counter', 'q1')).toBeUndefined()
    fail = false
    await writer.write([point])
    expect(written).toHaveLength(1)
    expect(names.name('xa-1', 'counter', 'q1')).toBe('Quầy 1')
  })

  it('looks for other instances\' directories at most every refreshMs, and reads the bodies of only the sites that changed', async () => {
    const statements: string[] = []
    const stored: Record<string, { hash: string; body: DirectoryContent; time: number }[]> = {
      'ct-center': [{ hash: 'h1', body: content('Quầy 1'), time: 1000 }],
      'xa-1': [{ hash: 'h9', body: content('Quầy xã'), time: 1000 }],
    }
    const db: Pick<InfluxQuery, 'run'> = {
      async run([q]) {
        statements.push(q!)
        const sites = Object.keys(stored).filter((site) => !q!.includes(`"site" =`) || q!.includes(`'${site}'`))
        const series: Series[] = sites.map((site) =>
          q!.includes('last(')
            ? { name: 'directory', tags: { site }, columns: ['time', 'hash'], values: [[stored[site]!.at(-1)!.time, stored[site]!.at(-1)!.hash]] }
            : { name: 'directory', tags: { site }, columns: ['time', 'hash', 'body'], values: stored[site]!.map((d) => [d.time, d.hash, JSON.stringify(d.body)]) })
        return [series]
      },
    }
    let now = 0
    const names = createSiteNames({ db, now: () => now, refreshMs: 60_000 })
    await names.load()
    expect(names.name('ct-center', 'counter', 'q1')).toBe('Quầy 1')
    stored['ct-center']!.push({ hash: 'h2', body: content('Quầy Hộ tịch'), time: 2000 })
    now = 59_999
    names.name('ct-center', 'counter', 'q1')
    expect(statements).toHaveLength(1)
    now = 60_000
    expect(names.name('ct-center', 'counter', 'q1')).toBe('Quầy 1')
    await waitFor('the other instance\'s rename', () => names.name('ct-center', 'counter', 'q1') === 'Quầy Hộ tịch')
    expect(statements.slice(1)).toEqual([
      'SELECT last("hash") AS "hash" FROM "directory" GROUP BY "site"',
      `SELECT "hash", "body" FROM "directory" WHERE "site" = 'ct-center' GROUP BY "site"`,
    ])
  })
})
