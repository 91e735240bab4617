/**
 * Issue 15 end to end: a real edge (broker, LevelDB outbox, forwarder) sends
 * its directory of names and its officers' kiosk sign-ins and sign-outs to a
 * real hub writing a real influxd. The KPI API and the CSV show names, a
 * renamed counter keeps its history, duty reaches InfluxDB exactly once, and
 * the duty API's figures are the pure functions' for the stored events.
 */
process.env.LOG_LEVEL ??= 'silent'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../common/log.js'
import { hashPin, hashSecret } from '../../common/secrets.js'
import { edgeConfigSchema, type EdgeConfig } from '../../edge/config/schema.js'
import { startEdge, type RunningEdge } from '../../edge/main.js'
import { openingHoursSchema } from '../../hub/config/opening-hours.js'
import { hubConfigSchema, type HubConfig } from '../../hub/config/schema.js'
import { counterDays, daysIn, dutyIntervals, localDayStart, officerDays, ratingsPerHour, type DutyEvent, type DutySchedule } from '../../hub/kpi/duty.js'
import { startHub, type RunningHub } from '../../hub/main.js'
import { createInfluxQuery } from '../../hub/queries/client.js'
import { createDirectory } from '../../hub/queries/directory.js'
import { createSiteNames } from '../../hub/queries/names.js'
import { topics } from '../../protocol/topics.js'
import type { DutyReason } from '../../protocol/records.js'
import { startInfluxd, type Influxd } from '../../testkit/influxd.js'
import { freePort } from '../../testkit/ports.js'
import { waitFor } from '../../testkit/wait.js'
import { testSite, type TestDevice } from '../support/edge-site.js'
import { request } from './helpers.js'
import { responseSchema, validate } from './openapi-validate.js'

const DB = 'motcua_duty_names'
const SITE = 'ct-center'
const EDGE_TOKEN = 'duty-names-edge-token-0123456789'
const HR_KEY = 'hr-key-duty-names-0123456789abcdef'
const IOC_KEY = 'ioc-key-duty-names-0123456789abcdef'
const PIN = '2468'
/** The hub's clock runs 2 h ahead of the edge's, so an open interval has hours in it. */
const AHEAD_MS = 2 * 3_600_000
const log = createLogger('test', 'silent')
const root = mkdtempSync(join(tmpdir(), 'motcua-duty-names-'))

let influx: Influxd
let hub: RunningHub
let edge: RunningEdge | null = null
let config: EdgeConfig
let hubConfig: HubConfig
let devices: Record<string, TestDevice>
const hubNow = () => Date.now() + AHEAD_MS

async function bootEdge(c: EdgeConfig): Promise<void> {
  edge = await startEdge(c, { log })
  // Later starts keep the ports of the first, like a Pi that reboots.
  config = edgeConfigSchema.parse({ ...c, broker: { ...c.broker, mqttPort: edge.ports.mqtt, wsPort: edge.ports.ws }, http: { ...c.http, port: edge.ports.http } })
}

async function restartEdge(c: EdgeConfig): Promise<void> {
  await edge?.stop()
  edge = null
  await bootEdge(c)
}

const api = (path: string, key = HR_KEY) => request(`${hub.url}${path}`, { token: key })

/** InfluxQL with epoch ms times. */
async function rows(q: string): Promise<Record<string, unknown>[]> {
  const res = await fetch(`${influx.url}/query?${new URLSearchParams({ db: DB, q, epoch: 'ms' })}`)
  const body = (await res.json()) as { results: { series?: { columns: string[]; values: unknown[][]; tags?: Record<string, string> }[] }[] }
  return (body.results[0]?.series ?? []).flatMap((s) => s.values.map((v) => ({ ...s.tags, ...Object.fromEntries(s.columns.map((c, i) => [c, v[i]])) })))
}

async function kiosk(device: TestDevice) {
  return mqtt.connectAsync(`mqtt://127.0.0.1:${edge!.ports.mqtt}`, { username: device.id, password: device.secret, reconnectPeriod: 0 })
}

const rate = (client: mqtt.MqttClient, counter: string, id: string) =>
  client.publishAsync(topics.rating(SITE, counter), JSON.stringify({ v: 1, id, ts: Date.now(), scale: 4, level: 1 }), { qos: 1 })
const signIn = (client: mqtt.MqttClient, counter: string, id: string, officer: string) =>
  client.publishAsync(topics.officer(SITE, counter), JSON.stringify({ v: 1, id, ts: Date.now(), action: 'sign-in', officer, pin: PIN }), { qos: 1 })
const signOut = (client: mqtt.MqttClient, counter: string, id: string) =>
  client.publishAsync(topics.officer(SITE, counter), JSON.stringify({ v: 1, id, ts: Date.now(), action: 'sign-out', pin: PIN }), { qos: 1 })

beforeAll(async () => {
  influx = await startInfluxd()
  hubConfig = hubConfigSchema.parse({
      // A fixed port: the hub is restarted on it below, and the edge keeps its URL.
      http: { host: '127.0.0.1', port: await freePort() },
      influx: { version: 1, url: influx.url, database: DB },
      edges: [{ site: SITE, tokenHash: hashSecret(EDGE_TOKEN) }],
      apiKeys: [
        { id: 'hr', keyHash: hashSecret(HR_KEY), scope: 'ioc', officers: true },
        { id: 'ioc', keyHash: hashSecret(IOC_KEY), scope: 'ioc' },
      ],
    })
  hub = await startHub(hubConfig, { log, now: hubNow, rollupIntervalMs: 200 })
  const site = testSite()
  devices = site.devices
  const pinHash = await hashPin(PIN)
  await bootEdge(edgeConfigSchema.parse({
    ...site.config,
    officers: site.config.officers.map((o) => (o.id === 'tran-thi-b' ? o : { ...o, pinHash })),
    hub: { url: hub.url, token: EDGE_TOKEN, backoffMinMs: 50, backoffMaxMs: 300 },
    outbox: { dir: join(root, 'outbox') },
    // The test's presses come seconds apart at one counter: not misuse here, so they count as ratings per hour.
    misuse: { rapidWindowS: 0, excessAllowance: 1000 },
  }))
}, 120_000)

afterAll(async () => {
  await edge?.stop()
  await hub?.stop()
  await influx?.stop()
  rmSync(root, { recursive: true, force: true })
})

describe('names and duty from a real edge (issue 15)', () => {
  it('the KPI API and the CSV name the counter, department and officer the edge\'s directory names', async () => {
    const k1 = await kiosk(devices.k1!)
    try {
      await rate(k1, 'q1', 'evt-names-0001')
    } finally {
      await k1.endAsync()
    }
    const groups = await waitFor('a rating group for q1 with its names', async () => {
      const reply = await api(`/api/v1/kpi/ratings?site=${SITE}&groupBy=counter,officer&period=day&from=${localDayStart(Date.now() - 86_400_000)}`)
      const data = (reply.body as { data?: { key: Record<string, string>; names: Record<string, string>; kpis: { presses: number } }[] }).data ?? []
      return data.find((g) => g.key.counter === 'q1' && g.kpis.presses >= 1) ? data : null
    })
    const q1 = groups.find((g) => g.key.counter === 'q1')!
    expect(q1.names).toEqual({ site: 'Trung tâm Phục vụ hành chính công Cần Thơ', counter: 'Quầy 1', officer: 'Nguyễn Văn A' })
    const byDepartment = await api(`/api/v1/kpi/decision766?site=${SITE}&groupBy=department&period=day&from=${localDayStart(Date.now() - 86_400_000)}`)
    expect((byDepartment.body as { data: { names: Record<string, string> }[] }).data.map((g) => g.names.department)).toContain('Sở Tư pháp')
    const sites = (await api('/api/v1/sites', IOC_KEY)).body as { data: { sites: { id: string; name: string; counters: unknown[]; departments: unknown[] }[] } }
    expect(sites.data.sites.find((s) => s.id === SITE)).toMatchObject({
      name: 'Trung tâm Phục vụ hành chính công Cần Thơ',
      departments: [{ id: 'justice', name: 'Sở Tư pháp' }, { id: 'health', name: 'Sở Y tế' }],
      counters: [{ id: 'q1', name: 'Quầy 1', department: 'justice' }, { id: 'q2', name: 'Quầy 2', department: 'health' }, { id: 'q3', name: 'Quầy 3', department: 'health' }],
    })
    const csv = await api(`/api/v1/export/ratings.csv?site=${SITE}`)
    const [header, row] = csv.text.replace(/^\uFEFF/, '').split('\r\n')
    expect(header!.split(',').slice(1, 9)).toEqual(['site', 'siteName', 'department', 'departmentName', 'counter', 'counterName', 'officer', 'officerName'])
    expect(row!.split(',').slice(1, 9)).toEqual([SITE, 'Trung tâm Phục vụ hành chính công Cần Thơ', 'justice', 'Sở Tư pháp', 'q1', 'Quầy 1', 'nguyen-van-a', 'Nguyễn Văn A'])
  })

  it('forwards each sign-in and sign-out exactly once, and the duty API\'s figures are the pure functions\' for the stored events', async () => {
    const k1 = await kiosk(devices.k1!)
    const k2 = await kiosk(devices.k2!)
    try {
      await signIn(k1, 'q1', 'off-sign-0001', 'le-van-c')
      // The same message again, as after a lost PUBACK: acknowledged, nothing new stored.
      await signIn(k1, 'q1', 'off-sign-0001', 'le-van-c')
      await rate(k1, 'q1', 'evt-duty-0001')
      await signIn(k2, 'q2', 'off-sign-0002', 'nguyen-van-a')
      await signOut(k1, 'q1', 'off-sign-0003')
    } finally {
      await k1.endAsync()
      await k2.endAsync()
    }
    // Batches go four at a time, so the rating can be written after the duty events sent later: wait for both.
    const stored = await waitFor('the start\'s restart, the three kiosk duty events and the rating in InfluxDB', async () => {
      const r = await rows('SELECT * FROM "duty"')
      return r.length >= 4 && (await rows(`SELECT * FROM "rating" WHERE "event_id" = 'evt-duty-0001'`)).length === 1 ? r : null
    })
    expect(stored.map((r) => [r.event, r.reason, r.counter ?? null, r.officer ?? null, r.event_id ?? null])).toEqual([
      ['out', 'restart', null, null, null],
      ['in', 'sign-in', 'q1', 'le-van-c', 'off-sign-0001'],
      ['in', 'sign-in', 'q2', 'nguyen-van-a', 'off-sign-0002'],
      ['out', 'sign-out', 'q1', 'le-van-c', 'off-sign-0003'],
    ])

    const events: DutyEvent[] = stored.map((r) => ({
      t: Number(r.time), site: SITE, counter: (r.counter as string | undefined) ?? null, officer: (r.officer as string | undefined) ?? null,
      event: r.event as 'in' | 'out', reason: r.reason as DutyReason,
    }))
    // The edge stamps with its clock mapped to the hub's from the last ack (edge/clock), which can run a few ms
    // ahead of the hub's own; the hub answers up to its now, so it is asked once the last stamp has passed.
    const last = Math.max(...events.map((e) => e.t))
    const hubNow = async () => ((await api('/api/v1/duty?site=' + SITE)).body as { meta: { to: number } }).meta.to - 1
    const lead = last - (await hubNow())
    expect(lead).toBeLessThan(1000)
    if (lead >= 0) await new Promise((ok) => setTimeout(ok, lead + 5))
    const from = localDayStart(await hubNow())
    const reply = await api(`/api/v1/duty?site=${SITE}&from=${from}`)
    expect(reply.status).toBe(200)
    const doc = (await request(`${hub.url}/api/openapi.json`)).body as Record<string, unknown>
    expect(validate(doc, responseSchema(doc, '/api/v1/duty', 'get', 200), reply.body)).toEqual([])
    const { data, meta } = reply.body as { data: { officers: Record<string, unknown>[]; counters: Record<string, unknown>[]; intervals: unknown[] }; meta: { to: number } }
    // The hub answered for its own now; the pure functions get the same.
    const now = meta.to - 1
    const schedule: DutySchedule = {
      // q1's configured officer has a PIN and q1 a kiosk; q2's (tran-thi-b) has no PIN, q3 no kiosk.
      scheduled: () => ['nguyen-van-a'],
      kioskCounters: () => ['q1', 'q2'],
      hours: () => openingHoursSchema.parse(undefined),
    }
    const intervals = dutyIntervals(events, now)
    expect(data.intervals).toEqual(intervals)
    const days = daysIn(from, now + 1)
    const expected = officerDays(intervals, days, schedule, now)
    expect(data.officers.map((o) => ({
      site: o.site, officer: o.officer, day: o.day, minutesOnDuty: o.minutesOnDuty, minutesInOpeningHours: o.minutesInOpeningHours, firstIn: o.firstIn,
      lastOut: o.lastOut, counters: (o.counters as { id: string }[]).map((c) => c.id), scheduled: o.scheduled, lateMin: o.lateMin, absent: o.absent,
    }))).toEqual(expected)
    const leVanC = data.officers.find((o) => o.officer === 'le-van-c')!
    expect(leVanC).toMatchObject({ officerName: 'Lê Văn C', counters: [{ id: 'q1', name: 'Quầy 1' }], ratings: 1 })
    expect(leVanC.ratingsPerHour).toBe(ratingsPerHour(leVanC as { minutesOnDuty: number }, 1))
    expect(data.counters.map(({ site, counter, day, openMinutes, unstaffedMinutes }) => ({ site, counter, day, openMinutes, unstaffedMinutes })))
      .toEqual(counterDays(intervals, days, [SITE], schedule, now))

    // Officers' own figures only for a key allowed to read them.
    const ioc = await api(`/api/v1/duty?site=${SITE}&from=${from}`, IOC_KEY)
    expect(Object.keys((ioc.body as { data: object }).data).sort()).toEqual(['counters', 'days'])
    expect(validate(doc, responseSchema(doc, '/api/v1/duty', 'get', 200), ioc.body)).toEqual([])
    expect((await api(`/api/v1/duty?site=${SITE}&officer=le-van-c`, IOC_KEY)).status).toBe(403)
  })

  it('a renamed counter keeps its history under its new name; a restart with the same directory sends none, and closes the open duty', async () => {
    const renamed = edgeConfigSchema.parse({ ...config, counters: config.counters.map((c) => (c.id === 'q1' ? { ...c, name: 'Quầy Hộ tịch' } : c)) })
    await restartEdge(renamed)
    const k1 = await kiosk(devices.k1!)
    try {
      await rate(k1, 'q1', 'evt-names-0002')
    } finally {
      await k1.endAsync()
    }
    await restartEdge(renamed)
    const q1 = await waitFor('q1 with its three ratings under its new name', async () => {
      const reply = await api(`/api/v1/kpi/ratings?site=${SITE}&groupBy=counter&period=day&from=${localDayStart(Date.now() - 86_400_000)}`)
      const data = (reply.body as { data?: { key: Record<string, string>; names: Record<string, string>; kpis: { presses: number } }[] }).data ?? []
      const sum = data.filter((g) => g.key.counter === 'q1').reduce((n, g) => n + g.kpis.presses, 0)
      return sum === 3 && data.every((g) => g.key.counter !== 'q1' || g.names.counter === 'Quầy Hộ tịch') ? data : null
    })
    expect(q1.filter((g) => g.key.counter === 'q1').map((g) => g.names.counter)).toContain('Quầy Hộ tịch')
    const directories = await waitFor('the second directory and both restarts stored', async () => {
      const dirs = await rows('SELECT "hash", "body" FROM "directory"')
      const restarts = await rows(`SELECT "reason" FROM "duty" WHERE "reason" = 'restart'`)
      return dirs.length === 2 && restarts.length === 3 ? dirs : null
    })
    expect(directories.map((d) => (JSON.parse(String(d.body)) as { counters: { name: string }[] }).counters[0]!.name)).toEqual(['Quầy 1', 'Quầy Hộ tịch'])
    // Another hub instance reads the same names from InfluxDB (at its start, and every minute after).
    const other = createSiteNames({ db: createInfluxQuery(hubConfigSchema.parse({ influx: { version: 1, url: influx.url, database: DB }, edges: [{ site: SITE, tokenHash: hashSecret(EDGE_TOKEN) }] }).influx) })
    await other.load()
    expect(createDirectory({ province: 'p', sites: [], branches: [], edges: [] }, other).counters(SITE).map((c) => c.name)).toEqual(['Quầy Hộ tịch', 'Quầy 2', 'Quầy 3'])
    // nguyen-van-a was still signed in at q2: the first restart ended that interval.
    const duty = await api(`/api/v1/duty?site=${SITE}&officer=nguyen-van-a&from=${localDayStart(Date.now())}`)
    expect((duty.body as { data: { intervals: { counter: string; end: string }[] } }).data.intervals).toEqual([expect.objectContaining({ counter: 'q2', end: 'restart' })])
    // Every kiosk event id is stored once.
    const ids = (await rows('SELECT "event_id" FROM "duty"')).map((r) => r.event_id).filter(Boolean)
    expect(ids.sort()).toEqual(['off-sign-0001', 'off-sign-0002', 'off-sign-0003'])
  })

  it('a sign-in made while the hub is down arrives exactly once after it is back, and a hub started afresh names ids from InfluxDB', async () => {
    await hub.stop()
    const k1 = await kiosk(devices.k1!)
    try {
      // Acknowledged by the edge once in its outbox: the hub is not needed for that.
      await signIn(k1, 'q1', 'off-sign-0004', 'le-van-c')
      await signIn(k1, 'q1', 'off-sign-0004', 'le-van-c')
    } finally {
      await k1.endAsync()
    }
    hub = await startHub(hubConfig, { log, now: hubNow, rollupIntervalMs: 200 })
    const stored = await waitFor('the sign-in made while the hub was down', async () => {
      const r = await rows(`SELECT "event_id" FROM "duty" WHERE "event_id" = 'off-sign-0004'`)
      return r.length > 0 ? r : null
    })
    expect(stored).toHaveLength(1)
    // This hub wrote no directory: it read the names at its start.
    const sites = (await api('/api/v1/sites', IOC_KEY)).body as { data: { sites: { id: string; counters: { name: string }[] }[] } }
    expect(sites.data.sites.find((s) => s.id === SITE)!.counters[0]!.name).toBe('Quầy Hộ tịch')
  })
})
