/**
 * Stateless console sessions: the cookie is `<username>.<issued>.<seen>.<mac>`
 * (times in seconds), HMAC-SHA256 under the hub's session secret, so any hub
 * instance with the same secret accepts it and none stores sessions. `seen`
 * is re-signed as requests come in (sliding idle timeout); `issued` bounds
 * the session whatever the activity. Pure apart from the HMAC.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import { ID_PATTERN } from '../../protocol/patterns.js'

export interface SessionClaims {
  username: string
  issuedS: number
  seenS: number
}

export interface SessionLimits {
  ttlS: number
  idleS: number
}

const mac = (secret: string, body: string) => createHmac('sha256', secret).update(body).digest('base64url')

export function signSession(secret: string, c: SessionClaims): string {
  const body = `${c.username}.${c.issuedS}.${c.seenS}`
  return `${body}.${mac(secret, body)}`
}

/** The claims of a genuine, unexpired token, or null. */
export function verifySession(secret: string, token: string | undefined, nowS: number, limits: SessionLimits): SessionClaims | null {
  const parts = (token ?? '').split('.')
  if (parts.length !== 4) return null
  const [username = '', issued = '', seen = '', sig = ''] = parts
  if (!ID_PATTERN.test(username) || !/^\d{1,12}$/.test(issued) || !/^\d{1,12}$/.test(seen)) return null
  const expected = Buffer.from(mac(secret, `${username}.${issued}.${seen}`))
  const given = Buffer.from(sig)
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null
  const c = { username, issuedS: Number(issued), seenS: Number(seen) }
  if (c.seenS < c.issuedS || c.seenS > nowS + 60) return null
  if (nowS >= c.issuedS + limits.ttlS || nowS >= c.seenS + limits.idleS) return null
  return c
}

/** When the session's end: the earlier of the absolute and the idle limit, in seconds. */
export const sessionEndS = (c: SessionClaims, limits: SessionLimits) => Math.min(c.issuedS + limits.ttlS, c.seenS + limits.idleS)
