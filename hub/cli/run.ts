/**
 * `motcua-hub <command>`: the operator's tools beside the hub service.
 * Parses the command line, runs one command, and turns expected failures
 * into a message and an exit code (common/cli/exit.ts).
 */
import { parseCommand, type CommandSpec } from '../../common/cli/args.js'
import { ConfigError } from '../../common/config.js'
import { CliError, EXIT } from '../../common/cli/exit.js'
import type { CliIo } from '../../common/cli/io.js'
import { hashPassword } from '../../common/secrets.js'
import { auditEntries } from '../audit/audit.js'
import { verifyChains, type ChainReport } from '../../common/audit-chain.js'
import { loadHubConfig } from '../config/load.js'
import type { HubConfig } from '../config/schema.js'
import { MAX_POINT_MS } from '../influx/points.js'
import { createInfluxQuery } from '../queries/client.js'
import { backupCommand, restoreCommand } from './backup.js'
import { retentionCommand } from './retention.js'
import { haproxyEdgeMap } from './haproxy-map.js'

export const DEFAULT_CONFIG = '/etc/motcua/hub.yaml'

export const USAGE = `motcua-hub: run the province hub, and its operator's tools

usage: motcua-hub CONFIG                 run the hub (what the service does)
       motcua-hub <command> [--config FILE] [options]

commands:
  audit-verify [--from DATE] [--json]
                  recompute every hash chain of the audit log and name the
                  first broken link (exit 1 when one is broken)
  backup DIR [--rpc HOST:PORT] [--influxd PATH]
                  copy the hub's InfluxDB database (influxd backup -portable)
                  and what it held into the new folder DIR; run it on the
                  InfluxDB machine (docs/backup.md)
  restore DIR [--rpc HOST:PORT] [--influxd PATH]
                  restore a backup into the config's InfluxDB, which must not
                  have the database yet, and check every measurement's points
                  (exit 1 when they differ)
  retention [--apply]
                  each class of data, its days and the points past them; with
                  --apply, delete them now as the nightly sweep does
  hash-password   read a console user's password from stdin and print the
                  hash to put in the config's users[].passwordHash
  haproxy-map     print the edges' token hashes and sites for HAProxy's
                  MOTCUA_EDGE_MAP file (docs/haproxy.md); again after an edge
                  is added

options:
  --config FILE   the hub config; default $MOTCUA_HUB_CONFIG, else ${DEFAULT_CONFIG}
  --from DATE     audit-verify: start of the span (ISO date); default: the whole log
  --json          audit-verify: print the report as JSON
  --rpc HOST:PORT backup, restore: influxd's RPC address (its bind-address);
                  default 127.0.0.1:8088
  --influxd PATH  backup, restore: the influxd program; default influxd
  --apply         retention: delete now instead of only counting
  -h, --help      this text

exit: 0 ok, 1 audit chain broken or restored points differ from the backup,
      64 usage, 65 input refused, 69 database or influxd not answering, 70 bug,
      73 backup folder not empty, 78 config invalid`

const OPTIONS = {
  config: { type: 'string' },
  from: { type: 'string' },
  json: { type: 'boolean' },
  rpc: { type: 'string' },
  influxd: { type: 'string' },
  apply: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

const SPECS: Record<string, CommandSpec<keyof typeof OPTIONS>> = {
  'audit-verify': { positionals: 0, options: ['from', 'json'] },
  'hash-password': { positionals: 0, options: [] },
  backup: { positionals: 1, options: ['rpc', 'influxd'] },
  restore: { positionals: 1, options: ['rpc', 'influxd'] },
  retention: { positionals: 0, options: ['apply'] },
  'haproxy-map': { positionals: 0, options: [] },
}

/** The words the package's `motcua-hub` wrapper hands to this command instead of the hub. */
export const COMMANDS = Object.keys(SPECS)

/** Passwords shorter than this are refused: a console account guards video of citizens. */
const MIN_PASSWORD = 10

export async function runHubCli(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(argv, OPTIONS, SPECS, USAGE, io)
  if (parsed.kind === 'exit') return parsed.code
  const { command, values } = parsed
  try {
    if (command === 'hash-password') return await hashCommand(io)
    const file = values.config ?? io.env.MOTCUA_HUB_CONFIG ?? DEFAULT_CONFIG
    const influxd = { rpc: values.rpc ?? '127.0.0.1:8088', influxd: values.influxd ?? 'influxd' }
    if (command === 'backup') return await backupCommand(loadConfig(file), parsed.args[0]!, influxd, io)
    if (command === 'restore') return await restoreCommand(loadConfig(file), parsed.args[0]!, influxd, io)
    if (command === 'retention') return await retentionCommand(loadConfig(file), values.apply === true, io)
    if (command === 'haproxy-map') {
      io.out(haproxyEdgeMap(loadConfig(file).edges).trimEnd())
      return EXIT.OK
    }
    const fromMs = values.from === undefined ? 0 : Date.parse(values.from)
    if (!Number.isFinite(fromMs)) throw new CliError(EXIT.USAGE, `--from: not a date: ${values.from}`)
    return await auditVerify(loadConfig(file), fromMs, values.json === true, io)
  } catch (err) {
    if (!(err instanceof CliError)) throw err
    io.err(err.message)
    return err.exitCode
  }
}

function loadConfig(file: string): Readonly<HubConfig> {
  try {
    return loadHubConfig(file)
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(EXIT.CONFIG, `${file}: ${err.problems.join('; ')}`)
    throw err
  }
}

async function hashCommand(io: CliIo): Promise<number> {
  const password = await io.readSecretLine('password: ')
  if (password.length < MIN_PASSWORD) throw new CliError(EXIT.DATA, `a console password has at least ${MIN_PASSWORD} characters`)
  io.out(await hashPassword(password))
  return EXIT.OK
}

async function auditVerify(config: Readonly<HubConfig>, fromMs: number, json: boolean, io: CliIo): Promise<number> {
  let report: ChainReport
  try {
    report = verifyChains(await auditEntries(createInfluxQuery(config.influx), fromMs, MAX_POINT_MS), { fromStart: fromMs === 0 })
  } catch (err) {
    throw new CliError(EXIT.UNAVAILABLE, `cannot read the audit log: ${(err as Error).message}`)
  }
  if (json) io.out(JSON.stringify(report, null, 2))
  else io.out(formatReport(report, fromMs > 0))
  return report.broken ? EXIT.DEGRADED : EXIT.OK
}

const iso = (ms: number) => new Date(ms).toISOString()

export function formatReport(r: ChainReport, partial: boolean): string {
  const lines = [`${r.entries} audit entries in ${r.chains.length} chains`]
  for (const c of r.chains) lines.push(`  chain ${c.chain}: ${iso(c.first)} … ${iso(c.last)}, head ${c.head}`)
  if (!r.broken) {
    lines.push('every chain holds')
    lines.push('compare each head with the last "audit entry stored" line of that chain in the hub journal: entries removed from a chain\'s end leave no gap')
  } else {
    const b = r.broken
    const why = { unchained: 'entry without chain fields', changed: 'stored values do not match the hash', missing_before: 'an entry before it is missing', out_of_order: 'sequence number repeated' }[b.reason]
    lines.push(`BROKEN: chain ${b.chain ?? '-'} at seq ${b.seq ?? '-'} (${iso(b.atMs)}): ${why}`)
  }
  if (partial) lines.push('(span starts after the log does: the first entry of each chain is taken as given)')
  return lines.join('\n')
}
