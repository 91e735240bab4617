/**
 * What the edge and the hub programs share around their wiring file: the
 * config file named on the command line (or by an env var), loaded and
 * validated once; their parts started in order and undone in reverse, on a
 * failed start as on a stop; one exit-code convention; SIGINT and SIGTERM
 * stopping once.
 */
import { pathToFileURL } from 'node:url'
import { ConfigError } from './config.js'
import { isMotcuaError, type ErrorCode } from './errors.js'
import { createLogger, type Logger } from './log.js'

/**
 * sysexits(3). The systemd units do not restart on CONFIG or DATA
 * (RestartPreventExitStatus): a restart cannot help, a person has to act.
 */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 64, DATA: 65, SOFTWARE: 70, CONFIG: 78 } as const

export interface Parts {
  /** Registers how to undo a part that has just started. */
  started(undo: () => Promise<void> | void): void
  /**
   * Undoes every started part in reverse order, once: later calls share the
   * first. A failing step is logged and the others still run, so one stuck
   * part cannot keep a port or a file open.
   */
  stop(): Promise<void>
}

export function createParts(log: Logger): Parts {
  const undo: (() => Promise<void> | void)[] = []
  let stopping: Promise<void> | null = null
  return {
    started: (step) => void undo.push(step),
    stop() {
      stopping ??= (async () => {
        for (const step of undo.splice(0).reverse()) {
          try {
            await step()
          } catch (err) {
            log.error({ err }, 'stop step failed')
          }
        }
      })()
      return stopping
    },
  }
}

export interface Program<C, R extends { stop(): Promise<void> }> {
  /** The logger's name and the usage line's program. */
  name: 'edge' | 'hub'
  /** Names the config file when the command line does not. */
  configEnv: string
  /** Printed before a ConfigError's message (it names the file, the key and what was expected). */
  configCode: ErrorCode
  load(file: string): Readonly<C>
  start(config: Readonly<C>, log: Logger): Promise<R>
  /** After a successful start, e.g. a machine-readable line for whoever launched the program. */
  started?(running: R, config: Readonly<C>): void
  /** Exit codes for errors the start may throw, by catalogue code; any other error exits FAILED. */
  exitCodes?: Partial<Record<ErrorCode, number>>
}

/** Whether this module is the script node was asked to run (and not imported by a test or a script). */
export const isMain = (url: string): boolean => Boolean(process.argv[1]) && url === pathToFileURL(process.argv[1]!).href

/** Runs a program: config, start, stop on SIGINT/SIGTERM; exits the process with one of EXIT. */
export function runMain<C, R extends { stop(): Promise<void> }>(program: Program<C, R>): void {
  main(program).catch((err: unknown) => {
    const code = isMotcuaError(err) ? program.exitCodes?.[err.code as ErrorCode] : undefined
    if (isMotcuaError(err) && code !== undefined) {
      console.error(`${err.code} ${err.message}`)
      process.exit(code)
    }
    console.error(err)
    process.exit(EXIT.FAILED)
  })
}

async function main<C, R extends { stop(): Promise<void> }>(program: Program<C, R>): Promise<void> {
  const file = process.argv[2] ?? process.env[program.configEnv]
  if (!file) {
    console.error(`usage: tsx ${program.name}/main.ts <${program.name} config.yaml>  (or set ${program.configEnv})`)
    process.exit(EXIT.USAGE)
  }
  let config: Readonly<C>
  try {
    config = program.load(file)
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    console.error(`${program.configCode} ${err.message}`)
    process.exit(EXIT.CONFIG)
  }
  const log = createLogger(program.name)
  lastResort(log)
  const running = await program.start(config, log)
  program.started?.(running, config)
  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    log.info({ signal }, 'stopping')
    running.stop().then(
      () => process.exit(EXIT.OK),
      (err: unknown) => {
        log.error({ err }, 'unclean stop')
        process.exit(EXIT.FAILED)
      },
    )
  }
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))
}

/**
 * An error nothing caught is a bug (issue 11: no request, frame or packet
 * may end the process, so the code that meets them catches what it expects).
 * Carrying on after one leaves the process in a state nobody reasoned about:
 * it is logged and the process exits SOFTWARE at once, and the systemd unit
 * restarts it (Restart=always).
 */
function lastResort(log: Logger): void {
  const fatal = (kind: string) => (err: unknown) => {
    log.fatal({ err, kind }, 'uncaught error, exiting')
    process.exit(EXIT.SOFTWARE)
  }
  process.on('uncaughtException', fatal('uncaughtException'))
  process.on('unhandledRejection', fatal('unhandledRejection'))
}
