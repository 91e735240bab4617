/** The ingest API end to end: real HTTPS with the test CA, real influxd 1.6, InfluxQL to read back. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startHub, type RunningHub } from '../../hub/main.js'
import { makeTestPki, type TestPki } from '../../testkit/certs.js'
import { startInfluxd, type Influxd } from '../../testkit/influxd.js'
import { BASE_MS, batchOf, hubConfig, influxCount, influxQuery, influxRows, rating, ratings, request, TOKENS } from './helpers.js'

process.env.LOG_LEVEL ??= 'silent'

const SITE = 'ttpv-can-tho'
const DB = 'motcua_ingest'
let influx: Influxd
let hub: RunningHub
let pki: TestPki
let dir: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'motcua-hub-ingest-'))
  pki = makeTestPki(dir)
  influx = await startInfluxd()
  hub = await startHub(
    hubConfig({ version: 1, url: influx.url, database: DB }, { tls: { cert: pki.serverCert, key: pki.serverKey }, maxBodyBytes: 64 * 1024 }),
    { now: () => 1_800_000_000_000 },
  )
})

afterAll(async () => {
  await hub?.stop()
  await influx?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

const post = (body: unknown, token: string = TOKENS[SITE], extra: Parameters<typeof request>[1] = {}) =>
  request(`${hub.url}/v1/batches`, { token, body, ca: pki.caPem, ...extra })

describe('POST /v1/batches', () => {
  it('writes every record kind and answers only after InfluxDB holds them', async () => {
    const records = [
      rating(1, { officer: 'cb-tran-binh', level: 4, score: 0, dissatisfied: true, reasons: ['cho-lau', 'thai-do'], misuse: 'rapid' }),
      { kind: 'ticket', seq: 2, t: BASE_MS + 2000, clock: 'synced', department: 'tu-phap', counter: 'q1', device: 'queue-1', eventId: 'tkt-00000002', ticket: 'A102', event: 'issued', deviceTs: 1, edgeTs: 2 },
      { kind: 'device_status', seq: 3, t: BASE_MS + 3000, clock: 'unsynced', counter: 'q1', device: 'kiosk-1', deviceKind: 'kiosk', online: true },
      { kind: 'heartbeat', seq: 4, t: BASE_MS + 4000, clock: 'synced', counter: 'q1', device: 'kiosk-1', uptimeS: 60, rssi: -50, battery: 87.5 },
      { kind: 'edge_health', seq: 5, t: BASE_MS + 5000, clock: 'synced', uptimeS: 100, outboxDepth: 7, outboxOldestAgeS: 2.5, outboxBytes: 4096, diskFreeBytes: 8e9, connectedDevices: 3, cpuTempC: 51.2, rssBytes: 9e7, shed: 0, rejected: 0, deadLetters: 0, clockOffsetMs: null },
      { kind: 'camera_status', seq: 6, t: BASE_MS + 6000, clock: 'synced', camera: 'cam-sanh', state: 'online', onvif: true, stream: true, cameraOffsetMs: 40, detail: 'ok' },
      { kind: 'camera_event', seq: 7, t: BASE_MS + 7000, clock: 'synced', camera: 'cam-sanh', event: 'tamper', state: true, snapshot: 'cam-sanh-1.jpg' },
    ]
    const res = await post(batchOf(SITE, records))
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ accepted: 7, rejected: [], serverTime: 1_800_000_000_000 })

    // The answer came after the write, so the data is readable at once.
    const [r] = await influxQuery(influx.url, DB, 'SELECT * FROM rating')
    expect(r?.values).toHaveLength(1)
    const row = Object.fromEntries((r?.columns ?? []).map((c, i) => [c, r?.values[0]?.[i]]))
    expect(row).toMatchObject({
      time: new Date(BASE_MS + 1000).toISOString().replace('.000Z', '.000000001Z'),
      site: SITE, department: 'tu-phap', counter: 'q1', device: 'kiosk-1', officer: 'cb-tran-binh', scale: '4', level: '4',
      score: 0, dissatisfied: true, misuse: 'rapid', event_id: 'evt-00000001', ticket: 'A101', reasons: 'cho-lau,thai-do',
      device_ts: BASE_MS + 850, edge_ts: BASE_MS + 980, clock: 'synced', seq: 1,
    })
    // Tag or field is decided by the schema, and InfluxDB agrees.
    const tagKeys = (await influxQuery(influx.url, DB, 'SHOW TAG KEYS FROM rating'))[0]?.values.flat()
    expect(tagKeys?.sort()).toEqual(['counter', 'department', 'device', 'level', 'officer', 'scale', 'site'])
    const fieldTypes = Object.fromEntries((await influxQuery(influx.url, DB, 'SHOW FIELD KEYS FROM rating'))[0]?.values ?? [])
    expect(fieldTypes).toMatchObject({ score: 'float', dissatisfied: 'boolean', seq: 'integer', device_ts: 'integer', event_id: 'string' })

    expect(await influxRows(influx.url, DB, 'SELECT event, ticket FROM ticket')).toEqual([
      { time: new Date(BASE_MS + 2000).toISOString().replace('.000Z', '.000000002Z'), event: 'issued', ticket: 'A102' },
    ])
    expect((await influxRows(influx.url, DB, 'SELECT battery, rssi FROM heartbeat'))[0]).toMatchObject({ battery: 87.5, rssi: -50 })
    const health = (await influxRows(influx.url, DB, 'SELECT * FROM edge_health'))[0]
    expect(health).toMatchObject({ outbox_depth: 7, cpu_temp_c: 51.2 })
    expect(health).not.toHaveProperty('clock_offset_ms') // null: never written, so no such column
    expect((await influxRows(influx.url, DB, 'SELECT online, state FROM camera_status'))[0]).toMatchObject({ online: true, state: 'online' })
    expect((await influxRows(influx.url, DB, 'SELECT snapshot FROM camera_event'))[0]).toMatchObject({ snapshot: 'cam-sanh-1.jpg' })
    expect((await influxRows(influx.url, DB, 'SELECT online FROM device_status'))[0]).toMatchObject({ online: true })
  })

  it('a batch replayed five times leaves exactly one point per record', async () => {
    const batch = batchOf(SITE, ratings(100, 50))
    for (let i = 0; i < 5; i++) expect((await post(batch)).status).toBe(200)
    const rows = await influxRows(influx.url, DB, 'SELECT count(seq) FROM rating WHERE seq >= 100 AND seq < 150')
    expect(rows[0]?.count).toBe(50)
  })

  it('two records of one series in the same millisecond stay two points', async () => {
    const a = rating(200)
    const b = { ...rating(201), t: (a as { t: number }).t, counter: 'q2', device: 'kiosk-2' }
    const c = { ...rating(202), t: (a as { t: number }).t, counter: 'q2', device: 'kiosk-2' }
    expect((await post(batchOf(SITE, [a, b, c]))).status).toBe(200)
    const rows = await influxRows(influx.url, DB, 'SELECT seq FROM rating WHERE seq >= 200 AND seq < 203')
    expect(rows.map((r) => r.seq)).toEqual([200, 201, 202])
  })

  it('lists invalid records in rejected and writes the valid ones', async () => {
    const res = await post(batchOf(SITE, [rating(300), { ...rating(301), scale: 7 }, rating(302), { kind: 'unknown' }]))
    expect(res.status).toBe(200)
    const ack = res.body as { accepted: number; rejected: { index: number; code: string; message: string }[] }
    expect(ack.accepted).toBe(2)
    expect(ack.rejected.map((r) => [r.index, r.code])).toEqual([[1, 'HUB_RECORD_INVALID'], [3, 'HUB_RECORD_INVALID']])
    expect(ack.rejected[0]?.message).toMatch(/scale/)
    const rows = await influxRows(influx.url, DB, 'SELECT seq FROM rating WHERE seq >= 300 AND seq < 310')
    expect(rows.map((r) => r.seq)).toEqual([300, 302])
  })

  it('accepts a gzip body, as slow uplinks send it', async () => {
    const res = await post(batchOf(SITE, ratings(400, 20)), TOKENS[SITE], { gzip: true })
    expect(res.status).toBe(200)
    expect((res.body as { accepted: number }).accepted).toBe(20)
  })

  it('refuses a missing or wrong token with 401 HUB_AUTH_FAILED', async () => {
    for (const token of ['', 'wrong-token', `${TOKENS[SITE]}x`]) {
      const res = await post(batchOf(SITE, [rating(500)]), token)
      expect(res.status, token).toBe(401)
      expect(res.body).toEqual({ error: { code: 'HUB_AUTH_FAILED', message: 'missing or wrong edge token' } })
    }
    expect(await influxCount(influx.url, DB, 'rating')).toBeGreaterThan(0)
    expect(await influxRows(influx.url, DB, 'SELECT seq FROM rating WHERE seq = 500')).toEqual([])
  })

  it("refuses another site's batch with 403 HUB_SITE_FORBIDDEN", async () => {
    const res = await post(batchOf(SITE, [rating(501)]), TOKENS['chi-nhanh-tay-ho'])
    expect(res.status).toBe(403)
    expect((res.body as { error: { code: string } }).error.code).toBe('HUB_SITE_FORBIDDEN')
    expect(await influxRows(influx.url, DB, 'SELECT seq FROM rating WHERE seq = 501')).toEqual([])
  })

  it('refuses malformed bodies with 400 HUB_BATCH_INVALID', async () => {
    const bodies: Parameters<typeof request>[1][] = [
      { rawBody: '{"v":1,' },
      { body: { v: 1, site: SITE, records: [] } },
      { body: { v: 2, site: SITE, records: [rating(1)] } },
      { body: { v: 1, site: SITE, records: [rating(1)], extra: true } },
      { body: [1, 2, 3] },
    ]
    for (const b of bodies) {
      const res = await request(`${hub.url}/v1/batches`, { token: TOKENS[SITE], ca: pki.caPem, ...b })
      expect(res.status, JSON.stringify(b)).toBe(400)
      expect((res.body as { error: { code: string } }).error.code).toBe('HUB_BATCH_INVALID')
    }
  })

  it('refuses a body over maxBodyBytes with 413 HUB_BODY_TOO_LARGE, declared or not', async () => {
    const big = batchOf(SITE, ratings(600, 400))
    expect((await post(big)).status).toBe(413)
    expect(((await post(big)).body as { error: { code: string } }).error.code).toBe('HUB_BODY_TOO_LARGE')
    // A small gzip body that inflates past the limit is caught after decompression.
    const bomb = { v: 1, site: SITE, records: [{ pad: 'x'.repeat(200_000) }] }
    const res = await post(bomb, TOKENS[SITE], { gzip: true })
    expect(res.status).toBe(413)
    expect(await influxRows(influx.url, DB, 'SELECT seq FROM rating WHERE seq >= 600 AND seq < 1000')).toEqual([])
  })
})

describe('other endpoints', () => {
  it('GET /v1/clock gives the server time to authenticated edges only', async () => {
    expect((await request(`${hub.url}/v1/clock`, { token: TOKENS[SITE], ca: pki.caPem })).body).toEqual({ serverTime: 1_800_000_000_000 })
    expect((await request(`${hub.url}/v1/clock`, { ca: pki.caPem })).status).toBe(401)
  })

  it('GET /healthz says whether InfluxDB answers', async () => {
    const res = await request(`${hub.url}/healthz`, { ca: pki.caPem })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ status: 'ok' })
  })

  it('GET /metrics counts batches, records and write latency', async () => {
    const res = await request(`${hub.url}/metrics`, { ca: pki.caPem })
    expect(res.status).toBe(200)
    expect(res.text).toMatch(/motcua_hub_batches_total\{outcome="accepted"\} (\d+)/)
    expect(Number(/motcua_hub_batches_total\{outcome="auth_failed"\} (\d+)/.exec(res.text)?.[1])).toBe(3)
    expect(Number(/motcua_hub_records_total\{outcome="rejected"\} (\d+)/.exec(res.text)?.[1])).toBe(2)
    expect(Number(/motcua_hub_write_seconds_count (\d+)/.exec(res.text)?.[1])).toBeGreaterThanOrEqual(9)
  })

  it('unknown paths answer 404 HUB_NOT_FOUND', async () => {
    const res = await request(`${hub.url}/v1/nothing`, { ca: pki.caPem })
    expect(res.status).toBe(404)
    expect((res.body as { error: { code: string } }).error.code).toBe('HUB_NOT_FOUND')
  })
})

describe('TLS', () => {
  it('a client that trusts only another CA refuses the hub certificate', async () => {
    const other = makeTestPki(join(dir, 'other'), 'someone-else')
    await expect(request(`${hub.url}/healthz`, { ca: other.caPem })).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i)
  })

  it('the certificate is valid for localhost too', async () => {
    const res = await request(`https://localhost:${hub.port}/healthz`, { ca: pki.caPem })
    expect(res.status).toBe(200)
  })
})
