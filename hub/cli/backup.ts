/**
 * `motcua-hub backup DIR` and `motcua-hub restore DIR` (docs/backup.md): the
 * hub's database through `influxd backup -portable` / `influxd restore
 * -portable`, over influxd's RPC address, which has no authentication and so
 * listens on the InfluxDB machine's loopback only: run these there. A
 * command of the hub and not a shell script because it reads the hub config
 * (database, rollup policy, credentials for the check), writes beside the
 * backup what the database held, and after a restore counts it again: a
 * restore that lost anything says so instead of serving smaller KPIs.
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { CliError, EXIT } from '../../common/cli/exit.js'
import type { CliIo } from '../../common/cli/io.js'
import type { HubConfig } from '../config/schema.js'
import { rollupRetentionPolicy } from '../influx/writer.js'
import { createInfluxQuery, type InfluxQuery } from '../queries/client.js'

const run = promisify(execFile)

type V1 = Extract<HubConfig['influx'], { version: 1 }>

/** Beside the database files: what the database held, to check a restore against. */
export interface BackupManifest {
  format: 'motcua-backup-1'
  database: string
  rollupRetentionPolicy: string
  takenAt: string
  /** Points per retention policy and measurement ("rp.measurement"): the most values any field has. */
  points: Record<string, number>
}

export interface BackupOptions {
  /** influxd's RPC address (its `bind-address`); default 127.0.0.1:8088. */
  rpc: string
  /** The influxd program, default `influxd` on the PATH. */
  influxd: string
}

function v1Of(config: Readonly<HubConfig>): V1 {
  if (config.influx.version !== 1) throw new CliError(EXIT.USAGE, 'backup and restore are for InfluxDB 1.x; back up a 2.x bucket with `influx backup` (docs/backup.md)')
  return config.influx
}

/** A scan of every measurement can take minutes on a province's data: far longer than a KPI question may. */
const counting = (influx: V1) => createInfluxQuery(influx, { timeoutMs: 30 * 60_000 })

/** Points per retention policy and measurement: for each, the largest count among its fields. */
export async function countPoints(db: InfluxQuery, rps: readonly string[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  for (const rp of rps) {
    const [series] = await db.run([`SELECT count(*) FROM "${rp}"./.*/`])
    for (const s of series ?? []) {
      const counts = (s.values[0] ?? []).slice(1).map(Number).filter(Number.isFinite)
      out[`${rp}.${s.name}`] = Math.max(0, ...counts)
    }
  }
  return out
}

/** The database's retention policies, or null when the database does not exist. */
async function retentionPolicies(db: InfluxQuery, database: string): Promise<string[] | null> {
  const [dbs] = await db.run(['SHOW DATABASES'])
  if (!(dbs?.[0]?.values ?? []).some((v) => v[0] === database)) return null
  const [rps] = await db.run([`SHOW RETENTION POLICIES ON "${database}"`])
  return (rps?.[0]?.values ?? []).map((v) => String(v[0]))
}

/** retentionPolicies, with an InfluxDB that does not answer as the command's failure. */
async function policiesAt(db: InfluxQuery, influx: V1): Promise<string[] | null> {
  try {
    return await retentionPolicies(db, influx.database)
  } catch (err) {
    throw new CliError(EXIT.UNAVAILABLE, `cannot reach InfluxDB at ${influx.url}: ${(err as Error).message}`)
  }
}

async function influxd(opts: BackupOptions, args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(opts.influxd, args, { maxBuffer: 16 * 1024 * 1024 })
    return `${stdout}${stderr}`
  } catch (err) {
    const e = err as { code?: string; stderr?: string; message: string }
    if (e.code === 'ENOENT') throw new CliError(EXIT.UNAVAILABLE, `${opts.influxd} not found: run this on the InfluxDB machine, or give --influxd`)
    const why = (e.stderr ?? e.message).trim().split('\n').slice(-3).join(' / ')
    throw new CliError(EXIT.UNAVAILABLE, `influxd ${args[0]} failed: ${why}`)
  }
}

export async function backupCommand(config: Readonly<HubConfig>, dir: string, opts: BackupOptions, io: CliIo): Promise<number> {
  const influx = v1Of(config)
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new CliError(EXIT.CANT_WRITE, `${dir} is not empty: give a new folder for each backup`)
  const db = counting(influx)
  const rps = await policiesAt(db, influx)
  if (rps === null) throw new CliError(EXIT.DATA, `database "${influx.database}" does not exist at ${influx.url}`)
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  // Counted before the copy: points written meanwhile make the copy larger, never smaller, than the manifest says.
  const points = await countPoints(db, rps)
  await influxd(opts, ['backup', '-portable', '-db', influx.database, '-host', opts.rpc, join(dir, 'influxdb')])
  const manifest: BackupManifest = {
    format: 'motcua-backup-1',
    database: influx.database,
    rollupRetentionPolicy: rollupRetentionPolicy(influx),
    takenAt: new Date().toISOString(),
    points,
  }
  writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 })
  const total = Object.values(points).reduce((a, b) => a + b, 0)
  io.out(`backed up database "${influx.database}" (${rps.join(', ')}): ${total.toLocaleString('en')} points in ${Object.keys(points).length} measurements, into ${dir}`)
  return EXIT.OK
}

function readManifest(dir: string): BackupManifest {
  let m: BackupManifest
  try {
    m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as BackupManifest
  } catch (err) {
    throw new CliError(EXIT.DATA, `${dir} is not a motcua backup: ${(err as Error).message}`)
  }
  if (m.format !== 'motcua-backup-1' || typeof m.points !== 'object') throw new CliError(EXIT.DATA, `${dir}/manifest.json: not a motcua backup manifest`)
  return m
}

/** Measurements whose points differ from the manifest's: fewer is a loss; more, something written since. */
export function comparePoints(want: Readonly<Record<string, number>>, got: Readonly<Record<string, number>>): string[] {
  return Object.keys({ ...want, ...got })
    .sort()
    .filter((k) => (want[k] ?? 0) !== (got[k] ?? 0))
    .map((k) => `${k}: ${want[k] ?? 0} in the backup, ${got[k] ?? 0} restored`)
}

export async function restoreCommand(config: Readonly<HubConfig>, dir: string, opts: BackupOptions, io: CliIo): Promise<number> {
  const influx = v1Of(config)
  const manifest = readManifest(dir)
  const db = counting(influx)
  if ((await policiesAt(db, influx)) !== null) {
    throw new CliError(EXIT.DATA, `database "${influx.database}" already exists at ${influx.url}: restore into a fresh InfluxDB, or drop it first (docs/backup.md); stop every hub instance before either`)
  }
  const args = ['restore', '-portable', '-db', manifest.database, '-host', opts.rpc]
  if (influx.database !== manifest.database) args.push('-newdb', influx.database)
  await influxd(opts, [...args, join(dir, 'influxdb')])
  const rps = (await retentionPolicies(db, influx.database)) ?? []
  const problems = comparePoints(manifest.points, await countPoints(db, rps))
  if (problems.length > 0) {
    io.err(`restored, but the points differ from the backup's manifest:\n  ${problems.join('\n  ')}`)
    return EXIT.DEGRADED
  }
  const total = Object.values(manifest.points).reduce((a, b) => a + b, 0)
  io.out(`restored database "${influx.database}" from ${dir} (taken ${manifest.takenAt}): ${total.toLocaleString('en')} points, every measurement as in the backup`)
  if (!rps.includes(rollupRetentionPolicy(influx))) {
    io.out(`the backup holds no rollup ("${rollupRetentionPolicy(influx)}"): the hub counts it from the raw points at start, and KPIs are right meanwhile, only slower`)
  }
  return EXIT.OK
}
