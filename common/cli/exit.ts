/**
 * Exit codes of the `motcua-edge` and `motcua-hub` commands, from sysexits(3)
 * as the programs themselves exit 78 on a bad config: a script or a
 * monitoring check can tell the cases apart.
 */
export const EXIT = {
  OK: 0,
  /** The edge answers but is degraded; the audit log has a broken link. */
  DEGRADED: 1,
  USAGE: 64,
  /** Input refused: a PIN that is not 4–8 digits, a device id already in the config, an unknown officer. */
  DATA: 65,
  /** The running edge does not answer. */
  UNAVAILABLE: 69,
  /** A bug in this command (EX_SOFTWARE). */
  INTERNAL: 70,
  CANT_WRITE: 73,
  CONFIG: 78,
  /** Ctrl-C at a prompt (128 + SIGINT, as a shell reports it). */
  CANCELLED: 130,
} as const

/** An expected failure: the message is for the technician, printed without a stack. */
export class CliError extends Error {
  constructor(readonly exitCode: number, message: string) {
    super(message)
    this.name = 'CliError'
  }
}
