import type { IncomingMessage } from 'node:http'
import { describe, expect, it } from 'vitest'
import { hasBearer, isLocalClient, mayReadHealthDetail, mayReadMetrics } from '../../common/web/access.js'

// Tests reach servers on loopback only, so a client on the network is a request whose socket says so.
const from = (remoteAddress: string, authorization?: string, localAddress = '10.0.0.5') =>
  ({ socket: { remoteAddress, localAddress }, headers: authorization ? { authorization } : {} }) as unknown as IncomingMessage
const TOKEN = 'metrics-token-0123456789'

describe('operator endpoints access (issue 11, finding 10)', () => {
  it('takes loopback (v4, v6, v4-mapped) and a client that dialled this host\'s own address as local, nothing else', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1', '10.0.0.5']) expect(isLocalClient(from(a)), a).toBe(true)
    for (const a of ['10.0.0.7', '::ffff:10.0.0.7', '192.168.1.20', 'fe80::1', '']) expect(isLocalClient(from(a)), a).toBe(false)
  })

  it('checks the bearer token exactly', () => {
    expect(hasBearer(from('10.0.0.7', `Bearer ${TOKEN}`), TOKEN)).toBe(true)
    for (const h of [undefined, TOKEN, `Bearer ${TOKEN}x`, `bearer ${TOKEN}`, `Basic ${TOKEN}`, 'Bearer ']) expect(hasBearer(from('10.0.0.7', h), TOKEN), String(h)).toBe(false)
  })

  it('/metrics: the token alone when one is configured (a local proxy would make everyone local), else only this machine', () => {
    expect(mayReadMetrics(from('127.0.0.1'), undefined)).toBe(true)
    expect(mayReadMetrics(from('10.0.0.7'), undefined)).toBe(false)
    expect(mayReadMetrics(from('10.0.0.7', `Bearer ${TOKEN}`), undefined)).toBe(false)
    expect(mayReadMetrics(from('127.0.0.1'), TOKEN)).toBe(false)
    expect(mayReadMetrics(from('10.0.0.7', `Bearer ${TOKEN}`), TOKEN)).toBe(true)
  })

  it('detailed /healthz: this machine, or the token', () => {
    expect(mayReadHealthDetail(from('127.0.0.1'), TOKEN)).toBe(true)
    expect(mayReadHealthDetail(from('10.0.0.7'), TOKEN)).toBe(false)
    expect(mayReadHealthDetail(from('10.0.0.7', `Bearer ${TOKEN}`), TOKEN)).toBe(true)
    expect(mayReadHealthDetail(from('10.0.0.7'), undefined)).toBe(false)
  })
})
