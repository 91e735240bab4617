import { describe, expect, it } from 'vitest'
import type { AuditEntry } from '../../hub/audit/audit.js'
import { clipFileName, rangeOf, reasonOf, sidecarFromAudit } from '../../hub/console/recordings.js'
import { canWatchRecordings, type Principal } from '../../hub/users/roles.js'

const who = (role: Principal['role'], sites?: string[]): Principal => ({ username: 'u', name: 'U', role, ...(sites ? { sites } : {}) })

describe('recordings in the console: the pure parts', () => {
  it('inspectors everywhere, supervisors at their own sites; never the IOC or administrators', () => {
    expect(canWatchRecordings(who('inspector'), 'site-a')).toBe(true)
    expect(canWatchRecordings(who('supervisor', ['site-a']), 'site-a')).toBe(true)
    expect(canWatchRecordings(who('supervisor', ['site-b']), 'site-a')).toBe(false)
    expect(canWatchRecordings(who('admin'), 'site-a')).toBe(false)
    expect(canWatchRecordings(who('ioc'), 'site-a')).toBe(false)
  })

  it('a reason is trimmed and must say something; a range is ordered and bounded', () => {
    expect(reasonOf(new URLSearchParams({ reason: '  Khiếu   nại 12  ' }))).toBe('Khiếu nại 12')
    expect(reasonOf(new URLSearchParams({ reason: 'abc' }))).toBeNull()
    expect(reasonOf(new URLSearchParams({ reason: 'x'.repeat(301) }))).toBeNull()
    expect(reasonOf(new URLSearchParams())).toBeNull()
    expect(rangeOf(new URLSearchParams({ from: '1000', to: '61000' }), 60_000)).toEqual({ from: 1000, to: 61000 })
    expect(rangeOf(new URLSearchParams({ from: '1000', to: '61001' }), 60_000)).toBeNull()
    expect(rangeOf(new URLSearchParams({ from: '5', to: '5' }), 60_000)).toBeNull()
    expect(rangeOf(new URLSearchParams({ from: '1.5', to: '9' }), 60_000)).toBeNull()
    expect(clipFileName('ct-center', 'cam-1', Date.UTC(2026, 11, 6, 5, 42, 0, 123))).toBe('motcua-ct-center-cam-1-20261206T054200Z.mp4')
  })

  it('another instance rebuilds an export\'s sidecar from its two audit entries, for its owner only', () => {
    const base = { role: 'inspector', site: 'ct-center', camera: 'cam-1', viewing: 'AbCdEfGhIjKl', durationS: null, client: '127.0.0.1' }
    const sha = 'a'.repeat(64)
    const entries: AuditEntry[] = [
      { ...base, time: Date.UTC(2026, 11, 6, 5, 44), action: 'export_done', user: 'thanhtra', detail: `sha256=${sha} bytes=1048576 file=motcua-ct-center-cam-1-20261206T054200Z.mp4` },
      { ...base, time: Date.UTC(2026, 11, 6, 5, 43), action: 'export', user: 'thanhtra', detail: 'clip 2026-12-06T05:42:00.000Z/2026-12-06T05:43:00.000Z; reason: Khiếu nại số 12/2026' },
    ]
    expect(sidecarFromAudit(entries, 'AbCdEfGhIjKl', 'thanhtra')).toEqual({
      format: 'motcua-clip/1', file: 'motcua-ct-center-cam-1-20261206T054200Z.mp4', site: 'ct-center', camera: 'cam-1',
      from: '2026-12-06T05:42:00.000Z', to: '2026-12-06T05:43:00.000Z', bytes: 1048576, sha256: sha, exportId: 'AbCdEfGhIjKl',
      exportedBy: 'thanhtra', exportedAt: '2026-12-06T05:44:00.000Z', reason: 'Khiếu nại số 12/2026',
    })
    expect(sidecarFromAudit(entries, 'AbCdEfGhIjKl', 'giamsat')).toBeNull()
    expect(sidecarFromAudit(entries.slice(1), 'AbCdEfGhIjKl', 'thanhtra')).toBeNull()
  })
})
