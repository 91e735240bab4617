/**
 * Supervisor sessions: random 256-bit tokens in an HttpOnly, SameSite=Strict
 * cookie, kept in memory (an edge restart signs everyone out, which is fine
 * for a handful of supervisors) with an absolute expiry. Failed logins are
 * counted per client address (common/web/lockout.ts).
 */
import { randomBytes } from 'node:crypto'
import { sessionCookie as cookie } from '../../common/web/cookies.js'
import { Lockout } from '../../common/web/lockout.js'
import { checkPassword } from '../../common/web/sign-in.js'

export const SESSION_COOKIE = 'motcua_sup'

export interface Session {
  username: string
  name: string
  expiresAt: number
}

export interface SupervisorAccount {
  username: string
  name: string
  passwordHash: string
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>()
  private readonly lockout: Lockout

  constructor(
    private readonly accounts: readonly SupervisorAccount[],
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    maxFailures = 5,
    lockMs = 60_000,
  ) {
    this.lockout = new Lockout({ now, maxFailures, lockMs })
  }

  /** 'locked' while the address has too many recent failures; otherwise the new token, or null for wrong credentials. */
  async login(username: string, password: string, client: string): Promise<{ token: string; session: Session } | null | 'locked'> {
    const account = await checkPassword(this.lockout, client, this.accounts.find((a) => a.username === username), password)
    if (account === null || account === 'locked') return account
    this.prune()
    const token = randomBytes(32).toString('base64url')
    const session = { username: account.username, name: account.name, expiresAt: this.now() + this.ttlMs }
    this.sessions.set(token, session)
    return { token, session }
  }

  get(token: string | undefined): Session | null {
    if (!token) return null
    const s = this.sessions.get(token)
    if (!s) return null
    if (s.expiresAt <= this.now()) {
      this.sessions.delete(token)
      return null
    }
    return s
  }

  logout(token: string | undefined): void {
    if (token) this.sessions.delete(token)
  }

  private prune(): void {
    const now = this.now()
    for (const [k, s] of this.sessions) if (s.expiresAt <= now) this.sessions.delete(k)
  }
}

export function sessionCookie(token: string, maxAgeS: number, secure: boolean): string {
  return cookie(SESSION_COOKIE, '/supervisor', token, maxAgeS, secure)
}

export const clearedCookie = sessionCookie('', 0, false)
