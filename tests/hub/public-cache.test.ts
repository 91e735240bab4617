/**
 * The published results cost the database one computation per scope and
 * interval however many ask (issue 16): the public routes over a real
 * influxd, behind a real HTTP server, with their InfluxDB client counting
 * the statements it sends. No rollup runs here, so every computation reads
 * the same statements and counts compare exactly.
 */
process.env.LOG_LEVEL ??= 'silent'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../common/log.js'
import { requestUrl } from '../../common/web/answer.js'
import { toPoint } from '../../hub/influx/points.js'
import { createPublic, PUBLIC_TTL_MS } from '../../hub/public/routes.js'
import { createInfluxQuery, type InfluxQuery } from '../../hub/queries/client.js'
import { createDirectory } from '../../hub/queries/directory.js'
import { createSiteNames } from '../../hub/queries/names.js'
import { createWriter } from '../../hub/rollup/writer.js'
import { startInfluxd, type Influxd } from '../../testkit/influxd.js'
import { waitFor } from '../../testkit/wait.js'
import { NOW, publicHubConfig, publicRecords } from './public-data.js'

const DB = 'motcua_public_cache'
const log = createLogger('test', 'silent')
const N = 40

let influxd: Influxd
const servers: http.Server[] = []

beforeAll(async () => {
  influxd = await startInfluxd()
  const cfg = publicHubConfig(influxd.url, DB)
  const writer = createWriter(cfg.influx, { log })
  for (const [site, list] of Object.entries(publicRecords())) await writer.write(list.map((r) => toPoint(site, r)))
  await writer.close()
}, 60_000)

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
  await influxd?.stop()
})

/** The public routes of one hub instance, its statements counted, its clock in the test's hands. */
async function instance() {
  const cfg = publicHubConfig(influxd.url, DB)
  const real = createInfluxQuery(cfg.influx)
  let statements = 0
  const db: InfluxQuery = {
    rollup: real.rollup,
    run: (s, o) => ((statements += s.length), real.run(s, o)),
    each: (s, f) => ((statements += 1), real.each(s, f)),
  }
  const names = createSiteNames({ db: real })
  await names.load()
  let now = NOW
  const mount = createPublic({ db, dir: createDirectory(cfg, names), now: () => now, log })
  const server = http.createServer((req, res) => void mount.handle(req, res, requestUrl(req)!))
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    statements: () => statements,
    advance: (ms: number) => void (now += ms),
    get: async (path: string) => {
      const res = await fetch(`${base}${path}`)
      return { status: res.status, etag: res.headers.get('etag'), text: await res.text() }
    },
  }
}

const all = <T>(n: number, f: () => Promise<T>) => Promise.all(Array.from({ length: n }, f))

describe('published results under load (issue 16)', () => {
  it(`${N} concurrent requests for a scope make one computation, the same statements as a single request`, async () => {
    const single = await instance()
    expect((await single.get('/public/')).status).toBe(200)
    const one = single.statements()
    expect(one).toBeGreaterThan(0)

    const crowd = await instance()
    const answers = await all(N, () => crowd.get('/public/'))
    expect(answers.every((a) => a.status === 200)).toBe(true)
    expect(new Set(answers.map((a) => a.etag)).size).toBe(1)
    expect(crowd.statements()).toBe(one)

    // Within the interval nobody reaches the database.
    await all(N, () => crowd.get('/public/?lang=en'))
    expect(crowd.statements()).toBe(one)

    // A lobby is its own scope: one more computation for its site, shared by every TV.
    const lobbies = await all(N, () => crowd.get('/public/lobby/ct-ninh-kieu'))
    expect(lobbies.every((a) => a.status === 200)).toBe(true)
    const withLobby = crowd.statements()
    expect(withLobby).toBeGreaterThan(one)
    await all(N, () => crowd.get('/public/lobby/ct-ninh-kieu?page=1'))
    expect(crowd.statements()).toBe(withLobby)
  })

  it('past the interval, answers at once with the last figures while one refresh runs, then the new ones', async () => {
    const hub = await instance()
    const first = await hub.get('/public/')
    const one = hub.statements()
    hub.advance(PUBLIC_TTL_MS)
    // The first request past the interval gets the figures held, without waiting for the database.
    expect((await hub.get('/public/')).text).toBe(first.text)
    // The crowd behind it gets those or the refreshed ones; one refresh served them all.
    const answers = await all(N, () => hub.get('/public/'))
    expect(new Set(answers.map((a) => a.etag)).size).toBeLessThanOrEqual(2)
    await waitFor('the one refresh to finish', async () => (await hub.get('/public/')).text !== first.text)
    await all(N, () => hub.get('/public/'))
    expect(hub.statements()).toBe(2 * one)
  })

  it('an unknown site costs nothing', async () => {
    const hub = await instance()
    expect((await hub.get('/public/lobby/not-a-site')).status).toBe(404)
    expect(hub.statements()).toBe(0)
  })
})
