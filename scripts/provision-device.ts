/**
 * Makes credentials. The config files keep only hashes; the secret itself is
 * printed once, for the device (its MQTT password) or for the edge (its hub
 * token), and optionally written to a 0600 file.
 *
 *   npm run provision-device -- btn-q01 --kind button --counter q01 [--secrets-file secrets.yaml]
 *   npm run provision-edge -- hcm-q1 [--token-file /etc/motcua/hub-token]
 *
 * On the edge box itself, `motcua-edge provision-device … --write` (edge/cli/)
 * makes the same credentials and adds the device to the config in place.
 */
import { appendFileSync, writeFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { hashSecret, newSecret } from '../common/secrets.js'
import { provisionDevice } from '../edge/config/provision.js'
import { ID_PATTERN } from '../protocol/patterns.js'
import { DEVICE_KINDS, type DeviceKind } from '../protocol/messages.js'

export interface EdgeCredentials {
  token: string
  /** YAML entry for the hub config's `edges:` list. */
  configEntry: string
}

export function provisionEdge(site: string): EdgeCredentials {
  if (!ID_PATTERN.test(site)) throw new RangeError(`site id "${site}" must be lowercase letters, digits and "-", 1–32 characters`)
  const token = newSecret()
  return { token, configEntry: [`  - site: ${site}`, `    tokenHash: ${hashSecret(token)}`].join('\n') }
}

const USAGE = `usage:
  tsx scripts/provision-device.ts <device-id> --kind <${DEVICE_KINDS.join('|')}> [--counter <counter-id>] [--secrets-file <file>]
  tsx scripts/provision-device.ts --edge <site-id> [--token-file <file>]`

function main(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      edge: { type: 'string' },
      kind: { type: 'string', default: 'button' },
      counter: { type: 'string' },
      'secrets-file': { type: 'string' },
      'token-file': { type: 'string' },
      help: { type: 'boolean' },
    },
  })
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  if (values.edge !== undefined) {
    const { token, configEntry } = provisionEdge(values.edge)
    console.log(`# hub config, under "edges:"\n${configEntry}\n`)
    if (values['token-file']) {
      writeFileSync(values['token-file'], `${token}\n`, { mode: 0o600 })
      console.log(`# edge token written to ${values['token-file']}; point the edge config's hub.tokenFile at it`)
    } else {
      console.log(`# edge token (hub.token or the file named by hub.tokenFile); shown once:\n${token}`)
    }
    return 0
  }
  const [id, ...extra] = positionals
  if (!id || extra.length > 0) {
    console.error(USAGE)
    return 2
  }
  const kind = values.kind as DeviceKind
  if (!DEVICE_KINDS.includes(kind)) throw new RangeError(`--kind must be one of ${DEVICE_KINDS.join(', ')}`)
  const { secret, configEntry } = provisionDevice(id, kind, values.counter)
  console.log(`# edge config, under "devices:"\n${configEntry}\n`)
  if (values['secrets-file']) {
    // The simulator's secrets file (id: secret); created private, appended to.
    appendFileSync(values['secrets-file'], `${id}: ${secret}\n`, { mode: 0o600 })
    console.log(`# device secret appended to ${values['secrets-file']}`)
  } else {
    console.log(`# device secret (its MQTT password; username = ${id}); shown once:\n${secret}`)
  }
  return 0
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    process.exitCode = main(process.argv.slice(2))
  } catch (err) {
    console.error(err instanceof Error ? err.message : err)
    process.exitCode = 2
  }
}
