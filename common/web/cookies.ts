/** Cookies of the sign-in pages (the edge's supervisor page, the hub's console). */

/** Pure: the value of one cookie from a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=')
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim()
  }
  return undefined
}

/**
 * A session cookie: only for its area's path, out of scripts' reach, never
 * sent by another site's request, Secure behind TLS. An empty value with
 * maxAgeS 0 clears it.
 */
export function sessionCookie(name: string, path: string, value: string, maxAgeS: number, secure: boolean): string {
  return `${name}=${value}; Path=${path}; HttpOnly; SameSite=Strict; Max-Age=${Math.max(0, maxAgeS)}${secure ? '; Secure' : ''}`
}
