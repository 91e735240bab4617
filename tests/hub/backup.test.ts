/**
 * Back up and restore, end to end (docs/backup.md): a hub's InfluxDB with
 * 10 days of the demo province, its rollup caught up and an audit log, is
 * backed up by `motcua-hub backup` over influxd's RPC address and restored
 * by `motcua-hub restore` into a fresh influxd; every KPI over the same
 * periods is the same there, with the restored rollup and with the rollup
 * rebuilt from the raw points as the hub does at start.
 */
process.env.LOG_LEVEL ??= 'silent'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CliIo } from '../../common/cli/io.js'
import { createLogger } from '../../common/log.js'
import { verifyChains } from '../../common/audit-chain.js'
import { auditEntries, createAuditLog } from '../../hub/audit/audit.js'
import { comparePoints, type BackupManifest } from '../../hub/cli/backup.js'
import { runHubCli } from '../../hub/cli/run.js'
import { hubConfigSchema, type HubConfig } from '../../hub/config/schema.js'
import { createInfluxQuery } from '../../hub/queries/client.js'
import { createDirectory } from '../../hub/queries/directory.js'
import { queryDuty } from '../../hub/queries/duty.js'
import { querySiteHealth } from '../../hub/queries/health.js'
import { queryQueueKpis } from '../../hub/queries/queue.js'
import { queryRatingKpis } from '../../hub/queries/ratings.js'
import { createRollup } from '../../hub/rollup/worker.js'
import { createWriter } from '../../hub/rollup/writer.js'
import { DEMO_SITES, generateDemoData, writeDemoData } from '../../scripts/lib/demo-data.js'
import { startInfluxd, type Influxd } from '../../testkit/influxd.js'
import { influxQuery } from './helpers.js'

const DAY = 86_400_000
const END = Date.UTC(2026, 10, 22, 0, 22)
const log = createLogger('test', 'silent')

let source: Influxd
let target: Influxd
let tmp: string

const rawConfig = (url: string) => ({
  influx: { version: 1, url, database: 'motcua' },
  edges: DEMO_SITES.map((s) => ({ site: s.id, tokenHash: `sha256:${'0'.repeat(64)}` })),
  province: 'can-tho',
  sites: DEMO_SITES.map((s) => ({ id: s.id, name: s.name, ...(s.placement.branch ? { branch: s.placement.branch } : {}) })),
})
const config = (url: string): HubConfig => hubConfigSchema.parse(rawConfig(url))

/** The hub config file the command reads (JSON is YAML). */
function configFile(name: string, influxd: Influxd): string {
  const file = join(tmp, `${name}.yaml`)
  writeFileSync(file, JSON.stringify(rawConfig(influxd.url)))
  return file
}

async function cli(argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = []
  const io: CliIo = { out: (l) => lines.push(l), err: (l) => lines.push(l), env: {}, interactive: false, readSecretLine: async () => '' }
  return { code: await runHubCli(argv, io), out: lines.join('\n') }
}

/** Every KPI family over the same periods: ratings by several groupings and units, queue, health, officer duty, the audit log. */
async function kpis(influxd: Influxd) {
  const cfg = config(influxd.url)
  const db = createInfluxQuery(cfg.influx)
  const dir = createDirectory(cfg)
  const from = END - 10 * DAY
  const sites = DEMO_SITES.map((s) => s.id)
  return {
    byCounterDay: await queryRatingKpis(db, dir, { groupBy: ['counter'], period: { unit: 'day', fromMs: from, toMs: END }, filter: {} }),
    byOfficerMonth: await queryRatingKpis(db, dir, { groupBy: ['officer'], period: { unit: 'month', fromMs: from, toMs: END }, filter: {} }),
    byBranchWeek: await queryRatingKpis(db, dir, { groupBy: ['branch', 'department'], period: { unit: 'week', fromMs: from, toMs: END }, filter: {} }),
    provinceYear: await queryRatingKpis(db, dir, { groupBy: ['province'], period: { unit: 'year', fromMs: from, toMs: END }, filter: {} }),
    queue: await queryQueueKpis(db, dir, { groupBy: ['counter'], period: { unit: 'week', fromMs: from, toMs: END }, filter: { site: ['ct-center'] } }),
    health: await querySiteHealth(db, dir, undefined, END - DAY, END + 1),
    duty: await queryDuty(db, dir, { sites, fromMs: from, toMs: END, nowMs: END }),
    audit: verifyChains(await auditEntries(db, 0, END + DAY)),
  }
}

let before: Awaited<ReturnType<typeof kpis>>

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'motcua-backup-'))
  ;[source, target] = await Promise.all([startInfluxd(), startInfluxd()])
  const cfg = config(source.url)
  const writer = createWriter(cfg.influx, { log })
  await writeDemoData(writer, generateDemoData({ end: END, days: 10 }))
  let t = END - 5 * DAY
  const audit = createAuditLog({ writer, query: createInfluxQuery(cfg.influx), log, now: () => (t += 3_600_000), chain: 'hub-a' })
  for (let i = 0; i < 5; i++) await audit.record({ action: 'export', who: { username: 'inspector', role: 'inspector' }, detail: '/api/v1/ratings', client: '10.0.0.1' })
  await createRollup({ db: createInfluxQuery(cfg.influx), writer: writer.rollup, dir: createDirectory(cfg), log }).catchUp()
  await writer.close()
  before = await kpis(source)
}, 180_000)

afterAll(async () => {
  await Promise.all([source?.stop(), target?.stop()])
  if (tmp) rmSync(tmp, { recursive: true, force: true })
})

describe('motcua-hub backup and restore', () => {
  const backup = () => join(tmp, 'backup-1')

  it('backs up the database and what it held into a new folder', async () => {
    const { code, out } = await cli(['backup', backup(), '--config', configFile('source', source), '--rpc', source.rpc])
    expect({ code, out }).toMatchObject({ code: 0, out: expect.stringMatching(/^backed up database "motcua" \(autogen, motcua_rollup\): [\d,]+ points/) })
    const manifest = JSON.parse(readFileSync(join(backup(), 'manifest.json'), 'utf8')) as BackupManifest
    expect(manifest.points['autogen.rating']).toBeGreaterThan(1000)
    expect(manifest.points['motcua_rollup.kpi_counter']).toBeGreaterThan(100)
    expect(manifest.points['autogen.audit']).toBe(5)
  })

  it('refuses a folder that is not empty', async () => {
    const { code, out } = await cli(['backup', backup(), '--config', configFile('source', source), '--rpc', source.rpc])
    expect({ code, out }).toEqual({ code: 73, out: `${backup()} is not empty: give a new folder for each backup` })
  })

  it('restores into a fresh influxd with every measurement\'s points as in the backup', async () => {
    const { code, out } = await cli(['restore', backup(), '--config', configFile('target', target), '--rpc', target.rpc])
    expect({ code, out }).toMatchObject({ code: 0, out: expect.stringMatching(/^restored database "motcua" from .*: [\d,]+ points, every measurement as in the backup$/) })
  })

  it('every KPI over the same periods equals the one before the backup', async () => {
    expect(before.byCounterDay.length).toBeGreaterThan(50)
    expect(before.queue.length).toBeGreaterThan(3)
    expect(before.audit.entries).toBe(5)
    expect(before.audit.broken).toBeNull()
    expect(await kpis(target)).toEqual(before)
  })

  it('with the rollup rebuilt from the raw points, as the hub does at start when the rollup is missing', async () => {
    await influxQuery(target.url, 'motcua', 'DROP RETENTION POLICY "motcua_rollup" ON "motcua"')
    expect(await influxQuery(target.url, 'motcua', 'SHOW RETENTION POLICIES')).toEqual([
      expect.objectContaining({ values: [expect.arrayContaining(['autogen'])] }),
    ])
    const cfg = config(target.url)
    const writer = createWriter(cfg.influx, { log })
    const rollup = createRollup({ db: createInfluxQuery(cfg.influx), writer: writer.rollup, dir: createDirectory(cfg), log })
    await rollup.ready()
    await rollup.catchUp()
    await writer.close()
    expect(Number((await influxQuery(target.url, 'motcua', 'SELECT count("served") FROM "motcua_rollup"."kpi_counter"'))[0]?.values[0]?.[1])).toBeGreaterThan(100)
    expect(await kpis(target)).toEqual(before)
  })

  it('refuses to restore over a database that exists', async () => {
    const { code, out } = await cli(['restore', backup(), '--config', configFile('target', target), '--rpc', target.rpc])
    expect(code).toBe(65)
    expect(out).toMatch(/^database "motcua" already exists at http:\/\/127\.0\.0\.1:\d+: restore into a fresh InfluxDB, or drop it first/)
  })

  it('names each measurement whose points differ from the manifest', () => {
    expect(comparePoints({ 'autogen.rating': 10, 'autogen.ticket': 5 }, { 'autogen.rating': 9, 'autogen.ticket': 5, 'autogen.x': 1 })).toEqual([
      'autogen.rating: 10 in the backup, 9 restored',
      'autogen.x: 0 in the backup, 1 restored',
    ])
  })
})
