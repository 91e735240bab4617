import { describe, expect, it } from 'vitest'
import { hubConfigSchema } from '../../hub/config/schema.js'
import { createDirectory } from '../../hub/queries/directory.js'
import { createSiteNames, learningWriter } from '../../hub/queries/names.js'
import { toPoint } from '../../hub/influx/points.js'
import type { Point } from '../../hub/influx/line-protocol.js'
import type { DirectoryContent } from '../../protocol/records.js'

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
    names.learn('xa-1', content('Quầy 1'), 1000)
    names.learn('ct-center', content('Quầy Hộ tịch'), 1000)
    names.learn('ct-center', content('Quầy Chứng thực', ['q1']), 2000)
    // An older directory arriving late (another instance's refresh) does not undo the rename.
    names.learn('ct-center', content('Quầy cũ'), 500)
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
})
