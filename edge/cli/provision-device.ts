/**
 * `motcua-edge provision-device <id> --kind K [--counter C] [--write]`: a new
 * device secret, printed once, and its hash. With --write the device goes
 * straight into the config; the secret is printed only after the config that
 * holds its hash is on disk, so no device is given a secret the edge never heard of.
 */
import { DEVICE_KINDS, type DeviceKind } from '../../protocol/messages.js'
import { provisionDevice } from '../config/provision.js'
import { addDevice } from './config-edit.js'
import { editConfigFile } from './config-file.js'
import { CliError, EXIT } from '../../common/cli/exit.js'
import type { CliIo } from '../../common/cli/io.js'

export interface ProvisionArgs {
  id: string
  kind: string | undefined
  counter: string | undefined
  /** The config to add the device to; undefined prints the entry to paste instead. */
  writeTo: string | undefined
}

export function runProvisionDevice(a: ProvisionArgs, io: CliIo): number {
  if (a.kind === undefined || !DEVICE_KINDS.includes(a.kind as DeviceKind)) throw new CliError(EXIT.USAGE, `--kind must be one of ${DEVICE_KINDS.join(', ')}`)
  let creds: ReturnType<typeof provisionDevice>
  try {
    creds = provisionDevice(a.id, a.kind as DeviceKind, a.counter)
  } catch (err) {
    if (err instanceof RangeError) throw new CliError(EXIT.USAGE, err.message)
    throw err
  }
  const what = `${a.id} (${a.kind}${a.counter ? `, counter ${a.counter}` : ''})`
  if (a.writeTo !== undefined) {
    const { backup } = editConfigFile(a.writeTo, (doc) => addDevice(doc, creds.entry))
    io.out(`# added device ${what} to ${a.writeTo}; the previous file is ${backup}`)
    io.out('# restart the edge so that it lets the device in')
  } else {
    io.out(`# edge config, under "devices:"\n${creds.configEntry}\n`)
  }
  io.out(`# device secret (its MQTT password; username = ${a.id}); shown once:`)
  io.out(creds.secret)
  return EXIT.OK
}
