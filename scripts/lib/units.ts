/** How the packaged units (packaging/<program>/motcua-<program>.service) start a program: the hub's command and the benchmarks run it the same way. */
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

const ROOT = resolve(import.meta.dirname, '../..')

export type Program = 'edge' | 'hub'

export const unitPath = (program: Program) => join(ROOT, 'packaging', program, `motcua-${program}.service`)

/** Node's flags (between node and the program's .js on ExecStart) and GLIBC_TUNABLES of a unit. */
export function serviceStart(program: Program, unit = readFileSync(unitPath(program), 'utf8')): { nodeFlags: string[]; glibcTunables: string } {
  const exec = new RegExp(`^ExecStart=\\S+/node((?: --\\S+)*) \\S+/${program}\\.js `, 'm').exec(unit)
  const tunables = /^Environment=GLIBC_TUNABLES=(\S+)$/m.exec(unit)
  if (!exec || !tunables) throw new Error(`motcua-${program}.service: no ExecStart=.../node [flags] .../${program}.js or Environment=GLIBC_TUNABLES= line`)
  return { nodeFlags: exec[1]!.trim().split(' ').filter(Boolean), glibcTunables: tunables[1]! }
}
