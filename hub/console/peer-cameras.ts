/**
 * The camera wall's list from every hub instance (issue 14, docs/haproxy.md).
 * Behind HAProxy each site's edge tunnel sits on the instance its site hashes
 * to, so one instance's relay knows only its share of the cameras; the list a
 * person gets must not depend on which instance answered. Each instance
 * serves its linked cameras on PEER_CAMERAS_PATH to the others, with a token
 * derived from the session secret they share, and asks its configured
 * `peers` when the console lists cameras, each within a second. A peer that
 * does not answer holds no tunnels worth showing: its edges are moving to a
 * live instance, and the next poll finds them there.
 */
import { createHmac } from 'node:crypto'
import { hasBearer } from '../../common/web/access.js'
import { NO_STORE, sendError, sendJson } from '../../common/web/answer.js'
import type { Logger } from '../../common/log.js'
import type { Mount } from '../http/server.js'
import type { RelayCamera } from '../relay/relay.js'

export const PEER_CAMERAS_PATH = '/v1/peer/cameras'

/** Pure: the token instances present to each other; nobody without the session secret can make it. */
export const peerToken = (secret: string) => createHmac('sha256', secret).update('motcua peer cameras').digest('hex')

const keyOf = (c: RelayCamera) => `${c.site}/${c.id}`

/** Pure: one entry per camera, this instance's first; a camera whose edge is linked somewhere wins over a stale entry. */
export function mergeCameras(local: readonly RelayCamera[], peers: readonly (readonly RelayCamera[])[]): RelayCamera[] {
  const byKey = new Map<string, RelayCamera>()
  for (const c of [local, ...peers].flat()) {
    const had = byKey.get(keyOf(c))
    if (!had || (!had.edgeConnected && c.edgeConnected)) byKey.set(keyOf(c), c)
  }
  return [...byKey.values()]
}

export interface PeerCameras {
  /** Serves this instance's linked cameras to the other instances. */
  mount: Mount
  /** Every instance's cameras (at most `cacheMs` old, so many walls polling ask each peer once). */
  cameras(): Promise<RelayCamera[]>
}

export function createPeerCameras(o: {
  local(): RelayCamera[]
  /** The other instances' base URLs, as they reach each other (the proxy's server lines). */
  peers: readonly string[]
  secret: string
  log: Logger
  timeoutMs?: number
  cacheMs?: number
}): PeerCameras {
  const token = peerToken(o.secret)
  const timeoutMs = o.timeoutMs ?? 1000
  const cacheMs = o.cacheMs ?? 1000
  let cached: { at: number; list: Promise<RelayCamera[][]> } | null = null

  async function ask(peer: string): Promise<RelayCamera[]> {
    try {
      const res = await fetch(new URL(PEER_CAMERAS_PATH, peer), { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(timeoutMs) })
      if (!res.ok) throw new Error(`answered ${res.status}`)
      return ((await res.json()) as { cameras: RelayCamera[] }).cameras
    } catch (err) {
      o.log.debug({ peer, err: (err as Error).message }, 'peer instance did not list its cameras')
      return []
    }
  }

  return {
    mount: {
      prefix: PEER_CAMERAS_PATH,
      handle(req, res, url) {
        if (req.method !== 'GET' || url.pathname !== PEER_CAMERAS_PATH || !hasBearer(req, token)) return sendError(res, 'HUB_NOT_FOUND', undefined, NO_STORE)
        sendJson(res, 200, { cameras: o.local().filter((c) => c.edgeConnected) }, NO_STORE)
      },
    },
    async cameras() {
      if (!cached || Date.now() - cached.at > cacheMs) cached = { at: Date.now(), list: Promise.all(o.peers.map(ask)) }
      return mergeCameras(o.local(), await cached.list)
    },
  }
}
