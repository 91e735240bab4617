/**
 * Edge tokens. The hub stores only their hashes (common/secrets.ts hashSecret);
 * a presented token is hashed once and compared with every edge's hash in
 * constant time, so neither timing nor an early exit tells a caller how close
 * a guess was.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { HubConfig } from '../config/schema.js'

/** Returns a function from an Authorization header to the site its token belongs to, or null. */
export function createEdgeAuth(edges: HubConfig['edges']): (authorization: string | undefined) => string | null {
  const known = edges.map((e) => ({ site: e.site, hash: Buffer.from(e.tokenHash.slice('sha256:'.length), 'hex') }))
  return (authorization) => {
    const m = /^Bearer ([^\s]{1,512})$/.exec(authorization ?? '')
    if (!m?.[1]) return null
    const presented = createHash('sha256').update(m[1], 'utf8').digest()
    let site: string | null = null
    for (const e of known) {
      if (timingSafeEqual(presented, e.hash)) site = e.site
    }
    return site
  }
}
