import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

/** HTTP Digest (RFC 7616 with MD5, qop=auth; RFC 2069 without qop still accepted, as cameras do). */

const md5 = (s: string) => createHash('md5').update(s).digest('hex')

/** A nonce older than this is answered with stale=true so the client retries with a fresh one. */
export const NONCE_LIFETIME_MS = 5 * 60_000

export function parseDigestHeader(header: string): Record<string, string> | undefined {
  const m = /^\s*Digest\s+(.*)$/is.exec(header)
  if (!m?.[1]) return undefined
  const out: Record<string, string> = {}
  for (const p of m[1].matchAll(/([a-zA-Z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g)) {
    if (p[1]) out[p[1].toLowerCase()] = (p[2] ?? p[3] ?? '').replace(/\\(.)/g, '$1')
  }
  return out
}

export type DigestResult = 'ok' | 'bad-password' | 'unknown-user' | 'stale-nonce' | 'bad-nonce' | 'replayed-nc' | 'malformed'

/** Issues and checks nonces statelessly (HMAC of the issue time), and tracks nonce counts against replay. */
export class DigestAuth {
  private readonly key = randomBytes(32)
  private readonly counts = new Map<string, number>()

  constructor(readonly realm: string, private readonly maxTracked = 5_000) {}

  nonce(nowMs: number): string {
    const ts = nowMs.toString(16)
    return Buffer.from(`${ts}:${createHmac('sha256', this.key).update(ts).digest('hex').slice(0, 32)}`).toString('base64')
  }

  challenge(nowMs: number, stale = false): string {
    return `Digest realm="${this.realm}", qop="auth", nonce="${this.nonce(nowMs)}", opaque="${md5(this.realm)}", algorithm=MD5, stale=${stale ? 'TRUE' : 'FALSE'}`
  }

  private nonceAge(nonce: string, nowMs: number): number | undefined {
    const [ts, mac] = Buffer.from(nonce, 'base64').toString().split(':')
    if (!ts || !mac) return undefined
    const want = createHmac('sha256', this.key).update(ts).digest('hex').slice(0, 32)
    if (mac.length !== want.length || !timingSafeEqual(Buffer.from(mac), Buffer.from(want))) return undefined
    return nowMs - parseInt(ts, 16)
  }

  verify(header: string, method: string, user: string, password: string, nowMs: number): DigestResult {
    const p = parseDigestHeader(header)
    if (!p || !p.username || !p.nonce || !p.uri || !p.response) return 'malformed'
    if (p.username !== user) return 'unknown-user'
    if (p.algorithm && p.algorithm.toUpperCase() !== 'MD5') return 'malformed'
    const age = this.nonceAge(p.nonce, nowMs)
    if (age === undefined || age < -1000) return 'bad-nonce'
    const ha1 = md5(`${user}:${this.realm}:${password}`)
    const ha2 = md5(`${method}:${p.uri}`)
    const expected = p.qop
      ? md5(`${ha1}:${p.nonce}:${p.nc ?? ''}:${p.cnonce ?? ''}:${p.qop}:${ha2}`)
      : md5(`${ha1}:${p.nonce}:${ha2}`)
    const given = p.response.toLowerCase()
    if (given.length !== expected.length || !timingSafeEqual(Buffer.from(given), Buffer.from(expected))) return 'bad-password'
    if (age > NONCE_LIFETIME_MS) return 'stale-nonce'
    if (p.qop) {
      const nc = parseInt(p.nc ?? '', 16)
      if (!Number.isFinite(nc)) return 'malformed'
      const last = this.counts.get(p.nonce) ?? 0
      if (nc <= last) return 'replayed-nc'
      if (this.counts.size >= this.maxTracked) this.counts.delete(this.counts.keys().next().value as string)
      this.counts.set(p.nonce, nc)
    }
    return 'ok'
  }
}
