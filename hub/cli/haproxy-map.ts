/**
 * `motcua-hub haproxy-map`: the map HAProxy routes edge tunnels by
 * (deploy/haproxy/haproxy.cfg, docs/haproxy.md). An edge's tunnel carries no
 * site HAProxy can read, only its Bearer token; HAProxy hashes the token
 * with SHA-256 and looks the site up here, so the tunnel lands on the
 * instance its site's viewers are sent to. The config's token hashes are
 * that digest already: nothing secret is in the map.
 */
import type { HubConfig } from '../config/schema.js'

/** Pure: one "<sha256 hex> <site>" line per edge, in the config's order. */
export function haproxyEdgeMap(edges: HubConfig['edges']): string {
  return edges.map((e) => `${e.tokenHash.slice('sha256:'.length)} ${e.site}\n`).join('')
}
