/**
 * Camera and service URLs carry `user:password@`; nothing built from one
 * (a log line, a camera's `detail`, an API answer, an InfluxDB field) may.
 * The one place that removes them: the edge's stream probe, live remuxer and
 * ONVIF errors use it, and so does the hub before it writes a camera detail.
 *
 * Passwords cameras really carry contain `@`, `:`, `/` and `%`-escapes, and
 * technicians paste them unescaped (`rtsp://admin:p@ss@10.0.0.5/...`), so the
 * user info runs to the last `@` of the URL-looking word, not the first `:`
 * or `@` (issue 11, finding 3: a lazy regex stopping at the first `:` left
 * `S3cret@127.0.0.1:1/x` in the detail).
 */

/** Shortest secret also removed as bare text: a shorter one would blank ordinary words. */
const MIN_SECRET_LENGTH = 4

const URL_USERINFO = /([a-z][a-z0-9+.-]*:\/\/)\S*@/gi

/**
 * Removes `user:password@` from every URL in `text`, and every occurrence of
 * each known secret (raw and %-escaped), for messages that quote a password
 * outside a URL.
 */
export function stripCredentials(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(URL_USERINFO, '$1')
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET_LENGTH) continue
    for (const form of new Set([secret, encodeURIComponent(secret)])) out = out.split(form).join('[redacted]')
  }
  return out
}

/** The password a URL carries, decoded and as written, for `stripCredentials`' second argument. */
export function secretsOf(url: string): string[] {
  try {
    const raw = new URL(url).password
    if (!raw) return []
    let decoded = raw
    try {
      decoded = decodeURIComponent(raw)
    } catch {
      // A lone `%` in the password: keep it as written.
    }
    return [...new Set([decoded, raw])]
  } catch {
    return []
  }
}
