/**
 * TLS on the edge's listeners (issue 11, finding 6): the supervisor's
 * password, its session cookie and live video cross the site LAN, often the
 * kiosks' Wi-Fi. One shape for the web server and the broker, both signed by
 * the site's CA (`motcua-edge make-certs`), and the pure checks the loader
 * and the start make on it.
 */
import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { z } from 'zod'

/** Paths relative to the config file (edge/config/load.ts). */
export const tlsSchema = z.strictObject({
  /** The edge's certificate (PEM), signed by the site's CA. */
  cert: z.string().min(1),
  /** Its private key (PEM), readable by the edge's user only. */
  key: z.string().min(1),
  /** The site's CA certificate (PEM): what kiosks, tablets and the supervisor's browser trust; `motcua-edge health` checks the edge with it. */
  ca: z.string().min(1).optional(),
})
export type TlsPaths = z.output<typeof tlsSchema>

export interface TlsFiles {
  cert: Buffer
  key: Buffer
}

export const readTlsFiles = (paths: TlsPaths): TlsFiles => ({ cert: readFileSync(paths.cert), key: readFileSync(paths.key) })

/** Resolves a TLS block's paths with the config file's `at` (common/config.ts relativeTo). */
export function resolveTls(tls: TlsPaths | undefined, at: (path: string) => string): TlsPaths | undefined {
  if (!tls) return undefined
  return { cert: at(tls.cert), key: at(tls.key), ...(tls.ca ? { ca: at(tls.ca) } : {}) }
}

/** The TLS files a config names that cannot be read or are not PEM, as config problems naming the key (`http.tls.key: …`). */
export function tlsFileProblems(key: string, tls: TlsPaths | undefined): string[] {
  if (!tls) return []
  const problems: string[] = []
  for (const [name, path] of Object.entries(tls)) {
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch (err) {
      problems.push(`${key}.${name}: expected a readable PEM file, cannot read "${path}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message} (make the site's certificates with: motcua-edge make-certs)`)
      continue
    }
    if (!text.includes('-----BEGIN ')) problems.push(`${key}.${name}: expected a PEM file ("-----BEGIN …"), "${path}" is not one`)
  }
  return problems
}

/** Pure: a host only this machine reaches: 127.0.0.0/8, ::1 or localhost (a URL's "[::1]" too). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, '$1').toLowerCase()
  if (h === 'localhost' || h === '::1') return true
  return isIP(h) === 4 && h.startsWith('127.')
}

/** Pure: why a hub URL may not be used, or null. Plain http would carry the edge's token and every rating in clear. */
export function hubUrlProblem(url: string): string | null {
  const u = new URL(url)
  if (u.protocol === 'https:' || isLoopbackHost(u.hostname)) return null
  return 'expected an https:// URL: over http:// the edge token and every rating cross the network in clear (http:// only to a loopback host: 127.0.0.0/8, ::1, localhost)'
}

export interface PlainListener {
  listener: 'http' | 'mqtt' | 'websocket'
  host: string
  port: number
  /** What a listener on the network carries in clear. */
  inClear: string
  /** The config key that turns TLS on. */
  fix: string
}

const CARRIES: Record<PlainListener['listener'], string> = {
  http: 'supervisor passwords and session cookies, live camera video, and the kiosk page (open to tampering)',
  mqtt: 'device passwords, ratings and officer PINs',
  websocket: 'kiosk device passwords, ratings and officer PINs',
}

/** Pure: the listeners that serve the network without TLS (not bound to loopback), for the warning at start. */
export function plainListeners(c: {
  http: { host: string; tls?: TlsPaths | undefined }
  broker: { host: string; tls?: TlsPaths | undefined }
}, ports: { http: number; mqtt: number; ws: number }): PlainListener[] {
  const out: PlainListener[] = []
  const add = (listener: PlainListener['listener'], host: string, port: number, fix: string) =>
    out.push({ listener, host, port, inClear: CARRIES[listener], fix })
  if (!c.http.tls && !isLoopbackHost(c.http.host)) add('http', c.http.host, ports.http, 'http.tls')
  if (!c.broker.tls && !isLoopbackHost(c.broker.host)) {
    add('mqtt', c.broker.host, ports.mqtt, 'broker.tls')
    add('websocket', c.broker.host, ports.ws, 'broker.tls')
  }
  return out
}
