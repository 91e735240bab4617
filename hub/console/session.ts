/**
 * The console's session cookie: an HMAC-signed token (hub/users/session-token.ts),
 * HttpOnly, SameSite=Strict, Secure behind TLS, Path=/console. Requests
 * refresh the idle clock at most once a minute, by re-signing the cookie.
 */
import type { IncomingMessage } from 'node:http'
import { readCookie, sessionCookie } from '../../common/web/cookies.js'
import type { Accounts } from '../users/accounts.js'
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
}

export function createSessionCodec(secret: string, limits: SessionLimits, accounts: Accounts, now: () => number): SessionCodec {
  const cookie = (value: string, maxAgeS: number, secure: boolean) => sessionCookie(CONSOLE_COOKIE, '/console', value, maxAgeS, secure)
  const nowS = () => Math.floor(now() / 1000)
  return {
    read(req) {
      const claims = verifySession(secret, readCookie(req.headers.cookie, CONSOLE_COOKIE), nowS(), limits)
      // A user removed from the config loses access at once, whatever cookie they hold.
      const principal = claims && accounts.byName(claims.username)
      if (!claims || !principal) return null
      const t = nowS()
      const secure = 'encrypted' in req.socket
      const refresh = t - claims.seenS >= 60 ? cookie(signSession(secret, { ...claims, seenS: t }), claims.issuedS + limits.ttlS - t, secure) : null
      return { principal, claims, endsAt: (claims.issuedS + limits.ttlS) * 1000, refresh }
    },
    issue(username, secure) {
      const t = nowS()
      return cookie(signSession(secret, { username, issuedS: t, seenS: t }), limits.ttlS, secure)
    },
    cleared: (secure) => cookie('', 0, secure),
  }
}
