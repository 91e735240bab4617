import { createHash, timingSafeEqual } from 'node:crypto'
import { childAttr, childText, section } from '../soap/xml.js'

/** OASIS WSS UsernameToken Profile 1.0, as ONVIF Core 5.12.2 uses it. */
export interface UsernameToken {
  username: string
  password: string
  passwordType: 'digest' | 'text'
  nonce: string | undefined
  created: string | undefined
}

export type WsseResult = 'ok' | 'unknown-user' | 'bad-password' | 'stale-created' | 'replayed-nonce' | 'malformed'

/** ONVIF Core 5.12.2: the device rejects a Created time outside its replay window. */
export const CREATED_WINDOW_MS = 5 * 60_000

/** The UsernameToken in the request's Security header, or undefined when there is none. */
export function readUsernameToken(xml: string): UsernameToken | undefined {
  const header = section(xml, 'Header')
  const token = header && section(header, 'UsernameToken')
  if (!token) return undefined
  const type = childAttr(token, 'Password', 'Type') ?? ''
  return {
    username: childText(token, 'Username') ?? '',
    password: childText(token, 'Password') ?? '',
    passwordType: type.endsWith('#PasswordText') ? 'text' : 'digest',
    nonce: childText(token, 'Nonce'),
    created: childText(token, 'Created'),
  }
}

/** Base64(SHA-1(nonce bytes + Created + password)). */
export function passwordDigest(nonceB64: string, created: string, password: string): string {
  return createHash('sha1').update(Buffer.concat([Buffer.from(nonceB64, 'base64'), Buffer.from(created, 'utf8'), Buffer.from(password, 'utf8')])).digest('base64')
}

function sameText(a: string, b: string): boolean {
  const ab = Buffer.from(a)
  const bb = Buffer.from(b)
  return ab.length === bb.length && timingSafeEqual(ab, bb)
}

/** Nonces seen inside the replay window; bounded so a flood cannot grow it without limit. */
export class NonceCache {
  private readonly seen = new Map<string, number>()
  constructor(private readonly windowMs: number, private readonly maxEntries = 10_000) {}

  /** Records the nonce; false when it was already used within the window. */
  remember(nonce: string, nowMs: number): boolean {
    for (const [n, at] of this.seen) {
      if (nowMs - at <= this.windowMs && this.seen.size < this.maxEntries) break
      this.seen.delete(n) // Map keeps insertion order: the oldest go first
    }
    if (this.seen.has(nonce)) return false
    this.seen.set(nonce, nowMs)
    return true
  }
}

/**
 * Checks a token against the camera's one account. `cameraNowMs` is the
 * camera's own clock: a skewed camera rejects clients whose clock is right.
 */
export function verifyUsernameToken(
  t: UsernameToken, user: string, password: string, cameraNowMs: number, nonces: NonceCache,
): WsseResult {
  if (t.username !== user) return 'unknown-user'
  if (t.passwordType === 'text') return sameText(t.password, password) ? 'ok' : 'bad-password'
  if (!t.nonce || !t.created) return 'malformed'
  const created = Date.parse(t.created)
  if (Number.isNaN(created)) return 'malformed'
  if (Math.abs(created - cameraNowMs) > CREATED_WINDOW_MS) return 'stale-created'
  if (!sameText(passwordDigest(t.nonce, t.created, password), t.password)) return 'bad-password'
  // Keyed on (Nonce, Created): the digest binds both, so a captured token cannot be replayed, while
  // libonvif 1.4 (Debian's onvif-util), which reuses one nonce for a burst of requests with fresh
  // Created values (ms precision), still works, as it does against the cameras it was written for.
  // The HTTP server's per-call latency keeps two of its requests from sharing a millisecond.
  return nonces.remember(`${t.nonce}|${t.created}`, cameraNowMs) ? 'ok' : 'replayed-nonce'
}
