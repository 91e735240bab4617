import { pino, type DestinationStream, type Logger } from 'pino'

export type { Logger }

/** Keys whose values never reach a log line, wherever they appear. */
const REDACT = [
  'password', 'secret', 'token', 'authorization',
  '*.password', '*.secret', '*.token', '*.authorization', '*.headers.authorization',
]

/**
 * Root logger for one program. JSON lines on stdout, or on `destination`;
 * LOG_LEVEL overrides the level (tests set it to "silent" unless they are
 * debugging).
 */
export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info', destination?: DestinationStream): Logger {
  const options = { name, level, redact: { paths: REDACT, censor: '[redacted]' } }
  return destination ? pino(options, destination) : pino(options)
}

/** Kept here for the callers that log URLs; the one definition is in credentials.ts. */
export { stripCredentials } from './credentials.js'
