/** Server side of the sign-in pages (edge supervisor page, hub console): HTML answers, form posts, origin checks. */
import type { IncomingMessage, ServerResponse } from 'node:http'

const MAX_FORM_BYTES = 4096

/** An HTML answer that is never cached and runs only what `csp` allows. */
export function sendHtml(res: ServerResponse, csp: string, status: number, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    // Not no-referrer: that makes browsers send "Origin: null" on our own form posts.
    'referrer-policy': 'same-origin',
    ...extra,
  })
  res.end(body)
}

/** A small urlencoded form (sign-in); anything larger is refused. */
export function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (c: string) => {
      body += c
      if (body.length > MAX_FORM_BYTES) {
        reject(new Error('form too large'))
        req.destroy()
      }
    })
    req.on('end', () => resolve(new URLSearchParams(body)))
    req.on('error', reject)
  })
}

/** A page on another site must not drive a signed-in browser (the session cookie is SameSite=Strict too). */
export function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin
  if (!origin) return true
  try {
    return new URL(origin).host === req.headers.host
  } catch {
    return false
  }
}
