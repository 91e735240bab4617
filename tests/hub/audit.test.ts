/**
 * The audit log against a real influxd: entries chained by hash across the
 * writes of one hub, `motcua-hub audit-verify` holding on an untouched log and
 * naming the first broken link after an entry is changed or removed in the
 * database, and a viewing that cannot be recorded refused.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CliIo } from '../../common/cli/io.js'
import { createLogger } from '../../common/log.js'
import { hashSecret } from '../../common/secrets.js'
import { createAuditLog, type AuditLog } from '../../hub/audit/audit.js'
import { runHubCli } from '../../hub/cli/run.js'
import type { HubConfig } from '../../hub/config/schema.js'
import type { PointWriter } from '../../hub/influx/writer.js'
import { createWriter } from '../../hub/rollup/writer.js'
import { createInfluxQuery } from '../../hub/queries/client.js'
import type { Principal } from '../../hub/users/roles.js'
import { startInfluxd, type Influxd } from '../../testkit/influxd.js'
import { influxQuery, influxRows } from './helpers.js'

const DB = 'motcua_audit'
const log = createLogger('test', 'silent')
const admin: Principal = { username: 'quantri', name: 'Quản trị', role: 'admin' }
let influx: Influxd
let dir: string
let writer: PointWriter
let influxConfig: HubConfig['influx']
let audit: AuditLog
let configFile: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'motcua-audit-'))
  influx = await startInfluxd()
  influxConfig = { version: 1, url: influx.url, database: DB } as HubConfig['influx']
  writer = createWriter(influxConfig, { log })
  audit = createAuditLog({ writer, query: createInfluxQuery(influxConfig), log, chain: 'hub-a-01' })
  configFile = join(dir, 'hub.yaml')
  writeFileSync(configFile, `influx: { version: 1, url: "${influx.url}", database: ${DB} }\nedges: [{ site: ct-center, tokenHash: "${hashSecret('audit-test-edge-token')}" }]\n`)
})

afterAll(async () => {
  await writer?.close()
  await influx?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

async function verify(...args: string[]): Promise<{ code: number; out: string }> {
  const out: string[] = []
  const io: CliIo = { out: (l) => out.push(l), err: (l) => out.push(l), env: {}, interactive: false, readSecretLine: async () => '' }
  const code = await runHubCli(['audit-verify', '--config', configFile, ...args], io)
  return { code, out: out.join('\n') }
}

describe('audit log chain', () => {
  it('chains every entry, even when they are recorded at once, and audit-verify holds', async () => {
    const views = await Promise.all([1, 2, 3].map((i) => audit.viewing(admin, 'ct-center', `cam-${i}`, '127.0.0.1')))
    await Promise.all([
      ...views.map((v) => v.end()),
      audit.record({ action: 'export', who: admin, detail: '/api/v1/ratings?site=ct-center\nsecond line', client: '127.0.0.1' }),
    ])
    const rows = await influxRows(influx.url, DB, 'SELECT "seq", "prev", "hash", "chain" FROM "audit"')
    expect(rows.map((r) => r.seq).sort((a, b) => Number(a) - Number(b))).toEqual([0, 1, 2, 3, 4, 5, 6])
    expect(new Set(rows.map((r) => r.chain))).toEqual(new Set(['hub-a-01']))
    const r = await verify()
    expect(r.code).toBe(0)
    expect(r.out).toContain('7 audit entries in 1 chains')
    expect(r.out).toContain('every chain holds')
  })

  it('names the entry whose stored detail was changed in the database', async () => {
    const [row] = await influxRows(influx.url, DB, 'SELECT * FROM "audit" WHERE "seq" = 3')
    // Same series and timestamp: InfluxDB overwrites the field in place, as someone with write access could.
    const ns = (await influxQuery(influx.url, DB, 'SELECT "detail" FROM "audit" WHERE "seq" = 3')).length
    expect(ns).toBe(1)
    const tags = ['action', 'camera', 'chain', 'role', 'site', 'user'].map((k) => `${k}=${String(row![k])}`).join(',')
    const t = BigInt(Date.parse(String(row!.time))) * 1_000_000n + BigInt(String(row!.time).match(/\.(\d+)Z/)?.[1]?.padEnd(9, '0').slice(3) ?? '0')
    const res = await fetch(`${influx.url}/write?db=${DB}`, { method: 'POST', body: `audit,${tags} detail="nothing to see" ${t}` })
    expect(res.status).toBe(204)
    const r = await verify()
    expect(r.code).toBe(1)
    expect(r.out).toMatch(/BROKEN: chain hub-a-01 at seq 3 .*stored values do not match the hash/)
  })

  it('names the entry after one deleted from the database', async () => {
    const [row] = await influxRows(influx.url, DB, 'SELECT "seq" FROM "audit" WHERE "seq" = 1')
    const del = await fetch(`${influx.url}/query?db=${DB}`, { method: 'POST', body: new URLSearchParams({ q: `DELETE FROM "audit" WHERE time = '${String(row!.time)}'` }) })
    expect(del.status).toBe(200)
    const r = await verify('--json')
    expect(r.code).toBe(1)
    const report = JSON.parse(r.out) as { broken: { seq: number; reason: string } }
    expect(report.broken).toMatchObject({ seq: 2, reason: 'missing_before' })
  })

  it('refuses to open a viewing whose start cannot be stored, and leaves no gap in the chain', async () => {
    let down = true
    const flaky: PointWriter = {
      write: (points) => (down ? Promise.reject(new Error('database down')) : writer.write(points)),
      ping: async () => !down,
      close: async () => undefined,
    }
    const c = createAuditLog({ writer: flaky, query: createInfluxQuery(influxConfig), log, chain: 'hub-b-01' })
    await expect(c.viewing(admin, 'ct-center', 'cam-1', '127.0.0.1')).rejects.toThrow('database down')
    await expect(c.record({ action: 'export', who: admin, client: '::1' })).rejects.toThrow('database down')
    down = false
    const v = await c.viewing(admin, 'ct-center', 'cam-1', '127.0.0.1')
    await v.end()
    const rows = await influxRows(influx.url, DB, `SELECT "seq", "action" FROM "audit" WHERE "chain" = 'hub-b-01'`)
    expect(rows.map((r) => [r.seq, r.action])).toEqual([[0, 'view_start'], [1, 'view_end']])
  })
})

describe('motcua-hub command line', () => {
  it('refuses an unknown command, an option the command does not take, and an argument, with the usage', async () => {
    const run = async (...argv: string[]) => {
      const err: string[] = []
      const io: CliIo = { out: () => undefined, err: (l) => err.push(l), env: {}, interactive: false, readSecretLine: async () => '' }
      return { code: await runHubCli(argv, io), err: err.join('\n') }
    }
    expect(await run('audit-check')).toMatchObject({ code: 64, err: expect.stringContaining('unknown command "audit-check"') })
    expect(await run('hash-password', '--json')).toMatchObject({ code: 64, err: expect.stringContaining('hash-password does not take --json') })
    expect(await run('audit-verify', 'extra')).toMatchObject({ code: 64, err: expect.stringContaining('audit-verify takes no argument') })
    expect((await run('audit-verify', '--from', 'yesterday')).code).toBe(64)
  })
})
