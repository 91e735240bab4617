/** A test's SMTP server, and reading what it received. */
import type { AddressInfo } from 'node:net'
import { SMTPServer } from 'smtp-server'

/** The Subject header of a raw message, decoded from RFC 2047 encoded words. */
export function decodeSubject(raw: string): string {
  const header = /^Subject: (.*(?:\r?\n[ \t].*)*)/m.exec(raw)?.[1] ?? ''
  return header
    .replace(/\r?\n[ \t]/g, ' ')
    .replace(/=\?utf-8\?([BQ])\?([^?]*)\?=\s*/gi, (_m, enc: string, text: string) =>
      enc.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('utf8')
        : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_x, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8'),
    )
}

export interface ReceivedMail {
  from: string
  to: string[]
  raw: string
}

export interface TestSmtp {
  port: number
  /** Messages accepted, in order. */
  received: ReceivedMail[]
  close(): Promise<void>
}

/**
 * A real SMTP server on 127.0.0.1 (smtp-server) that takes one user's
 * password, refuses the first `refusals` messages with a temporary 451 (a
 * server not ready yet) and then accepts.
 */
export async function startTestSmtp(o: { user: string; password: string; refusals: number }): Promise<TestSmtp> {
  const received: ReceivedMail[] = []
  let refused = 0
  const smtp = new SMTPServer({
    authOptional: false,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    onAuth(auth, _session, cb) {
      if (auth.username === o.user && auth.password === o.password) return cb(null, { user: o.user })
      cb(new Error('535 bad credentials'))
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        if (refused < o.refusals) {
          refused++
          return cb(Object.assign(new Error('mailbox busy, try again later'), { responseCode: 451 }))
        }
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : ''
        received.push({ from, to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') })
        cb(null)
      })
    },
  })
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve))
  return {
    port: (smtp.server.address() as AddressInfo).port,
    received,
    close: () => new Promise<void>((resolve) => smtp.close(() => resolve())),
  }
}
