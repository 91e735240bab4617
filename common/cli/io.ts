/**
 * The CLI's only contact with the terminal, so the commands can be run by
 * tests with plain strings. Secrets (PINs) come from stdin, never from argv:
 * any user on the box sees argv in `ps`.
 */
import { CliError, EXIT } from './exit.js'

export interface CliIo {
  out(line: string): void
  err(line: string): void
  env: Readonly<Record<string, string | undefined>>
  /** True when stdin is a terminal (a person types); false when it is piped. */
  interactive: boolean
  /** One line from stdin, without its line end. On a terminal: asks with `prompt` on stderr and does not echo what is typed. */
  readSecretLine(prompt: string): Promise<string>
}

/** No line a technician types or pipes here is longer; more is refused, not buffered without end. */
const MAX_LINE = 256

export function processIo(): CliIo {
  return {
    out: (line) => void process.stdout.write(`${line}\n`),
    err: (line) => void process.stderr.write(`${line}\n`),
    env: process.env,
    interactive: process.stdin.isTTY === true,
    readSecretLine: (prompt) => (process.stdin.isTTY ? readHidden(prompt) : readPiped()),
  }
}

function tooLong(): CliError {
  return new CliError(EXIT.DATA, `input line longer than ${MAX_LINE} characters`)
}

/** The first line of piped stdin; stops reading at the first line end. */
function readPiped(): Promise<string> {
  const stdin = process.stdin
  return new Promise((resolve, reject) => {
    let text = ''
    const done = (err: Error | null) => {
      stdin.off('data', onData).off('end', onEnd).off('error', done)
      stdin.pause()
      if (err) return reject(err)
      const line = text.split(/\r?\n/, 1)[0] ?? ''
      if (line.length > MAX_LINE) return reject(tooLong())
      resolve(line)
    }
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8')
      if (text.includes('\n') || text.length > MAX_LINE) done(null)
    }
    const onEnd = () => done(null)
    stdin.on('data', onData).once('end', onEnd).once('error', done)
  })
}

/** A line typed on the terminal with echo off; Ctrl-C aborts, backspace erases. */
function readHidden(prompt: string): Promise<string> {
  const stdin = process.stdin
  process.stderr.write(prompt)
  stdin.setRawMode(true)
  return new Promise((resolve, reject) => {
    let line = ''
    const finish = (err: Error | null) => {
      stdin.off('data', onData)
      stdin.setRawMode(false)
      stdin.pause()
      process.stderr.write('\n')
      if (err) reject(err)
      else resolve(line)
    }
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish(null)
        if (ch === '\u0003') return finish(new CliError(EXIT.CANCELLED, 'cancelled'))
        if (ch === '\u007f' || ch === '\b') line = line.slice(0, -1)
        else line += ch
        if (line.length > MAX_LINE) return finish(tooLong())
      }
    }
    stdin.on('data', onData)
    stdin.resume()
  })
}
