/**
 * The KPI API end to end: two real hub instances on one real influxd holding
 * the seeded demo data (written through the hub's own mapping). Every JSON
 * answer is checked against the OpenAPI document the hub serves; figures are
 * compared with hub/kpi's pure functions; keys and site scopes are enforced.
 */
process.env.LOG_LEVEL ??= 'silent'
import http from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../common/log.js'
import { hashSecret } from '../../common/secrets.js'
import { hubConfigSchema, type HubConfig } from '../../hub/config/schema.js'
import { createWriter } from '../../hub/rollup/writer.js'
import { aggregateRatings } from '../../hub/kpi/ratings.js'
import { bucketOf } from '../../hub/kpi/time.js'
import { startHub, type RunningHub } from '../../hub/main.js'
import { DEMO_SITES, generateDemoData, writeDemoData, type DemoSiteData } from '../../scripts/lib/demo-data.js'
import { startInfluxd, type Influxd } from '../../testkit/influxd.js'
import { waitFor } from '../../testkit/wait.js'
import { demoFacts, request, rounded, type Reply, DEMO_PROVINCE } from './helpers.js'
import { responseSchema, validate } from './openapi-validate.js'

const DAY = 86_400_000
const END = Math.floor(Date.now() / 60_000) * 60_000
const KEYS = { ioc: 'ioc-key-0123456789abcdef0123456789', center: 'center-key-0123456789abcdef01234', wrong: 'not-a-key-0123456789abcdef012345' }
const EDGE_TOKEN = 'edge-token-ct-center-0123456789abc'
const log = createLogger('test', 'silent')

let influxd: Influxd
let hubs: RunningHub[] = []
let data: DemoSiteData[]
let doc: Record<string, unknown>

function config(url: string): HubConfig {
  return hubConfigSchema.parse({
    http: { host: '127.0.0.1', port: 0 },
    influx: { version: 1, url, database: 'motcua' },
    edges: DEMO_SITES.map((s) => ({ site: s.id, tokenHash: hashSecret(s.id === 'ct-center' ? EDGE_TOKEN : `${s.id}-token-unused-0123456789`) })),
    ...DEMO_PROVINCE,
    apiKeys: [
      { id: 'ioc', keyHash: hashSecret(KEYS.ioc), scope: 'ioc' },
      { id: 'center-wall', keyHash: hashSecret(KEYS.center), scope: 'site', sites: ['ct-center'] },
    ],
  })
}

beforeAll(async () => {
  influxd = await startInfluxd()
  data = generateDemoData({ end: END, days: 40 })
  const cfg = config(influxd.url)
  const writer = createWriter(cfg.influx, { log })
  await writeDemoData(writer, data)
  await writer.close()
  for (let i = 0; i < 2; i++) hubs.push(await startHub(cfg, { log, streamPollMs: 200, alertEveryMs: 500 }))
  doc = (await request(`${hubs[0]!.url}/api/openapi.json`)).body as Record<string, unknown>
}, 120_000)

afterAll(async () => {
  await Promise.all(hubs.map((h) => h.stop()))
  hubs = []
  await influxd?.stop()
})

const get = (path: string, key: string | null = KEYS.ioc, hub = 0) =>
  request(`${hubs[hub]!.url}${path}`, key ? { headers: { 'x-api-key': key } } : {})

/** Asserts the answer matches the documented schema of (path, method, status) and returns its body. */
function conforms(reply: Reply, docPath: string, status: number, method = 'get'): Record<string, unknown> {
  expect(reply.status, reply.text.slice(0, 300)).toBe(status)
  expect(validate(doc, responseSchema(doc, docPath, method, status), reply.body)).toEqual([])
  return reply.body as Record<string, unknown>
}

const facts = () => demoFacts(data)

describe('OpenAPI document and keys', () => {
  it('serves the OpenAPI 3.1 document without a key', async () => {
    const reply = await get('/api/openapi.json', null)
    expect(reply.status).toBe(200)
    expect((reply.body as { openapi: string }).openapi).toBe('3.1.0')
  })

  it('refuses a missing or wrong key with 401 HUB_API_KEY_INVALID, by either header', async () => {
    for (const reply of [
      await get('/api/v1/kpi/ratings', null),
      await get('/api/v1/kpi/ratings', KEYS.wrong),
      await request(`${hubs[0]!.url}/api/v1/alerts`, { token: KEYS.wrong }),
      await request(`${hubs[0]!.url}/api/v1/sites/ct-center/kpi/ratings`, { token: EDGE_TOKEN }),
    ]) {
      const body = conforms(reply, '/api/v1/kpi/ratings', 401) as { error: { code: string } }
      expect(body.error.code).toBe('HUB_API_KEY_INVALID')
      expect(reply.headers['www-authenticate']).toBe('Bearer')
    }
    expect((await request(`${hubs[0]!.url}/api/v1/sites`, { token: KEYS.ioc })).status).toBe(200)
  })

  it('leaves the ingest API as it was', async () => {
    expect((await request(`${hubs[0]!.url}/v1/clock`, { token: EDGE_TOKEN })).status).toBe(200)
  })
})

describe('KPIs', () => {
  it('ratings by branch for a month equal the pure functions', async () => {
    const month = bucketOf(END - 20 * DAY, 'month')
    const body = conforms(await get(`/api/v1/kpi/ratings?groupBy=branch&at=${month.label}`), '/api/v1/kpi/ratings', 200)
    const f = facts()
    const inMonth = (x: { t: number }) => x.t >= month.start && x.t < month.end
    const want = aggregateRatings(f.ratings.filter(inMonth), { groupBy: ['branch'], period: 'month', tickets: f.tickets.filter(inMonth) })
    const groups = body.data as { key: { branch: string | null }; names: { branch: string | null } }[]
    // Each group names its key (issue 15); the figures are the pure functions'.
    expect(rounded(groups.map(({ names: _names, ...g }) => g))).toEqual(rounded(want))
    const branchNames: Record<string, string> = { 'ninh-kieu': 'Chi nhánh Ninh Kiều', 'cai-rang': 'Chi nhánh Cái Răng' }
    expect(groups.map((g) => g.names.branch).sort()).toEqual(groups.map((g) => (g.key.branch === null ? null : branchNames[g.key.branch])).sort())
    expect(groups.map((g) => g.names.branch)).toContain('Chi nhánh Ninh Kiều')
    expect(groups.length).toBe(3)
  })

  it('Decision 766 per site, queue per counter, site health, directory', async () => {
    const d766 = conforms(await get('/api/v1/kpi/decision766?groupBy=site&period=week&from=' + (END - 14 * DAY)), '/api/v1/kpi/decision766', 200)
    expect((d766.data as unknown[]).length).toBeGreaterThanOrEqual(3 * 2)
    const queue = conforms(await get('/api/v1/kpi/queue?site=ct-ninh-kieu&period=day&from=' + (END - 3 * DAY)), '/api/v1/kpi/queue', 200)
    expect((queue.data as { kpis: { served: number } }[]).some((g) => g.kpis.served > 0)).toBe(true)
    const health = conforms(await get('/api/v1/health/sites'), '/api/v1/health/sites', 200)
    const bySite = Object.fromEntries((health.data as { id: string }[]).map((s) => [s.id, s])) as unknown as Record<string, { lastSeenAt: number; devices: { total: number; up: number }; edge: { outboxOldestAgeS: number } }>
    expect(Object.keys(bySite).sort()).toEqual(['ct-cai-rang', 'ct-center', 'ct-ninh-kieu'])
    // The demo's scripted faults: a kiosk of the Center offline, the reception point silent, the branch backlogged.
    expect(bySite['ct-center']!.devices.up).toBe(bySite['ct-center']!.devices.total - 1)
    expect(END - bySite['ct-cai-rang']!.lastSeenAt).toBeGreaterThan(60 * 60_000)
    expect(bySite['ct-ninh-kieu']!.edge.outboxOldestAgeS).toBeGreaterThan(15 * 60)
    conforms(await get('/api/v1/sites'), '/api/v1/sites', 200)
  })

  it('answers a question about past days again from what the instance kept, and a rating about one of those days sent to another instance changes the answer at once', async () => {
    const month = bucketOf(END - 35 * DAY, 'month')
    const path = `/api/v1/kpi/ratings?groupBy=site&at=${month.label}`
    const pastAnswers = async () => {
      const text = await (await fetch(`${hubs[0]!.url}/metrics`)).text()
      const count = (outcome: string) => Number(new RegExp(`^motcua_hub_past_answers_total\\{outcome="${outcome}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0)
      return { hit: count('hit'), miss: count('miss') }
    }
    const counted = (body: Record<string, unknown>) =>
      Object.fromEntries((body.data as { key: { site: string }; kpis: { counted: number } }[]).map((g) => [g.key.site, g.kpis.counted]))
    // The hubs' rollups recount the demo's days they found at start, and each recount moves the epoch: let them finish.
    await Promise.all(hubs.map((h) => h.rollup!.catchUp()))
    const first = conforms(await get(path), '/api/v1/kpi/ratings', 200)
    const before = await pastAnswers()
    const again = conforms(await get(path), '/api/v1/kpi/ratings', 200)
    expect(again).toEqual(first)
    const after = await pastAnswers()
    expect(after.hit).toBeGreaterThan(before.hit)
    expect(after.miss).toBe(before.miss)
    // A rating dated in that month, sent by the Center's edge to the other instance: the rollup's epoch moves.
    const t = month.start + 3 * DAY + 3_600_000
    const record = {
      kind: 'rating', seq: 9_000_001, t, clock: 'synced', department: 'tu-phap', counter: 'q01', device: 'kiosk-late', officer: null, eventId: 'late-rating-0001',
      scale: 4, level: 1, score: 100, dissatisfied: false, reasons: [], ticket: null, deviceTs: t, edgeTs: t, misuse: null,
    }
    const posted = await request(`${hubs[1]!.url}/v1/batches`, { token: EDGE_TOKEN, body: { v: 1, site: 'ct-center', records: [record] } })
    expect(posted.body).toMatchObject({ accepted: 1, rejected: [] })
    const fresh = counted(conforms(await get(path), '/api/v1/kpi/ratings', 200))
    expect(fresh).toEqual({ ...counted(first), 'ct-center': counted(first)['ct-center']! + 1 })
  })

  it('answers bad parameters with 400 naming them, and never passes them to the database', async () => {
    const bad = [
      ['/api/v1/kpi/ratings?period=fortnight', 'period'],
      ["/api/v1/kpi/ratings?site=ct-center'%20OR%201=1", 'site'],
      ['/api/v1/kpi/ratings?site=ct-center/&groupBy=site', 'site'],
      ['/api/v1/kpi/ratings?groupBy=time', 'groupBy'],
      ['/api/v1/kpi/ratings?from=2026-11-20&to=2026-11-01&period=day', 'to'],
      ['/api/v1/kpi/ratings?at=2026-02-30', 'at'],
      ['/api/v1/kpi/ratings?from=yesterday', 'from'],
      ['/api/v1/ratings?limit=0', 'limit'],
      ['/api/v1/ratings?cursor=abc', 'cursor'],
      ['/api/v1/kpi/queue?groupBy=officer&site=ct-center', 'officer'],
      ['/api/v1/kpi/queue?period=month&from=' + (END - 60 * DAY), 'filter'],
    ]
    for (const [path, word] of bad) {
      const reply = await get(path!)
      const body = conforms(reply, '/api/v1/kpi/ratings', 400) as { error: { code: string; message: string } }
      expect(body.error.code, path).toBe('HUB_QUERY_INVALID')
      expect(body.error.message, path).toContain(word)
    }
  })

  it('refuses a span over 400 days with HUB_SPAN_TOO_LONG, so from=0 cannot read all history into memory (issue 11)', async () => {
    for (const path of ['/api/v1/kpi/ratings?period=year&from=0', '/api/v1/kpi/ratings?period=day&from=2020-01-01', '/api/v1/health/sites?from=0']) {
      const body = conforms(await get(path), '/api/v1/kpi/ratings', 400) as { error: { code: string; message: string } }
      expect(body.error.code, path).toBe('HUB_SPAN_TOO_LONG')
      expect(body.error.message, path).toContain('at most 400')
    }
  })
})

describe('a site-scoped key sees only its own site', () => {
  it('is refused another site by query parameter and by path (403)', async () => {
    for (const path of [
      '/api/v1/kpi/ratings?site=ct-ninh-kieu',
      '/api/v1/kpi/ratings?site=ct-center,ct-ninh-kieu',
      '/api/v1/sites/ct-ninh-kieu/kpi/ratings',
      '/api/v1/sites/ct-ninh-kieu/ratings',
      '/api/v1/ratings?site=ct-cai-rang',
      '/api/v1/export/ratings.csv?site=ct-cai-rang',
      '/api/v1/reports/monthly?month=2026-11&site=ct-cai-rang',
      '/api/v1/alerts?site=ct-cai-rang',
      '/api/v1/stream?site=ct-cai-rang',
      '/api/v1/health/sites?site=ct-ninh-kieu',
    ]) {
      const body = conforms(await get(path, KEYS.center), '/api/v1/kpi/ratings', 403) as { error: { code: string } }
      expect(body.error.code, path).toBe('HUB_API_FORBIDDEN')
    }
  })

  it('without a site filter, every answer holds only its own site', async () => {
    const kpi = conforms(await get('/api/v1/kpi/ratings?groupBy=site,counter&period=month&from=' + (END - 35 * DAY), KEYS.center), '/api/v1/kpi/ratings', 200)
    expect(new Set((kpi.data as { key: { site: string } }[]).map((g) => g.key.site))).toEqual(new Set(['ct-center']))
    const byBranch = conforms(await get('/api/v1/kpi/ratings?branch=ninh-kieu', KEYS.center), '/api/v1/kpi/ratings', 200)
    expect(byBranch.data).toEqual([])
    const raw = conforms(await get('/api/v1/ratings?limit=200', KEYS.center), '/api/v1/ratings', 200)
    expect((raw.data as unknown[]).length).toBeGreaterThan(0)
    expect(new Set((raw.data as { site: string }[]).map((r) => r.site))).toEqual(new Set(['ct-center']))
    const health = conforms(await get('/api/v1/health/sites', KEYS.center), '/api/v1/health/sites', 200)
    expect((health.data as { id: string }[]).map((s) => s.id)).toEqual(['ct-center'])
    const alerts = conforms(await get('/api/v1/alerts', KEYS.center), '/api/v1/alerts', 200)
    expect((alerts.data as { site: string }[]).every((a) => a.site === 'ct-center')).toBe(true)
    const dir = conforms(await get('/api/v1/sites', KEYS.center), '/api/v1/sites', 200) as { data: { sites: { id: string }[] } }
    expect(dir.data.sites.map((s) => s.id)).toEqual(['ct-center'])
  })
})

describe('raw ratings and CSV', () => {
  const from = END - 2 * DAY
  const expected = () =>
    data
      .filter((d) => d.site === 'ct-center')
      .flatMap((d) => d.records)
      .filter((r) => r.kind === 'rating' && r.t >= from && r.t < END)
      .map((r) => (r as { eventId: string }).eventId)
      .sort()

  it('pages through every rating once with the cursor', async () => {
    const seen: string[] = []
    let cursor: string | null = null
    for (let page = 0; page < 100; page++) {
      const body = conforms(
        await get(`/api/v1/sites/ct-center/ratings?from=${from}&to=${END}&limit=37${cursor ? `&cursor=${cursor}` : ''}`),
        '/api/v1/ratings',
        200,
      ) as { data: { eventId: string; time: string }[]; next: string | null }
      seen.push(...body.data.map((r) => r.eventId))
      const times = body.data.map((r) => r.time)
      expect([...times].sort().reverse()).toEqual(times)
      cursor = body.next
      if (!cursor) break
    }
    expect(cursor).toBeNull()
    expect(seen.length).toBe(new Set(seen).size)
    expect([...seen].sort()).toEqual(expected())
  })

  it('exports the same rows as CSV', async () => {
    const reply = await get(`/api/v1/export/ratings.csv?site=ct-center&from=${from}&to=${END}`)
    expect(reply.status).toBe(200)
    expect(reply.headers['content-type']).toContain('text/csv')
    const lines = reply.text.replace(/^\uFEFF/, '').trim().split('\r\n')
    const header = lines[0]!.split(',')
    expect(header).toEqual([
      'time', 'site', 'siteName', 'department', 'departmentName', 'counter', 'counterName', 'officer', 'officerName',
      'device', 'scale', 'level', 'score', 'dissatisfied', 'misuse', 'ticket', 'reasons', 'eventId',
    ])
    const rows = lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [header[i], v])))
    expect(rows.map((r) => r.eventId).sort()).toEqual(expected())
    const byId = new Map(data[0]!.records.filter((r) => r.kind === 'rating').map((r) => [(r as { eventId: string }).eventId, r as Extract<typeof r, { kind: 'rating' }>]))
    for (const row of rows.slice(0, 200)) {
      const rec = byId.get(row.eventId!)!
      expect(row).toMatchObject({ site: 'ct-center', counter: rec.counter, level: String(rec.level), score: String(rec.score), misuse: rec.misuse ?? '', officer: rec.officer ?? '' })
    }
  })
})

describe('alerts', () => {
  it('lists current alerts and keeps an acknowledgement across hub instances', async () => {
    const list = conforms(await get('/api/v1/alerts', KEYS.ioc, 0), '/api/v1/alerts', 200) as { data: { id: string; kind: string; site: string; ack: unknown }[] }
    const kinds = new Set(list.data.map((a) => `${a.kind}@${a.site}`))
    expect(kinds).toContain('edge_silent@ct-cai-rang')
    expect(kinds).toContain('edge_backlog@ct-ninh-kieu')
    expect(kinds).toContain('camera_offline@ct-ninh-kieu')
    const target = list.data.find((a) => a.kind === 'edge_silent')!
    expect(target.ack).toBeNull()
    const path = `/api/v1/alerts/${encodeURIComponent(target.id)}/ack`
    // A site key may not acknowledge another site's alert.
    const forbidden = await request(`${hubs[0]!.url}${path}`, { token: KEYS.center, body: { comment: 'không phải của tôi' } })
    conforms(forbidden, '/api/v1/alerts/{id}/ack', 403, 'post')
    const acked = await request(`${hubs[0]!.url}${path}`, { token: KEYS.ioc, body: { comment: 'Đã gọi kỹ thuật viên tại điểm', by: 'Nguyễn Văn A' } })
    const body = conforms(acked, '/api/v1/alerts/{id}/ack', 200, 'post') as { data: { ack: { by: string; comment: string } } }
    expect(body.data.ack).toMatchObject({ by: 'ioc: Nguyễn Văn A', comment: 'Đã gọi kỹ thuật viên tại điểm' })
    // The other instance sees it, and refuses a second acknowledgement.
    const other = conforms(await get('/api/v1/alerts?site=ct-cai-rang', KEYS.ioc, 1), '/api/v1/alerts', 200) as { data: { id: string; ack: { by: string } | null }[] }
    expect(other.data.find((a) => a.id === target.id)?.ack?.by).toBe('ioc: Nguyễn Văn A')
    const again = await request(`${hubs[1]!.url}${path}`, { token: KEYS.ioc, body: { comment: 'lần hai' } })
    expect((conforms(again, '/api/v1/alerts/{id}/ack', 400, 'post') as { error: { code: string } }).error.code).toBe('HUB_ALERT_ACK_INVALID')
    const empty = await request(`${hubs[1]!.url}/api/v1/alerts/${encodeURIComponent(list.data.find((a) => a.kind === 'edge_backlog')!.id)}/ack`, { token: KEYS.ioc, body: { comment: '  ' } })
    expect((conforms(empty, '/api/v1/alerts/{id}/ack', 400, 'post') as { error: { code: string } }).error.code).toBe('HUB_ALERT_ACK_INVALID')
    const unknown = await request(`${hubs[1]!.url}/api/v1/alerts/${encodeURIComponent('edge_silent:ct-center:123')}/ack`, { token: KEYS.ioc, body: { comment: 'x' } })
    expect((conforms(unknown, '/api/v1/alerts/{id}/ack', 404, 'post') as { error: { code: string } }).error.code).toBe('HUB_ALERT_NOT_FOUND')
  })
})

describe('live stream', () => {
  it('delivers a rating sent through the ingest API after the stream opened, only to streams that may see it', async () => {
    const events: { event: string; data: { eventId?: string; site?: string } }[] = []
    const otherSite: string[] = []
    const otherAlerts: { site: string; kind: string }[] = []
    const open = (key: string, query: string, sink: (e: string, d: string) => void) =>
      new Promise<http.ClientRequest>((resolve, reject) => {
        const req = http.get(`${hubs[1]!.url}/api/v1/stream${query}`, { headers: { authorization: `Bearer ${key}` } }, (res) => {
          expect(res.headers['content-type']).toContain('text/event-stream')
          let buf = ''
          res.setEncoding('utf8')
          res.on('data', (c: string) => {
            buf += c
            let i
            while ((i = buf.indexOf('\n\n')) >= 0) {
              const block = buf.slice(0, i)
              buf = buf.slice(i + 2)
              const ev = /^event: (.*)$/m.exec(block)?.[1]
              const d = /^data: (.*)$/m.exec(block)?.[1]
              if (ev && d) sink(ev, d)
            }
          })
          resolve(req)
        })
        req.on('error', reject)
      })
    const a = await open(KEYS.ioc, '?site=ct-center', (event, d) => events.push({ event, data: JSON.parse(d) as { eventId?: string } }))
    const b = await open(KEYS.ioc, '?site=ct-ninh-kieu', (event, d) => {
      if (event === 'rating') otherSite.push(d)
      if (event === 'alert') otherAlerts.push(JSON.parse(d) as { site: string; kind: string })
    })
    try {
      // Part of the scenario: the rating is stamped clearly after the streams opened (they start from their opening millisecond).
      await new Promise((r) => setTimeout(r, 300))
      const t = Date.now()
      const record = { kind: 'rating', seq: 9_000_001, t, clock: 'synced', department: 'tu-phap', counter: 'q01', device: 'kiosk-q01', officer: null, eventId: 'stream-test-000001', scale: 4, level: 1, score: 100, dissatisfied: false, reasons: [], ticket: null, deviceTs: t, edgeTs: t, misuse: null }
      const posted = await request(`${hubs[0]!.url}/v1/batches`, { token: EDGE_TOKEN, body: { v: 1, site: 'ct-center', records: [record] } })
      expect(posted.status).toBe(200)
      const got = await waitFor('the rating event', () => events.find((e) => e.event === 'rating' && e.data.eventId === 'stream-test-000001'))
      expect(validate(doc, { $ref: '#/components/schemas/RawRating' }, got!.data)).toEqual([])
      // Ratings from before the stream opened are not replayed; alerts of the site come as events.
      expect(events.filter((e) => e.event === 'rating').map((e) => e.data.eventId)).toEqual(['stream-test-000001'])
      expect(otherSite).toEqual([])
      // The branch's scripted faults come as alert events, each once, and only its own.
      await waitFor("two alert events of the branch's site", () => otherAlerts.length >= 2)
      expect(otherAlerts.map((a) => a.kind).sort()).toEqual(['camera_offline', 'edge_backlog'])
      expect(otherAlerts.every((a) => a.site === 'ct-ninh-kieu')).toBe(true)
    } finally {
      a.destroy()
      b.destroy()
    }
  })
})
