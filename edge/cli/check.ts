/**
 * `motcua-edge check`: the config through the edge's own loader (same errors,
 * same exit 78), then what it describes, without a secret.
 */
import { loadEdgeConfig } from '../config/load.js'
import type { EdgeConfig } from '../config/schema.js'
import { plainListeners } from '../config/tls.js'
import { plural, publicUrl, size } from './format.js'
import type { CliIo } from '../../common/cli/io.js'

export function runCheck(file: string, io: CliIo): number {
  for (const line of describeConfig(file, loadEdgeConfig(file))) io.out(line)
  return 0
}

const count = (xs: readonly string[]) => {
  const n = new Map<string, number>()
  for (const x of xs) n.set(x, (n.get(x) ?? 0) + 1)
  return [...n].map(([k, v]) => `${v} ${k}`).join(', ')
}

/** Pure: the summary lines for a loaded config. */
export function describeConfig(file: string, c: Readonly<EdgeConfig>): string[] {
  const served = new Set(c.devices.filter((d) => d.kind !== 'queue').map((d) => d.counter))
  const bare = c.counters.filter((k) => !served.has(k.id)).map((k) => k.id)
  const token = c.hub.tokenFile ? `token from ${c.hub.tokenFile}` : 'token in the config'
  const b = c.broker
  const lines = [
    `${file}: valid`,
    `site      ${c.site.id} (${c.site.name})`,
    `counters  ${c.counters.length}: ${c.counters.map((k) => k.id).join(', ')}`,
    `officers  ${c.officers.length}, ${c.officers.filter((o) => o.pinHash).length} with a PIN`,
    `devices   ${c.devices.length}${c.devices.length ? `: ${count(c.devices.map((d) => d.kind))}` : ''}`,
    `cameras   ${c.cameras.length ? `${c.cameras.length}: ${c.cameras.map((cam) => cam.id + (cam.counter ? ` (${cam.counter})` : '')).join(', ')}` : 'none'}`,
    `hub       ${publicUrl(c.hub.url)} (${token}${c.hub.ca ? `, CA ${c.hub.ca}` : ''})`,
    `listens   mqtt ${b.host}:${b.mqttPort}${b.tls ? ' (TLS)' : ''}, websocket ${b.host}:${b.wsPort}${b.tls ? ' (TLS)' : ''}, http ${c.http.host}:${c.http.port}${c.http.tls ? ' (TLS)' : ''}`,
    `outbox    ${c.outbox.dir} (budget ${size(c.outbox.maxBytes)})`,
  ]
  if (bare.length) lines.push(`note      ${plural(bare.length, 'counter')} without a kiosk or button box: ${bare.join(', ')}`)
  // The edge warns about the same listeners at every start (edge/main.ts).
  for (const p of plainListeners(c, { http: c.http.port, mqtt: b.mqttPort, ws: b.wsPort }))
    lines.push(`note      ${p.listener} on ${p.host}:${p.port} has no TLS: ${p.inClear} cross the network in clear (set ${p.fix}: motcua-edge make-certs)`)
  if (b.allowAnonymous) lines.push('note      broker.allowAnonymous is on: any client on the network may connect')
  return lines
}
