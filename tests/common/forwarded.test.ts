/** Who the client is behind a proxy (common/web/forwarded.ts): headers believed only from the configured proxies. */
import type { IncomingMessage } from 'node:http'
import { describe, expect, it } from 'vitest'
import { forwardedOf, isProxyEntry, proxyList } from '../../common/web/forwarded.js'

const req = (peer: string, headers: Record<string, string | string[]> = {}, tls = false) =>
  ({ socket: { remoteAddress: peer, ...(tls ? { encrypted: true } : {}) }, headers }) as unknown as IncomingMessage
const proxies = proxyList(['10.0.0.5', '10.1.0.0/16', 'fd00::/8'])

describe('forwardedOf', () => {
  it('takes the client and scheme from a listed proxy, in an IPv4-mapped socket address or a range', () => {
    expect(forwardedOf(req('10.0.0.5', { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' }), proxies))
      .toEqual({ client: '203.0.113.9', https: true, forwarded: true })
    expect(forwardedOf(req('::ffff:10.1.2.3', { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'http' }), proxies))
      .toEqual({ client: '203.0.113.9', https: false, forwarded: true })
    expect(forwardedOf(req('fd00::7', { 'x-forwarded-for': '2001:db8::1' }), proxies)).toMatchObject({ client: '2001:db8::1', forwarded: true })
  })

  it('reads the list from the right, past the proxies, so what a client wrote to the left is not believed', () => {
    const r = req('10.0.0.5', { 'x-forwarded-for': ['198.51.100.7, 203.0.113.9', '10.1.0.8'] })
    expect(forwardedOf(r, proxies).client).toBe('203.0.113.9')
    // Something not an address ends the walk: the last proxy's word stands.
    expect(forwardedOf(req('10.0.0.5', { 'x-forwarded-for': 'evil, 10.1.0.8' }), proxies).client).toBe('10.1.0.8')
  })

  it('believes nothing from a peer that is not a listed proxy, or when no proxy is configured', () => {
    const forged = { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' }
    expect(forwardedOf(req('192.0.2.4', forged), proxies)).toEqual({ client: '192.0.2.4', https: false, forwarded: false })
    expect(forwardedOf(req('10.0.0.5', forged), null)).toEqual({ client: '10.0.0.5', https: false, forwarded: false })
    expect(forwardedOf(req('192.0.2.4', forged, true), proxies).https).toBe(true)
  })

  it('a proxy request without the headers is the proxy itself', () => {
    expect(forwardedOf(req('10.0.0.5', {}, true), proxies)).toEqual({ client: '10.0.0.5', https: true, forwarded: false })
  })
})

describe('proxy list entries', () => {
  it('takes addresses and CIDR ranges and refuses the rest', () => {
    expect(['10.0.0.5', '10.0.0.0/24', '::1', 'fd00::/8'].every(isProxyEntry)).toBe(true)
    expect(['proxy.local', '10.0.0.0/33', '10.0.0.0/x', '', '::1/129'].some(isProxyEntry)).toBe(false)
  })
})
