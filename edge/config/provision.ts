/**
 * A new device's credentials: a long random secret for the device (its MQTT
 * password, shown once) and its entry for the edge config's `devices:` list,
 * which keeps only the hash. Used by `motcua-edge provision-device` on the box
 * and by scripts/provision-device.ts on a workstation.
 */
import { hashSecret, newSecret } from '../../common/secrets.js'
import type { DeviceKind } from '../../protocol/messages.js'
import { ID_PATTERN } from '../../protocol/patterns.js'
import type { EdgeConfig } from './schema.js'

export type DeviceEntry = EdgeConfig['devices'][number]

export interface DeviceCredentials {
  secret: string
  entry: DeviceEntry
  /** The entry as YAML lines to paste under `devices:`. */
  configEntry: string
}

export function provisionDevice(id: string, kind: DeviceKind, counter?: string): DeviceCredentials {
  if (!ID_PATTERN.test(id)) throw new RangeError(`device id "${id}" must be lowercase letters, digits and "-", 1–32 characters`)
  if (counter !== undefined && !ID_PATTERN.test(counter)) throw new RangeError(`counter id "${counter}" is not a valid id`)
  if (kind !== 'queue' && counter === undefined) throw new RangeError(`a ${kind} must name its counter (--counter)`)
  const secret = newSecret()
  const entry: DeviceEntry = { id, kind, ...(counter !== undefined ? { counter } : {}), secretHash: hashSecret(secret) }
  const lines = [`  - id: ${id}`, `    kind: ${kind}`, ...(counter !== undefined ? [`    counter: ${counter}`] : []), `    secretHash: ${entry.secretHash}`]
  return { secret, entry, configEntry: lines.join('\n') }
}
