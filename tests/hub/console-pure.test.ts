import { describe, expect, it } from 'vitest'
import { nextDelay } from '../../edge/tunnel/backoff.js'
import { auditPoint } from '../../hub/audit/audit.js'
import { linkHash, verifyChains, type StoredEntry } from '../../common/audit-chain.js'
import { hashPassword } from '../../common/secrets.js'
import { hubConfigSchema } from '../../hub/config/schema.js'
import { donut, gauge, levelColour, trendChart } from '../../hub/console/browser/charts.js'
import { alertSite } from '../../hub/alerts-store/store.js'
import { alertSites, levelCsv, sitesOf, type LevelView } from '../../hub/console/data.js'
import { scopeOf } from '../../hub/console/routes.js'
import { toLineProtocol } from '../../hub/influx/points.js'
import { createDirectory } from '../../hub/queries/directory.js'
import { createAccounts } from '../../hub/users/accounts.js'
import { canReadAudit, canSeeMetrics, canWatch, type Principal } from '../../hub/users/roles.js'
import { sessionEndS, signSession, verifySession } from '../../hub/users/session-token.js'
import { decodePiece, edgeMessage, encodePiece, hubMessage, parseControl } from '../../protocol/tunnel.js'

const SECRET = 'x'.repeat(40)
const LIMITS = { ttlS: 8 * 3600, idleS: 1800 }
const inspector: Principal = { username: 'thanhtra', name: 'T', role: 'inspector' }
const supervisor: Principal = { username: 'gs', name: 'G', role: 'supervisor', sites: ['b1'] }
const ioc: Principal = { username: 'ioc', name: 'I', role: 'ioc' }
const admin: Principal = { username: 'qt', name: 'Q', role: 'admin' }

describe('tunnel frames', () => {
  it('round-trips init and segments with the stream id and codec', () => {
    const init = encodePiece(7, { kind: 'init', codec: 'avc1.42c01e', data: Buffer.from('ftypmoov') })
    expect(decodePiece(init)).toEqual({ stream: 7, piece: { kind: 'init', codec: 'avc1.42c01e', data: Buffer.from('ftypmoov') } })
    const seg = encodePiece(0xfffffffe, { kind: 'segment', keyframe: true, data: Buffer.from([1, 2, 3]) })
    expect(decodePiece(seg)).toEqual({ stream: 0xfffffffe, piece: { kind: 'segment', keyframe: true, data: Buffer.from([1, 2, 3]) } })
    expect(decodePiece(encodePiece(1, { kind: 'segment', keyframe: false, data: Buffer.alloc(0) }))?.piece).toMatchObject({ keyframe: false })
  })

  it('rejects short or unknown frames instead of throwing', () => {
    expect(decodePiece(Buffer.from([1, 0, 0]))).toBeNull()
    expect(decodePiece(Buffer.from([9, 0, 0, 0, 1, 0, 5]))).toBeNull()
    // A codec length pointing past the end.
    expect(decodePiece(Buffer.from([1, 0, 0, 0, 1, 200, 65]))).toBeNull()
  })

  it('accepts only the control messages of the contract', () => {
    expect(parseControl(hubMessage, '{"type":"open","stream":3,"camera":"cam-1"}')).toEqual({ type: 'open', stream: 3, camera: 'cam-1' })
    expect(parseControl(hubMessage, '{"type":"open","stream":0,"camera":"cam-1"}')).toBeNull()
    expect(parseControl(hubMessage, '{"type":"open","stream":3,"camera":"../etc"}')).toBeNull()
    expect(parseControl(edgeMessage, 'not json')).toBeNull()
    expect(parseControl(edgeMessage, '{"type":"hello","v":1,"site":"s1","cameras":[{"id":"c1","name":"Sảnh","counter":null}]}')).toMatchObject({ type: 'hello' })
  })

  it('reconnect delays double up to the cap, with downward jitter', () => {
    expect(nextDelay(0, 500, 30_000, () => 0)).toBe(500)
    expect(nextDelay(3, 500, 30_000, () => 0)).toBe(4000)
    expect(nextDelay(20, 500, 30_000, () => 0)).toBe(30_000)
    expect(nextDelay(20, 500, 30_000, () => 1)).toBe(24_000)
  })
})

describe('console sessions (HMAC, stateless)', () => {
  const t0 = 1_800_000_000
  const token = signSession(SECRET, { username: 'thanhtra', issuedS: t0, seenS: t0 })

  it('accepts its own token and refuses a tampered one or another key', () => {
    expect(verifySession(SECRET, token, t0 + 10, LIMITS)).toEqual({ username: 'thanhtra', issuedS: t0, seenS: t0 })
    expect(verifySession(SECRET, token.replace('thanhtra', 'quantri'), t0 + 10, LIMITS)).toBeNull()
    expect(verifySession(SECRET, token.replace(`.${t0}.`, `.${t0 + 3600}.`), t0 + 10, LIMITS)).toBeNull()
    expect(verifySession('y'.repeat(40), token, t0 + 10, LIMITS)).toBeNull()
    expect(verifySession(SECRET, undefined, t0, LIMITS)).toBeNull()
    expect(verifySession(SECRET, 'a.b.c', t0, LIMITS)).toBeNull()
  })

  it('ends after the idle timeout, and after the absolute limit however active', () => {
    expect(verifySession(SECRET, token, t0 + 1799, LIMITS)).not.toBeNull()
    expect(verifySession(SECRET, token, t0 + 1800, LIMITS)).toBeNull()
    const active = signSession(SECRET, { username: 'thanhtra', issuedS: t0, seenS: t0 + 8 * 3600 - 5 })
    expect(verifySession(SECRET, active, t0 + 8 * 3600 - 1, LIMITS)).not.toBeNull()
    expect(verifySession(SECRET, active, t0 + 8 * 3600, LIMITS)).toBeNull()
    expect(sessionEndS({ username: 'x', issuedS: t0, seenS: t0 + 100 }, LIMITS)).toBe(t0 + 1900)
  })
})

describe('sign-in', () => {
  it('locks an address after five failures, and lets a right password through elsewhere', async () => {
    let t = 1_000_000
    const accounts = createAccounts([{ username: 'qt', name: 'Q', role: 'admin', passwordHash: await hashPassword('dung-mat-khau') }], () => t)
    for (let i = 0; i < 5; i++) expect(await accounts.login('qt', 'sai', '10.0.0.9')).toBeNull()
    expect(await accounts.login('qt', 'dung-mat-khau', '10.0.0.9')).toBe('locked')
    expect(await accounts.login('qt', 'dung-mat-khau', '10.0.0.10')).toMatchObject({ username: 'qt', role: 'admin' })
    expect(await accounts.login('nobody', 'dung-mat-khau', '10.0.0.10')).toBeNull()
    t += 61_000
    expect(await accounts.login('qt', 'dung-mat-khau', '10.0.0.9')).toMatchObject({ username: 'qt' })
  })
})

describe('roles', () => {
  it('IOC: metrics only; inspector: everything but audit; supervisor: own sites; admin: all', () => {
    expect([canSeeMetrics(ioc, 'a1'), canWatch(ioc, 'a1'), canReadAudit(ioc)]).toEqual([true, false, false])
    expect([canSeeMetrics(inspector, 'a1'), canWatch(inspector, 'a1'), canReadAudit(inspector)]).toEqual([true, true, false])
    expect([canSeeMetrics(supervisor, 'b1'), canWatch(supervisor, 'b1'), canWatch(supervisor, 'a1'), canSeeMetrics(supervisor, 'a1')]).toEqual([true, true, false, false])
    expect([canWatch(admin, 'a1'), canReadAudit(admin)]).toEqual([true, true])
  })

  it('the config refuses a supervisor without sites, a duplicate username, and users without a session key', () => {
    const base = { influx: { version: 1, url: 'http://127.0.0.1:8086' }, edges: [{ site: 'a1', tokenHash: `sha256:${'0'.repeat(64)}` }] }
    const hash = 'scrypt:AAAA:BBBB'
    expect(hubConfigSchema.safeParse({ ...base, sessionSecret: SECRET, users: [{ username: 'gs', name: 'G', role: 'supervisor', passwordHash: hash }] }).success).toBe(false)
    const dup = [{ username: 'a', name: 'A', role: 'ioc', passwordHash: hash }, { username: 'a', name: 'B', role: 'admin', passwordHash: hash }]
    expect(hubConfigSchema.safeParse({ ...base, sessionSecret: SECRET, users: dup }).success).toBe(false)
    expect(hubConfigSchema.safeParse({ ...base, users: [dup[0]] }).success).toBe(false)
    expect(hubConfigSchema.safeParse({ ...base, users: [dup[0]], sessionSecret: SECRET }).success).toBe(true)
    expect(hubConfigSchema.safeParse({ ...base, users: [dup[0]], sessionSecretFile: '/etc/motcua/console.key' }).success).toBe(true)
  })

  it('a scope is narrowed to the sites the principal may see', () => {
    const dir = createDirectory({
      province: 'p', edges: [], branches: [{ id: 'b', name: 'B' }],
      sites: [{ id: 'a1', name: 'A' }, { id: 'b1', name: 'B1', branch: 'b' }, { id: 'b2', name: 'B2', branch: 'b' }],
    })
    expect(sitesOf(inspector, dir, { level: 'province', id: '' })).toEqual(['a1', 'b1', 'b2'])
    expect(sitesOf(supervisor, dir, { level: 'province', id: '' })).toEqual(['b1'])
    expect(sitesOf(supervisor, dir, { level: 'branch', id: 'b' })).toEqual(['b1'])
    expect(sitesOf(supervisor, dir, { level: 'branch', id: '-' })).toEqual([])
    expect(sitesOf(supervisor, dir, { level: 'site', id: 'a1' })).toBeNull()
    expect(sitesOf(supervisor, dir, { level: 'counter', id: 'a1/q01' })).toBeNull()
    expect(sitesOf(inspector, dir, { level: 'branch', id: '-' })).toEqual(['a1'])
    expect(sitesOf(supervisor, dir, { level: 'department', id: 'tu-phap' })).toEqual(['b1'])
    expect(sitesOf(supervisor, dir, { level: 'department', id: 'a1/tu-phap' })).toBeNull()
  })

  it('alerts are listed for every site to roles not bound to sites, and for their own known sites to a supervisor', () => {
    const dir = createDirectory({
      province: 'p', edges: [], branches: [{ id: 'b', name: 'B' }],
      sites: [{ id: 'a1', name: 'A' }, { id: 'b1', name: 'B1', branch: 'b' }, { id: 'b2', name: 'B2', branch: 'b' }],
    })
    for (const p of [inspector, ioc, admin]) expect(alertSites(p, dir)).toBeUndefined()
    expect(alertSites(supervisor, dir)).toEqual(['b1'])
    // A posting to a site the directory does not know lists nothing for it.
    expect(alertSites({ ...supervisor, sites: ['b2', 'gone'] }, dir)).toEqual(['b2'])
    expect(alertSites({ ...supervisor, sites: [] }, dir)).toEqual([])
    // The console's ack check: the site an alert id names, against the principal.
    const own = alertSite('edge_backlog:b1:1800000000000')
    const foreign = alertSite('camera_offline:a1/cam-1:1800000000000')
    expect(own?.site).toBe('b1')
    expect(foreign?.site).toBe('a1')
    expect(canSeeMetrics(supervisor, own!.site)).toBe(true)
    expect(canSeeMetrics(supervisor, foreign!.site)).toBe(false)
    expect(canSeeMetrics(ioc, foreign!.site)).toBe(true)
  })

  it('parses drill-down scopes and refuses anything that is not an id', () => {
    const u = (q: string) => scopeOf(new URL(`http://h/console/api/kpis?${q}`))
    expect(u('')).toEqual({ scope: { level: 'province', id: '' }, unit: 'day', at: null })
    expect(u('level=counter&id=s1/q01&period=month')).toEqual({ scope: { level: 'counter', id: 's1/q01' }, unit: 'month', at: null })
    expect(u('level=site&id=S1')).toBeNull()
    expect(u("level=site&id=s1'")).toBeNull()
    expect(u('level=counter&id=s1')).toBeNull()
    expect(u('level=site&id=s1&period=decade')).toBeNull()
    // Any period unit, a past period by its label, the department view across the province or at one site.
    expect(u('level=site&id=s1&period=half&at=2026-H1')?.at?.label).toBe('2026-H1')
    expect(u('level=site&id=s1&period=quarter&at=2026-H1')).toBeNull()
    expect(u('period=year&by=department')).toMatchObject({ scope: { level: 'province', id: '', by: 'department' }, unit: 'year' })
    expect(u('level=department&id=tu-phap')?.scope).toEqual({ level: 'department', id: 'tu-phap' })
    expect(u('level=department&id=s1/tu-phap')?.scope).toEqual({ level: 'department', id: 's1/tu-phap' })
    expect(u('level=department&id=s1/tu-phap/x')).toBeNull()
  })
})

describe('audit points', () => {
  it('maps a viewing end to one audit point with tags, duration and its link in the chain', () => {
    const p = auditPoint({ action: 'view_end', who: supervisor, site: 'b1', camera: 'cam-1', viewing: 'v1', durationS: 12.3456, client: '127.0.0.1', atMs: 1_800_000_000_000 }, 42, { chain: 'hub1-ab', seq: 3, prev: 'f00d' })
    const hash = linkHash({ atMs: 1_800_000_000_000, action: 'view_end', user: 'gs', role: 'supervisor', site: 'b1', camera: 'cam-1', viewing: 'v1', detail: '', client: '127.0.0.1', durationS: 12.346 }, 'hub1-ab', 3, 'f00d')
    expect(hash).toMatch(/^[0-9a-f]{64}$/)
    expect(p).toEqual({
      measurement: 'audit',
      tags: { action: 'view_end', camera: 'cam-1', chain: 'hub1-ab', role: 'supervisor', site: 'b1', user: 'gs' },
      fields: { viewing: 'v1', detail: '', client: '127.0.0.1', seq: 3, prev: 'f00d', hash, duration_s: 12.346 },
      timestampNs: '1800000000000000042',
    })
    expect(toLineProtocol([p])).toBe(`audit,action=view_end,camera=cam-1,chain=hub1-ab,role=supervisor,site=b1,user=gs viewing="v1",detail="",client="127.0.0.1",seq=3i,prev="f00d",hash="${hash}",duration_s=12.346 1800000000000000042`)
  })

  it('an export without a site is tagged "-"', () => {
    const p = auditPoint({ action: 'export', who: admin, detail: '/console/export/kpis.csv?level=province', client: '::1', atMs: 5 }, 1_000_001, { chain: 'c', seq: 0, prev: '' })
    expect(p.tags).toMatchObject({ site: '-', camera: '-' })
    expect(p.timestampNs).toBe('5000001')
  })
})

describe('audit chain', () => {
  const entry = (seq: number, prev: string, chain = 'c1'): StoredEntry => {
    const values = { atMs: 1000 + seq, action: 'export', user: 'qt', role: 'admin', site: '-', camera: '-', viewing: '', detail: `/x?${seq}`, client: '::1', durationS: null }
    return { ...values, chain, seq, prev, hash: linkHash(values, chain, seq, prev) }
  }
  const chainOf = (n: number, chain = 'c1') => {
    const out: StoredEntry[] = []
    for (let i = 0; i < n; i++) out.push(entry(i, out.at(-1)?.hash ?? '', chain))
    return out
  }

  it('holds for untouched chains in any order, and names each head', () => {
    const a = chainOf(4)
    const b = chainOf(2, 'c2')
    const r = verifyChains([...b, ...a].reverse())
    expect(r.broken).toBeNull()
    expect(r.entries).toBe(6)
    expect(r.chains.map((c) => [c.chain, c.head])).toEqual([['c1', a[3]!.hash], ['c2', b[1]!.hash]])
  })

  it('names the first broken link: a changed value, a removed entry, a repeated one, an entry without chain fields', () => {
    const changed = chainOf(5)
    changed[2] = { ...changed[2]!, detail: '/x?other' }
    expect(verifyChains(changed).broken).toEqual({ chain: 'c1', seq: 2, atMs: 1002, reason: 'changed' })
    const removed = chainOf(5).filter((e) => e.seq !== 1)
    expect(verifyChains(removed).broken).toEqual({ chain: 'c1', seq: 2, atMs: 1002, reason: 'missing_before' })
    const repeated = chainOf(3)
    repeated.push({ ...repeated[1]! })
    expect(verifyChains(repeated).broken?.reason).toBe('out_of_order')
    const unchained = [...chainOf(2), { ...entry(9, ''), chain: null, seq: null, prev: null, hash: null, atMs: 5 }]
    expect(verifyChains(unchained).broken).toEqual({ chain: null, seq: null, atMs: 5, reason: 'unchained' })
    // A span that starts inside a chain takes its first entry as given.
    expect(verifyChains(chainOf(5).slice(2)).broken?.reason).toBe('missing_before')
    expect(verifyChains(chainOf(5).slice(2), { fromStart: false }).broken).toBeNull()
  })
})

describe('charts and CSV', () => {
  it('draws one arc per non-empty level and escapes every label', () => {
    const svg = donut([{ label: 'Hài lòng <b>', value: 3, colour: '#0f0' }, { label: 'x', value: 0, colour: '#f00' }, { label: 'Không hài lòng', value: 1, colour: '#f00' }], '4', 'Lượt')
    expect(svg.match(/<circle /g)).toHaveLength(2)
    expect(svg).toContain('Hài lòng &lt;b&gt;: 3')
    expect(svg).not.toContain('<b>')
    expect(donut([], '0', 'x')).toContain('stroke="#243244"')
  })

  it('colours a level by its word, whatever the scale', () => {
    // "Không hài lòng" is level 3 of 3, 4 of 4 and 4 of 5; "Hài lòng" is 1 of 3 and 2 of 4 or 5.
    expect(new Set([levelColour(3, 3), levelColour(4, 4), levelColour(4, 5)]).size).toBe(1)
    expect(new Set([levelColour(1, 3), levelColour(2, 4), levelColour(2, 5)]).size).toBe(1)
    expect(levelColour(5, 5)).not.toBe(levelColour(4, 5))
  })

  it('breaks the trend line where a day had no rating, and scales the gauge', () => {
    const svg = trendChart([{ label: '2026-11-01', value: 80, count: 3 }, { label: '2026-11-02', value: null, count: 0 }, { label: '2026-11-03', value: 40, count: 2 }])
    const path = /<path d="([^"]*)"/.exec(svg)?.[1] ?? ''
    expect(path.match(/M/g)).toHaveLength(2)
    expect(path).not.toContain('L')
    expect(gauge(null, 'i')).toContain('>–<')
    expect(gauge(75, 'i')).toContain('#e0b52c')
  })

  it('exports a level as CSV with a BOM and quoted names', () => {
    const kpis = { presses: 3, counted: 2, misuse: 1, satisfactionIndex: 50, dissatisfiedShare: 0.5, decision766: { rate: 0.5, points: 3.33 } }
    const view = { rows: [{ level: 'site', id: 's1', name: 'Chi nhánh "Ninh Kiều", Cần Thơ', kpis }] } as unknown as LevelView
    const csv = levelCsv(view)
    expect(csv.startsWith('\uFEFFid,name,')).toBe(true)
    expect(csv).toContain('s1,"Chi nhánh ""Ninh Kiều"", Cần Thơ",3,2,1,50,0.5,0.5,3.33,,')
  })
})
