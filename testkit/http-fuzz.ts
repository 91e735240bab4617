/**
 * A fuzz of one HTTP surface over raw sockets (issue 11): random methods,
 * paths (the surface's own, mutated with percent-escapes, overlong segments,
 * traversal), headers (Upgrade, Content-Length lies, chunked nonsense, huge
 * cookies, many headers), bodies, and slow or aborted connections. Every
 * request must be answered or closed by the server within `answerWithinMs`;
 * one left hanging is reported with the request that made it. Reproducible
 * from its seed. Traffic goes only to the loopback target given.
 */
import net from 'node:net'
import tls from 'node:tls'
import { seededRandom, type Random } from '../common/random.js'

export interface FuzzTarget {
  host: '127.0.0.1' | '::1'
  port: number
  /** CA of an HTTPS surface (the hub); plain HTTP when absent. */
  ca?: string
  /** The surface's own paths, to mutate: a fuzz of unknown paths only would never reach a handler. */
  paths: readonly string[]
}

export interface FuzzOptions {
  requests: number
  seed: number
  concurrency?: number
  /** How long the server has to answer or close each request (bounded by its own header and request timeouts). */
  answerWithinMs?: number
}

export type FuzzOutcome = 'answered' | 'closed' | 'aborted' | 'hung'

export interface FuzzResult {
  seed: number
  requests: number
  outcomes: Record<FuzzOutcome, number>
  /** Answers by status class (1xx … 5xx). */
  statuses: Record<string, number>
  /** Up to ten requests that got a 5xx answer or hung, as sent (first 300 characters). */
  samples: { outcome: FuzzOutcome; status: number | null; request: string }[]
  elapsedMs: number
}

interface Case {
  head: string
  body: Buffer
  pacing: 'whole' | 'slow' | 'abort'
}

/** Paths of the edge's surface (kiosk, supervisor page and its API, live socket, health). */
export const EDGE_PATHS = [
  '/', '/healthz', '/metrics', '/kiosk/', '/kiosk/?device=kiosk-q01', '/kiosk/kiosk.js', '/kiosk/kiosk.css',
  '/supervisor/', '/supervisor/?lang=en', '/supervisor/login', '/supervisor/logout', '/supervisor/app.js',
  '/supervisor/api/cameras', '/supervisor/api/cameras/cam-1/snapshot', '/supervisor/snapshots/cam-1-1.jpg', '/supervisor/live/cam-1',
  '/queue/v1/tickets',
]
/** Paths of the hub's surface (ingest, IOC API, console and its API, live socket, reports, health). */
export const HUB_PATHS = [
  '/', '/healthz', '/metrics', '/v1/batches', '/v1/clock', '/api/v1/kpis?level=province', '/api/v1/ratings?site=ct-center',
  '/api/v1/stream', '/api/v1/alerts', '/api/v1/openapi.yaml', '/console/', '/console/login', '/console/logout', '/console/app.js',
  '/console/api/me', '/console/api/cameras', '/console/api/audit', '/console/api/alerts', '/console/api/alerts/x/ack',
  '/console/export/kpis.csv?level=province', '/console/live/ct-center/cam-1', '/reports/monthly?site=ct-center&month=2026-11',
  '/console/api/kpis?level=province&period=quarter', '/console/reports/report.xlsx?level=province', '/console/api/cases',
  '/console/api/recordings/ct-center/snapshots', '/console/recordings/ct-center/cameras/cam-1/clip.mp4?from=1&to=2',
  '/public/', '/public/lobby/ct-center', '/public/?lang=en', '/api/v1/cases', '/api/v1/alerts/deliveries', '/api/v1/live',
  '/api/v1/live/ct-center/cam-1', '/api/v1/duty?site=ct-center',
]

const METHODS = ['GET', 'GET', 'GET', 'POST', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'CONNECT', 'BREW', 'get', '']
const ESCAPES = ['%E0', '%', '%zz', '%00', '%2e%2e%2f', '%C0%AF', '%FF%FE', '%25', '%0d%0a', '%u0041', '%F0%9F%98%80', '%ED%A0%80']
const TRAVERSAL = ['../../../../etc/passwd', '..%2f..%2f..%2fetc%2fpasswd', '....//....//', '%2e%2e/%2e%2e/', '.\\..\\..\\windows', '//', '/./././', ';/..;/']

const pick = <T>(r: Random, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!
const int = (r: Random, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1))

function mutatePath(r: Random, paths: readonly string[]): string {
  let p = pick(r, paths)
  const roll = r()
  if (roll < 0.15) return p
  if (roll < 0.35) {
    const at = int(r, 0, p.length)
    p = p.slice(0, at) + pick(r, ESCAPES) + p.slice(at)
  } else if (roll < 0.45) p += '/' + pick(r, TRAVERSAL)
  else if (roll < 0.52) p += '/' + 'a'.repeat(int(r, 1000, 20_000))
  else if (roll < 0.6) p += `?${'x'.repeat(int(r, 1, 9))}=${pick(r, ESCAPES)}&from=0&to=99999999999999&limit=-1&id='"<script>`
  else if (roll < 0.68) p = pick(r, ['*', '', 'http://127.0.0.1/', 'http://[', '//evil.example/x', '/\u00e9\u4e2d', '/%', '?', '#frag'])
  else if (roll < 0.76) p = p.replace(/[a-z]/g, (c) => (r() < 0.3 ? `%${c.charCodeAt(0).toString(16)}` : c))
  else if (roll < 0.84) p += pick(r, ['/', '//', '/.', '/..', '.json', '.map', '~', ' HTTP/1.1'])
  else p = pick(r, paths) + pick(r, paths)
  return p
}

function randomBody(r: Random): Buffer {
  const roll = r()
  if (roll < 0.3) return Buffer.alloc(0)
  if (roll < 0.5) return Buffer.from(JSON.stringify({ v: pick(r, [1, 2, -1, 'x', null]), site: pick(r, ['ct-center', '../x', '', 'a'.repeat(300)]), records: pick(r, [[], [{}], [null], 'x', Array.from({ length: int(r, 1, 50) }, () => ({ kind: 'rating' }))]) }))
  if (roll < 0.65) return Buffer.from(`username=${pick(r, ['giamsat', 'admin', '%E0', 'a'.repeat(5000)])}&password=${pick(r, ['x', '', '%', 'b'.repeat(5000)])}&lang=${pick(r, ['vi', 'en', 'xx'])}`)
  if (roll < 0.8) return Buffer.from(pick(r, ['{', '{"comment":', '[[[[[[[[[[', 'null', '"', '{"__proto__":{"x":1}}', '\u0000\u0001\u0002']))
  const b = Buffer.alloc(int(r, 1, 64 * 1024))
  for (let i = 0; i < b.length; i++) b[i] = Math.floor(r() * 256)
  return b
}

function makeCase(r: Random, t: FuzzTarget): Case {
  const method = pick(r, METHODS)
  const path = mutatePath(r, t.paths)
  let body = randomBody(r)
  const headers: string[] = [`Host: ${r() < 0.9 ? `127.0.0.1:${t.port}` : pick(r, ['', 'evil.example', 'a'.repeat(3000)])}`]
  if (r() < 0.7) headers.push('Connection: close')
  if (r() < 0.15) headers.push('Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', ...(r() < 0.7 ? ['Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=='] : []), ...(r() < 0.5 ? [`Origin: ${pick(r, ['http://evil.example', `http://127.0.0.1:${t.port}`, `https://127.0.0.1:${t.port}`])}`] : []))
  if (r() < 0.1) headers.push(`Cookie: ${pick(r, ['motcua_sup', 'motcua_console', 'x'])}=${'c'.repeat(int(r, 10, 16_000))}`)
  if (r() < 0.1) headers.push(`Cookie: motcua_console=${pick(r, ['', '.', 'a.b', '%E0', 'eyJ.eyJ.x'])}`)
  if (r() < 0.05) for (let i = 0; i < int(r, 50, 150); i++) headers.push(`X-F${i}: ${'v'.repeat(int(r, 1, 100))}`)
  if (r() < 0.2) headers.push(`Content-Type: ${pick(r, ['application/json', 'application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x', ''])}`)
  if (r() < 0.1) headers.push(`Authorization: ${pick(r, ['Bearer x', 'Bearer ' + 'k'.repeat(5000), 'Basic %%%', 'Token', ''])}`)
  if (r() < 0.1) headers.push(`Accept-Encoding: ${pick(r, ['gzip', 'br, gzip;q=0', '*', 'x'.repeat(2000)])}`, `If-None-Match: ${pick(r, ['"x"', '*', 'W/"1"'])}`)
  const lengthRoll = r()
  if (lengthRoll < 0.08) headers.push(`Content-Length: ${body.length + int(r, 1, 5000)}`) // claims more than it sends
  else if (lengthRoll < 0.12) headers.push(`Content-Length: ${pick(r, ['-1', 'abc', '1e3', '99999999999999999999', ' 5', '0, 5'])}`)
  else if (lengthRoll < 0.2) {
    headers.push('Transfer-Encoding: chunked')
    body = Buffer.from(pick(r, [`${body.length.toString(16)}\r\n${body.toString('latin1')}\r\n0\r\n\r\n`, 'zz\r\nxx\r\n', '5\r\nab', 'ffffffffffff\r\n']), 'latin1')
  } else if (lengthRoll < 0.24) headers.push(`Content-Length: ${body.length}`, 'Transfer-Encoding: chunked')
  else if (body.length > 0) headers.push(`Content-Length: ${r() < 0.9 ? body.length : Math.max(0, body.length - int(r, 1, 10))}`)
  const version = r() < 0.95 ? 'HTTP/1.1' : pick(r, ['HTTP/1.0', 'HTTP/2.0', 'HTTP/9', ''])
  const head = `${method} ${path} ${version}\r\n${headers.join('\r\n')}\r\n\r\n`
  const pace = r()
  return { head, body, pacing: pace < 0.05 ? 'slow' : pace < 0.1 ? 'abort' : 'whole' }
}

function runCase(t: FuzzTarget, c: Case, answerWithinMs: number): Promise<{ outcome: FuzzOutcome; status: number | null }> {
  return new Promise((resolve) => {
    const socket: net.Socket = t.ca
      ? tls.connect({ host: t.host, port: t.port, ca: t.ca, servername: 'localhost' })
      : net.connect({ host: t.host, port: t.port })
    let got = ''
    let settled = false
    const timers: NodeJS.Timeout[] = []
    const done = (outcome: FuzzOutcome, status: number | null) => {
      if (settled) return
      settled = true
      for (const x of timers) clearTimeout(x)
      socket.destroy()
      resolve({ outcome, status })
    }
    timers.push(setTimeout(() => done('hung', null), answerWithinMs))
    socket.on('data', (d: Buffer) => {
      got += d.toString('latin1')
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(got)
      if (m) done('answered', Number(m[1]))
    })
    socket.on('error', () => done('closed', null))
    socket.on('close', () => done('closed', null))
    socket.once(t.ca ? 'secureConnect' : 'connect', () => {
      const whole = Buffer.concat([Buffer.from(c.head, 'latin1'), c.body])
      if (c.pacing === 'whole') {
        socket.write(whole)
        return
      }
      // Slow: a few bytes at a time; abort: part of the request, then gone.
      const cut = c.pacing === 'abort' ? Math.floor(whole.length / 2) : whole.length
      let at = 0
      const step = () => {
        if (settled) return
        if (at >= cut) {
          if (c.pacing === 'abort') done('aborted', null)
          return
        }
        socket.write(whole.subarray(at, Math.min(cut, at + 7)))
        at += 7
        timers.push(setTimeout(step, c.pacing === 'slow' ? 30 : 1))
      }
      step()
    })
  })
}

/** One request as written (head and body), sent whole: how the server answered, or that it closed or hung. */
export function sendRaw(t: Omit<FuzzTarget, 'paths'>, head: string, body = '', answerWithinMs = 30_000): Promise<{ outcome: FuzzOutcome; status: number | null }> {
  return runCase({ ...t, paths: [] }, { head, body: Buffer.from(body, 'latin1'), pacing: 'whole' }, answerWithinMs)
}

export async function fuzzHttp(t: FuzzTarget, o: FuzzOptions): Promise<FuzzResult> {
  const r = seededRandom(o.seed)
  const concurrency = o.concurrency ?? 16
  const answerWithinMs = o.answerWithinMs ?? 30_000
  const outcomes: Record<FuzzOutcome, number> = { answered: 0, closed: 0, aborted: 0, hung: 0 }
  const statuses: Record<string, number> = {}
  const samples: FuzzResult['samples'] = []
  const started = Date.now()
  let next = 0
  const lane = async () => {
    while (next < o.requests) {
      next++
      const c = makeCase(r, t)
      const { outcome, status } = await runCase(t, c, answerWithinMs)
      outcomes[outcome]++
      if (status !== null) statuses[`${Math.floor(status / 100)}xx`] = (statuses[`${Math.floor(status / 100)}xx`] ?? 0) + 1
      if ((outcome === 'hung' || (status !== null && status >= 500)) && samples.length < 10) samples.push({ outcome, status, request: c.head.slice(0, 300) })
    }
  }
  await Promise.all(Array.from({ length: concurrency }, lane))
  return { seed: o.seed, requests: o.requests, outcomes, statuses, samples, elapsedMs: Date.now() - started }
}

/** Open descriptors and resident memory of a process (Linux /proc), for before/after comparisons. */
export async function processFootprint(pid: number): Promise<{ fds: number; rssMb: number }> {
  const { readdir, readFile } = await import('node:fs/promises')
  const fds = (await readdir(`/proc/${pid}/fd`)).length
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1])
  return { fds, rssMb: Math.round(rssKb / 1024) }
}
