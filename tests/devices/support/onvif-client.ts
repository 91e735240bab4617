import { createHash, randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'

/** The parts of the `onvif` package (CommonJS, untyped) the tests use. */
export interface OnvifCam {
  profiles: Array<{ $: { token: string }; name: string }>
  uri: Record<string, { href: string }>
  connect(cb: (err: Error | null) => void): void
  getDeviceInformation(cb: (err: Error | null, info: Record<string, string>) => void): void
  getSystemDateAndTime(cb: (err: Error | null, date: Date) => void): void
  getStreamUri(opts: { protocol: string }, cb: (err: Error | null, s: { uri: string }) => void): void
  getSnapshotUri(opts: object, cb: (err: Error | null, s: { uri: string }) => void): void
  createPullPointSubscription(cb: (err: Error | null, sub: unknown) => void): void
  pullMessages(opts: { messageLimit?: number }, cb: (err: Error | null, data: PullResult) => void): void
  unsubscribe(cb: (err: Error | null, v: unknown) => void): void
  on(ev: 'event', cb: (msg: OnvifMessage) => void): void
  on(ev: 'eventsError', cb: (err: Error) => void): void
  removeAllListeners(ev: string): void
}

export interface OnvifMessage {
  topic: { _: string }
  message: { message: { $: { PropertyOperation: string }; data: { simpleItem: { $: { Name: string; Value: unknown } } } } }
}

export interface PullResult {
  notificationMessage?: OnvifMessage | OnvifMessage[]
  currentTime: Date
  terminationTime: Date
}

interface OnvifModule {
  Cam: new (opts: Record<string, unknown>, cb?: (err: Error | null) => void) => OnvifCam
  Discovery: {
    probe(opts: { timeout: number; resolve?: boolean }, cb: (err: unknown, cams: Array<{ hostname: string; port: number | string; path: string }>) => void): void
  }
}

export const onvif = createRequire(import.meta.url)('onvif') as OnvifModule

export function call<T = unknown>(fn: (cb: (err: Error | null, v: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v))))
}

/** A Cam from the onvif package, connected (GetSystemDateAndTime, GetServices, GetProfiles, GetVideoSources). */
export async function connectCam(port: number, username: string, password: string, extra: Record<string, unknown> = {}): Promise<OnvifCam> {
  const cam = new onvif.Cam({ hostname: '127.0.0.1', port, username, password, autoconnect: false, timeout: 10_000, ...extra })
  await new Promise<void>((resolve, reject) => cam.connect((err) => (err ? reject(err) : resolve())))
  return cam
}

export const asList = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v])

/** Our own WS-Security header, written from the OASIS profile, for requests the package cannot make (stale, replayed). */
export function securityHeader(user: string, password: string, created = new Date().toISOString(), nonce = randomBytes(16)): string {
  const digest = createHash('sha1').update(Buffer.concat([nonce, Buffer.from(created), Buffer.from(password)])).digest('base64')
  return '<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" ' +
    'xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"><wsse:UsernameToken>' +
    `<wsse:Username>${user}</wsse:Username><wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest">${digest}</wsse:Password>` +
    `<wsse:Nonce EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary">${nonce.toString('base64')}</wsse:Nonce>` +
    `<wsu:Created>${created}</wsu:Created></wsse:UsernameToken></wsse:Security>`
}

export function soapEnvelope(body: string, header = ''): string {
  return `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header>${header}</s:Header><s:Body>${body}</s:Body></s:Envelope>`
}

export async function postSoap(url: string, xml: string, headers: Record<string, string> = {}, timeoutMs = 10_000): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(url, {
    method: 'POST', body: xml, headers: { 'Content-Type': 'application/soap+xml; charset=utf-8', ...headers }, signal: AbortSignal.timeout(timeoutMs),
  })
  return { status: res.status, text: await res.text(), headers: res.headers }
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex')

/** RFC 7616 digest client: one unauthenticated try, then the answer to the challenge. */
export async function fetchWithDigest(url: string, user: string, password: string, init: RequestInit = {}): Promise<Response> {
  const first = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) })
  if (first.status !== 401) return first
  await first.arrayBuffer()
  const challenge = first.headers.get('www-authenticate') ?? ''
  const p = Object.fromEntries([...challenge.matchAll(/(\w+)="?([^",]*)"?/g)].map((m) => [m[1], m[2]]))
  const uri = new URL(url).pathname
  const method = init.method ?? 'GET'
  const cnonce = randomBytes(8).toString('hex')
  const nc = '00000001'
  const response = md5(`${md5(`${user}:${p.realm}:${password}`)}:${p.nonce}:${nc}:${cnonce}:auth:${md5(`${method}:${uri}`)}`)
  const authorization = `Digest username="${user}", realm="${p.realm}", nonce="${p.nonce}", uri="${uri}", qop=auth, nc=${nc}, cnonce="${cnonce}", response="${response}", opaque="${p.opaque}", algorithm=MD5`
  return fetch(url, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), Authorization: authorization }, signal: AbortSignal.timeout(10_000) })
}
