/**
 * The console's session cookie: an HMAC-signed token (hub/users/session-token.ts),
 * HttpOnly, SameSite=Strict, Secure behind TLS, Path=/console. Requests
 * refresh the idle clock at most once a minute, by re-signing the cookie.
 */
import type { IncomingMessage } from 'node:http'
import { readCookie, sessionCookie } from '../../common/web/cookies.js'
import { isHttps } from '../../common/web/forwarded.js'
import type { Accounts } from '../users/accounts.js'
import type { SignOuts } from '../users/sign-outs.js'
import type { Principal } from '../users/roles.js'
import { signSession, verifySession, type SessionClaims, type SessionLimits } from '../users/session-token.js'

export const CONSOLE_COOKIE = 'motcua_console'

export interface ConsoleSession {
  principal: Principal
  claims: SessionClaims
  /** Absolute end of the session, ms. */
  endsAt: number
  /** A Set-Cookie header to send when the idle clock was moved on. */
  refresh: string | null
}

export interface SessionCodec {
  read(req: IncomingMessage): ConsoleSession | null
  issue(username: string, secure: boolean): string
  cleared(secure: boolean): string
  /** Ends the request's session, and its user's other sessions, on every instance (hub/users/sign-outs.ts). */
  revoke(req: IncomingMessage): Promise<void>
  /**
   * Whether a session read earlier still holds now: not past its absolute end, not signed out, and used
   * within the idle limit by a request this instance saw (for a live view, which sends no cookie while it runs).
   */
  holds(s: ConsoleSession): boolean
}

/** Sessions whose last use this instance remembers; past it the oldest are forgotten (their live views then end at their cookie's idle end). */
const MAX_REMEMBERED = 10_000

export function createSessionCodec(secret: string, limits: SessionLimits, accounts: Accounts, now: () => number, signOuts?: SignOuts): SessionCodec {
  const cookie = (value: string, maxAgeS: number, secure: boolean) => sessionCookie(CONSOLE_COOKIE, '/console', value, maxAgeS, secure)
  const nowS = () => Math.floor(now() / 1000)
  const lastUse = new Map<string, number>()
  const key = (c: SessionClaims) => `${c.username}.${c.issuedS}`
  const used = (c: SessionClaims, t: number) => {
    lastUse.delete(key(c))
    lastUse.set(key(c), t)
    if (lastUse.size > MAX_REMEMBERED) lastUse.delete(lastUse.keys().next().value!)
  }
  return {
    read(req) {
      const claims = verifySession(secret, readCookie(req.headers.cookie, CONSOLE_COOKIE), nowS(), limits)
      // A user removed from the config loses access at once, whatever cookie they hold.
      const principal = claims && accounts.byName(claims.username)
      if (!claims || !principal) return null
      // Signed out (here or on another instance) after this session began.
      if (signOuts && claims.issuedS <= signOuts.latestS(claims.username)) return null
      const t = nowS()
      used(claims, t)
      const secure = isHttps(req)
      const refresh = t - claims.seenS >= 60 ? cookie(signSession(secret, { ...claims, seenS: t }), claims.issuedS + limits.ttlS - t, secure) : null
      return { principal, claims, endsAt: (claims.issuedS + limits.ttlS) * 1000, refresh }
    },
    issue(username, secure) {
      // Stamped after the user's latest sign-out known here, so signing in again within that second is not refused.
      const t = Math.max(nowS(), (signOuts?.latestS(username) ?? -1) + 1)
      return cookie(signSession(secret, { username, issuedS: t, seenS: t }), limits.ttlS, secure)
    },
    cleared: (secure) => cookie('', 0, secure),
    holds({ claims }) {
      const t = nowS()
      const seenS = Math.max(claims.seenS, lastUse.get(key(claims)) ?? 0)
      if (t >= claims.issuedS + limits.ttlS || t >= seenS + limits.idleS) return false
      return !signOuts || claims.issuedS > signOuts.latestS(claims.username)
    },
    async revoke(req) {
      const claims = verifySession(secret, readCookie(req.headers.cookie, CONSOLE_COOKIE), nowS(), limits)
      if (claims && signOuts) await signOuts.signOut(claims.username, Math.max(nowS(), claims.issuedS))
    },
  }
}
