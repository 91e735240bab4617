/**
 * The command line of `motcua-edge` and `motcua-hub`: `<command> [args]
 * [--config FILE] [options]`. Each command names the options and the number
 * of arguments it takes; anything else is a usage error (with the usage text),
 * never silently ignored.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { EXIT } from './exit.js'
import type { CliIo } from './io.js'

type Options = NonNullable<ParseArgsConfig['options']>

export interface CommandSpec<O extends string> {
  positionals: number
  options: readonly O[]
}

/** The values of the options given, typed from their declarations. */
export type OptionValues<T extends Options> = {
  [K in keyof T]?: T[K]['type'] extends 'string' ? (T[K]['multiple'] extends true ? string[] : string) : boolean
}

export type ParsedCommand<T extends Options> =
  | { kind: 'run'; command: string; args: string[]; values: OptionValues<T> }
  | { kind: 'exit'; code: number }

/** Parses argv against the commands; prints usage (to stdout for --help, else to stderr) and says the exit code when nothing is to run. */
export function parseCommand<T extends Options>(
  argv: readonly string[],
  options: T,
  commands: Readonly<Record<string, CommandSpec<Extract<keyof T, string>>>>,
  usage: string,
  io: CliIo,
): ParsedCommand<T> {
  let parsed
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true })
  } catch (err) {
    io.err(`${(err as Error).message}\n\n${usage}`)
    return { kind: 'exit', code: EXIT.USAGE }
  }
  const { positionals } = parsed
  const values = parsed.values as Record<string, unknown>
  if (values.help) {
    io.out(usage)
    return { kind: 'exit', code: EXIT.OK }
  }
  const [command, ...args] = positionals
  const spec = command === undefined ? undefined : commands[command]
  if (command === undefined || spec === undefined) {
    io.err(`${command === undefined ? 'no command given' : `unknown command "${command}"`}\n\n${usage}`)
    return { kind: 'exit', code: EXIT.USAGE }
  }
  const extra = Object.keys(values).filter((k) => k !== 'config' && k !== 'help' && !(spec.options as readonly string[]).includes(k))
  if (args.length !== spec.positionals || extra.length > 0) {
    const what = extra.length > 0 ? `${command} does not take --${extra[0]}` : `${command} takes ${spec.positionals === 0 ? 'no argument' : 'one argument'}`
    io.err(`${what}\n\n${usage}`)
    return { kind: 'exit', code: EXIT.USAGE }
  }
  return { kind: 'run', command, args, values: values as OptionValues<T> }
}
