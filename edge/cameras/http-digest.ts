/**
 * HTTP GET with digest authentication (RFC 7616, MD5, qop=auth), as camera
 * snapshot URLs require. Bounded in time and size.
 */
import { createHash, randomBytes } from 'node:crypto'

export interface DigestGetOptions {
  username: string
  password: string
  timeoutMs: number
  maxBytes: number
}

export class HttpGetError extends Error {
  constructor(readonly status: number | null, message: string) {
    super(message)
    this.name = 'HttpGetError'
  }
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex')

/** Pure: the Authorization header answering one `WWW-Authenticate: Digest ...` challenge. */
export function digestAuthorization(challenge: string, method: string, uri: string, user: string, pass: string, cnonce: string, nc = 1): string {
  const params: Record<string, string> = {}
  for (const m of challenge.replace(/^Digest\s+/i, '').matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]*))/g)) params[m[1]!.toLowerCase()] = m[2] ?? m[3] ?? ''
  const realm = params.realm ?? ''
  const nonce = params.nonce ?? ''
  const qop = (params.qop ?? '').split(',').map((q) => q.trim()).includes('auth') ? 'auth' : null
  const ha1 = md5(`${user}:${realm}:${pass}`)
  const ha2 = md5(`${method}:${uri}`)
  const ncs = nc.toString(16).padStart(8, '0')
  const response = qop ? md5(`${ha1}:${nonce}:${ncs}:${cnonce}:${qop}:${ha2}`) : md5(`${ha1}:${nonce}:${ha2}`)
  const parts = [`username="${user}"`, `realm="${realm}"`, `nonce="${nonce}"`, `uri="${uri}"`, `response="${response}"`]
  if (qop) parts.push(`qop=${qop}`, `nc=${ncs}`, `cnonce="${cnonce}"`)
  if (params.opaque !== undefined) parts.push(`opaque="${params.opaque}"`)
  if (params.algorithm) parts.push(`algorithm=${params.algorithm}`)
  return `Digest ${parts.join(', ')}`
}

async function readBounded(res: Response, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  let n = 0
  const reader = res.body?.getReader()
  if (!reader) return Buffer.alloc(0)
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    n += value.length
    if (n > maxBytes) {
      await reader.cancel()
      throw new HttpGetError(res.status, `body larger than ${maxBytes} bytes`)
    }
    chunks.push(Buffer.from(value))
  }
  return Buffer.concat(chunks)
}

export async function digestGet(rawUrl: string, o: DigestGetOptions): Promise<{ body: Buffer; contentType: string | null }> {
  const url = new URL(rawUrl)
  // Credentials travel in headers, never in the URL.
  url.username = ''
  url.password = ''
  const signal = AbortSignal.timeout(o.timeoutMs)
  let res = await fetch(url, { signal })
  if (res.status === 401) {
    const challenge = res.headers.get('www-authenticate') ?? ''
    await res.arrayBuffer()
    let auth: string
    if (/^digest/i.test(challenge)) {
      auth = digestAuthorization(challenge, 'GET', url.pathname + url.search, o.username, o.password, randomBytes(8).toString('hex'))
    } else if (/^basic/i.test(challenge)) {
      auth = `Basic ${Buffer.from(`${o.username}:${o.password}`).toString('base64')}`
    } else throw new HttpGetError(401, 'unsupported authentication challenge')
    res = await fetch(url, { signal, headers: { authorization: auth } })
  }
  if (res.status !== 200) {
    await res.arrayBuffer().catch(() => undefined)
    throw new HttpGetError(res.status, `HTTP ${res.status}`)
  }
  return { body: await readBounded(res, o.maxBytes), contentType: res.headers.get('content-type') }
}
