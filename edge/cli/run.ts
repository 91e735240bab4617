/**
 * `motcua-edge`: what a technician does on the edge box (issue 13). Parses the
 * command line, runs one command, and turns expected failures into a message
 * and an exit code (exit.ts); the commands live beside this file.
 */
import { readFileSync } from 'node:fs'
import { parseCommand, type CommandSpec } from '../../common/cli/args.js'
import { ConfigError, loadConfigFile, relativeTo } from '../../common/config.js'
import { DEVICE_KINDS } from '../../protocol/messages.js'
import { edgeConfigSchema } from '../config/schema.js'
import { runCheck } from './check.js'
import { runMakeCerts } from './make-certs.js'
import { CliError, EXIT } from '../../common/cli/exit.js'
import { fetchHealth, formatHealth, formatOutbox, healthUrl } from './health.js'
import type { CliIo } from '../../common/cli/io.js'
import { runProvisionDevice } from './provision-device.js'
import { runSetPin } from './set-pin.js'

export const DEFAULT_CONFIG = '/etc/motcua/edge.yaml'
const HEALTH_TIMEOUT_MS = 5000

export const USAGE = `motcua-edge: the edge's tools for the technician on site

usage: motcua-edge <command> [--config FILE] [options]

commands:
  check                        check the config the way the edge loads it and
                               print what it describes (no secrets)
  provision-device <id> --kind ${DEVICE_KINDS.join('|')} [--counter C] [--write]
                               make a device secret (shown once) and its hash;
                               --write adds the device to the config (a kiosk or
                               button box names its counter)
  set-pin <officer-id>         read the officer's kiosk PIN (4 to 8 digits) from
                               stdin and store its hash in the config
  make-certs --host NAME --ip ADDR …
                               make the site's CA (kept if there) and the edge's
                               TLS certificate for these names and addresses, in
                               tls/ beside the config; prints what to put in it
  health [--json]              ask the running edge how it is (/healthz)
  outbox [--json]              records waiting in the running edge's outbox

options:
  --config FILE   the edge config; default $MOTCUA_EDGE_CONFIG, else ${DEFAULT_CONFIG}
  --json          health, outbox: print the edge's answer as JSON
  -h, --help      this text

Config changes keep the previous file as FILE.bak; restart the edge to use them.
exit: 0 ok, 1 edge degraded, 64 usage, 65 input refused, 69 edge not answering,
      70 bug, 73 cannot write the config, 78 config invalid`

const OPTIONS = {
  config: { type: 'string' },
  kind: { type: 'string' },
  counter: { type: 'string' },
  write: { type: 'boolean' },
  json: { type: 'boolean' },
  host: { type: 'string', multiple: true },
  ip: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const

/** Options each command takes besides --config and --help; anything else is a usage error, not silently ignored. */
const COMMANDS: Record<string, CommandSpec<keyof typeof OPTIONS>> = {
  check: { positionals: 0, options: [] },
  'provision-device': { positionals: 1, options: ['kind', 'counter', 'write'] },
  'set-pin': { positionals: 1, options: [] },
  'make-certs': { positionals: 0, options: ['host', 'ip'] },
  health: { positionals: 0, options: ['json'] },
  outbox: { positionals: 0, options: ['json'] },
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(argv, OPTIONS, COMMANDS, USAGE, io)
  if (parsed.kind === 'exit') return parsed.code
  const { command, args, values } = parsed
  const file = values.config ?? io.env.MOTCUA_EDGE_CONFIG ?? DEFAULT_CONFIG
  try {
    switch (command) {
      case 'check':
        return runCheck(file, io)
      case 'provision-device':
        return runProvisionDevice({ id: args[0]!, kind: values.kind, counter: values.counter, writeTo: values.write ? file : undefined }, io)
      case 'set-pin':
        return await runSetPin(file, args[0]!, io)
      case 'make-certs':
        return runMakeCerts({ config: file, hosts: values.host ?? [], ips: values.ip ?? [] }, io)
      default:
        return await runHealth(file, command === 'outbox', values.json === true, io)
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      // The same line and exit code as the edge itself on a bad config (edge/main.ts).
      io.err(`EDGE_CONFIG_INVALID ${err.message}`)
      return EXIT.CONFIG
    }
    if (err instanceof CliError) {
      io.err(err.message)
      return err.exitCode
    }
    throw err
  }
}

async function runHealth(file: string, outboxOnly: boolean, json: boolean, io: CliIo): Promise<number> {
  // The schema alone: this needs the HTTP port, not the hub token file (often readable by the edge's user only).
  const config = loadConfigFile(file, edgeConfigSchema)
  const caFile = config.http.tls?.ca && relativeTo(file)(config.http.tls.ca)
  const health = await fetchHealth(healthUrl(config.http), HEALTH_TIMEOUT_MS, caFile ? readFileSync(caFile) : undefined)
  if (json) io.out(JSON.stringify(outboxOnly ? health.outbox : health, null, 2))
  else for (const line of outboxOnly ? formatOutbox(health.outbox) : formatHealth(health, Date.now())) io.out(line)
  if (outboxOnly) return EXIT.OK
  return health.status === 'ok' ? EXIT.OK : EXIT.DEGRADED
}
