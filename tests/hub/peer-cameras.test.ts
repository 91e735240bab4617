/** The camera wall's list from every instance (hub/console/peer-cameras.ts) and HAProxy's edge map (hub/cli/haproxy-map.ts). */
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { hashSecret } from '../../common/secrets.js'
import { haproxyEdgeMap } from '../../hub/cli/haproxy-map.js'
import { mergeCameras } from '../../hub/console/peer-cameras.js'
import type { RelayCamera } from '../../hub/relay/relay.js'

const cam = (site: string, id: string, edgeConnected: boolean, viewers = 0): RelayCamera => ({ site, id, name: id, counter: null, edgeConnected, viewers })

describe('mergeCameras', () => {
  it('lists each camera once, the instance holding its tunnel winning over one that held it before', () => {
    const local = [cam('a', 'c1', false), cam('b', 'c1', true, 2)]
    const peers = [[cam('a', 'c1', true, 1)], [cam('a', 'c1', false), cam('c', 'c9', true)]]
    expect(mergeCameras(local, peers)).toEqual([cam('a', 'c1', true, 1), cam('b', 'c1', true, 2), cam('c', 'c9', true)])
  })
})

describe('haproxyEdgeMap', () => {
  it('maps the SHA-256 of each edge token, as HAProxy computes it from the Bearer header, to its site', () => {
    const token = 'edge-token-of-center-1'
    const map = haproxyEdgeMap([{ site: 'center-1', tokenHash: hashSecret(token) }, { site: 'center-2', tokenHash: hashSecret('other') }])
    expect(map.split('\n')[0]).toBe(`${createHash('sha256').update(token).digest('hex')} center-1`)
    expect(map.trimEnd().split('\n')).toHaveLength(2)
  })
})
