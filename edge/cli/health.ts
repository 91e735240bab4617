/**
 * `motcua-edge health` and `motcua-edge outbox`: what the running edge says on
 * its /healthz. The outbox depth comes from there too: the running edge holds
 * the LevelDB's lock, and a second process must not open it anyway.
 */
import { get as httpGet } from 'node:http'
import { get as httpsGet } from 'node:https'
import { z } from 'zod'
import { age, plural, size } from './format.js'
import { CliError, EXIT } from '../../common/cli/exit.js'

/**
 * The parts of the edge's /healthz this command shows (edge/http/health-routes.ts).
 * Not strict: an edge newer than this command may answer with more.
 */
const healthBody = z.object({
  status: z.enum(['ok', 'degraded']),
  reasons: z.array(z.object({ code: z.string(), message: z.string() })),
  site: z.string(),
  uptimeS: z.number(),
  connectedDevices: z.number(),
  outbox: z.object({
    depth: z.number(),
    bytes: z.number(),
    oldestAgeS: z.number(),
    shed: z.number(),
    deadLetters: z.number(),
    refusing: z.string().nullable(),
  }),
  forwarder: z
    .object({
      running: z.boolean(),
      lastSuccessAt: z.number().nullable(),
      lastErrorCode: z.string().nullable(),
      lastErrorAt: z.number().nullable(),
      consecutiveFailures: z.number(),
      nextAttemptAt: z.number().nullable(),
      delivered: z.number(),
      deadLettered: z.number(),
    })
    .nullable(),
  cameras: z.array(z.object({ id: z.string(), state: z.string(), detail: z.string() })).nullish(),
})
export type HealthBody = z.infer<typeof healthBody>

/** Where the edge on this box answers: a wildcard listen address is reached on loopback; https when the edge has TLS. */
export function healthUrl(http: { host: string; port: number; tls?: unknown }): string {
  if (http.port === 0) throw new CliError(EXIT.CONFIG, 'http.port is 0 in the config (any free port): the edge cannot be found; set a fixed port')
  const host = http.host === '0.0.0.0' || http.host === '' ? '127.0.0.1' : http.host === '::' ? '::1' : http.host
  return `${http.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${http.port}/healthz`
}

/** node:http(s) rather than fetch: an edge with TLS is checked against the site's CA (`ca`), which fetch cannot be given. */
function getText(url: string, ca: Buffer | undefined, signal: AbortSignal): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const get = url.startsWith('https:') ? httpsGet : httpGet
    const req = get(url, { signal, ...(ca ? { ca } : {}) }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (text += c))
      res.once('end', () => resolve({ status: res.statusCode ?? 0, text }))
      res.once('error', reject)
    })
    req.once('error', reject)
  })
}

/** `ca`: the site's CA (http.tls.ca) for an edge with TLS; without it the system's trusted CAs. */
export async function fetchHealth(url: string, timeoutMs: number, ca?: Buffer): Promise<HealthBody> {
  const signal = AbortSignal.timeout(timeoutMs)
  let res: { status: number; text: string }
  try {
    res = await getText(url, ca, signal)
  } catch (err) {
    const why = signal.aborted ? `no answer within ${timeoutMs / 1000} s` : ((err as NodeJS.ErrnoException).code ?? (err as Error).message)
    throw new CliError(EXIT.UNAVAILABLE, `the edge does not answer at ${url} (${why}); is it running?`)
  }
  const text = res.text
  // 503 is a degraded edge, with its reasons in the body.
  if (res.status !== 200 && res.status !== 503) throw new CliError(EXIT.UNAVAILABLE, `${url} answered HTTP ${res.status}, not an edge's /healthz`)
  let parsed: ReturnType<typeof healthBody.safeParse>
  try {
    parsed = healthBody.safeParse(JSON.parse(text))
  } catch {
    throw new CliError(EXIT.UNAVAILABLE, `${url} answered something other than JSON; is another program on that port?`)
  }
  if (!parsed.success) throw new CliError(EXIT.UNAVAILABLE, `${url} answered JSON that is not an edge's /healthz (${parsed.error.issues[0]?.path.join('.')})`)
  return parsed.data
}

export function formatOutbox(o: HealthBody['outbox']): string[] {
  const oldest = o.depth > 0 ? `, the oldest for ${age(o.oldestAgeS)}` : ''
  const lines = [`outbox     ${plural(o.depth, 'record')} waiting (${size(o.bytes)})${oldest}; ${o.shed} shed, ${plural(o.deadLetters, 'dead letter')}`]
  if (o.refusing) lines.push(`           refusing new records: ${o.refusing}`)
  return lines
}

function formatForwarder(f: HealthBody['forwarder'], now: number): string {
  if (f === null) return 'forwarder  off (this edge does not send to the hub)'
  if (!f.running) return 'forwarder  stopped'
  const last = f.lastSuccessAt === null ? 'nothing delivered since start' : `last delivery ${age((now - f.lastSuccessAt) / 1000)} ago`
  if (f.consecutiveFailures === 0) return `forwarder  running, ${last}, ${f.delivered} records delivered`
  const next = f.nextAttemptAt === null ? '' : `, next try in ${age((f.nextAttemptAt - now) / 1000)}`
  return `forwarder  retrying: ${plural(f.consecutiveFailures, 'failure')} in a row (${f.lastErrorCode ?? 'unknown'})${next}; ${last}`
}

/** Pure: the lines `health` prints; `now` is the wall clock, for the forwarder's ages. */
export function formatHealth(h: HealthBody, now: number): string[] {
  const lines = [`edge ${h.site}: ${h.status === 'ok' ? 'ok' : 'DEGRADED'}`]
  for (const r of h.reasons) lines.push(`  ${r.code}: ${r.message}`)
  lines.push(`up         ${age(h.uptimeS)}, ${plural(h.connectedDevices, 'device')} connected`)
  lines.push(...formatOutbox(h.outbox), formatForwarder(h.forwarder, now))
  if (h.cameras && h.cameras.length > 0) {
    const online = h.cameras.filter((c) => c.state === 'online').length
    lines.push(`cameras    ${online} of ${h.cameras.length} online`)
    for (const c of h.cameras) lines.push(`  ${c.id}: ${c.state}${c.state === 'online' ? '' : ` (${c.detail})`}`)
  }
  return lines
}
