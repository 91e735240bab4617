/**
 * Supervisor sessions: random 256-bit tokens in an HttpOnly, SameSite=Strict
 * cookie, kept in memory (an edge restart signs everyone out, which is fine
 * for a handful of supervisors) with an absolute expiry. Failed logins are
 * counted per client address so a password cannot be guessed at speed.
 */
import { randomBytes } from 'node:crypto'
import { verifyPassword } from '../../common/secrets.js'

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

// Verified when the username is unknown, so a wrong username costs the same time as a wrong password.
const DUMMY_HASH = 'scrypt:AAAAAAAAAAAAAAAAAAAAAA==:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='

export class SessionStore {
  private readonly sessions = new Map<string, Session>()
  private readonly failures = new Map<string, { count: number; until: number }>()

  constructor(
    private readonly accounts: readonly SupervisorAccount[],
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxFailures = 5,
    private readonly lockMs = 60_000,
  ) {}

  /** 'locked' while the address has too many recent failures; otherwise the new token, or null for wrong credentials. */
  async login(username: string, password: string, client: string): Promise<{ token: string; session: Session } | null | 'locked'> {
    const f = this.failures.get(client)
    if (f && f.count >= this.maxFailures && f.until > this.now()) return 'locked'
    const account = this.accounts.find((a) => a.username === username)
    const ok = await verifyPassword(password, account?.passwordHash ?? DUMMY_HASH)
    if (!ok || !account) {
      const prev = f && f.until > this.now() ? f.count : 0
      this.failures.set(client, { count: prev + 1, until: this.now() + this.lockMs })
      return null
    }
    this.failures.delete(client)
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
  return `${SESSION_COOKIE}=${token}; Path=/supervisor; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure ? '; Secure' : ''}`
}

export const clearedCookie = `${SESSION_COOKIE}=; Path=/supervisor; HttpOnly; SameSite=Strict; Max-Age=0`
