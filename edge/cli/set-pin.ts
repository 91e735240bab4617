/**
 * `motcua-edge set-pin <officer-id>`: the PIN an officer types on the kiosk,
 * read from stdin (argv would show it in `ps`), stored as the same scrypt hash
 * the edge verifies (common/secrets.ts).
 */
import { hashPin } from '../../common/secrets.js'
import { ID_PATTERN, PIN_PATTERN } from '../../protocol/patterns.js'
import { findOfficer, setOfficerPinHash } from './config-edit.js'
import { editConfigFile, inspectConfig } from './config-file.js'
import { CliError, EXIT } from '../../common/cli/exit.js'
import type { CliIo } from '../../common/cli/io.js'

/** Pure: the PIN in a line of input (surrounding blanks ignored), or a refusal. */
export function checkPin(line: string): string {
  const pin = line.trim()
  if (!PIN_PATTERN.test(pin)) throw new CliError(EXIT.DATA, 'a PIN is 4 to 8 digits; nothing was written')
  return pin
}

/** Pure: PINs the first guess at a counter tries (1111, 1234, 9876). */
export function isGuessable(pin: string): boolean {
  const d = [...pin].map(Number)
  const steps = new Set(d.slice(1).map((x, i) => x - d[i]!))
  return steps.size === 1 && [0, 1, -1].includes([...steps][0]!)
}

export async function runSetPin(file: string, officerId: string, io: CliIo): Promise<number> {
  if (!ID_PATTERN.test(officerId)) throw new CliError(EXIT.USAGE, `"${officerId}" is not an officer id`)
  // Asked before the PIN is typed: no one types a PIN for an officer who is not there.
  inspectConfig(file, (doc) => findOfficer(doc, officerId))
  const pin = checkPin(await io.readSecretLine(`PIN for ${officerId} (4 to 8 digits): `))
  if (io.interactive && checkPin(await io.readSecretLine('the same PIN again: ')) !== pin)
    throw new CliError(EXIT.DATA, 'the two PINs differ; nothing was written')
  if (isGuessable(pin)) io.err('warning: a PIN like 1111 or 1234 is the first one a stranger tries; consider another')
  const pinHash = await hashPin(pin)
  const { backup, result } = editConfigFile(file, (doc) => setOfficerPinHash(doc, officerId, pinHash))
  io.out(`${result.replaced ? 'replaced the PIN' : 'set a PIN'} of officer ${officerId} in ${file}; the previous file is ${backup}`)
  io.out('restart the edge so that the kiosk accepts it')
  return EXIT.OK
}
