/**
 * The client behind a reverse proxy (issue 14). `X-Forwarded-For` and
 * `X-Forwarded-Proto` are believed only when the socket's peer is one of the
 * configured proxies (hub config `trustedProxies`): from anyone else they
 * would let a client choose the address that sign-in throttling counts and
 * the audit log records. The hub's server resolves each request once
 * (`trustForwarded`); code that needs the client or the scheme asks
 * `clientAddress` / `isHttps`, which read the socket for a request nobody
 * resolved (the edge trusts no proxy).
 */
import type { IncomingMessage } from 'node:http'
import { BlockList, isIP } from 'node:net'

export interface Forwarded {
  /** The client's address: the socket's peer, or the first hop left of the trusted proxies. */
  client: string
  /** The client spoke TLS: to this server, or to the proxy that said so. */
  https: boolean
  /** The client and scheme came from a trusted proxy's headers. */
  forwarded: boolean
}

/** Pure: '10.0.0.5', '10.0.0.0/24', '::1', 'fd00::/8' → a list to check peers against; throws on anything else. */
export function proxyList(entries: readonly string[]): BlockList {
  const list = new BlockList()
  for (const e of entries) {
    const [addr = '', bits] = e.split('/')
    const family = isIP(addr)
    if (!family) throw new Error(`"${e}" is not an IP address or CIDR range`)
    const type = family === 4 ? 'ipv4' : 'ipv6'
    if (bits === undefined) list.addAddress(addr, type)
    else {
      const prefix = Number(bits)
      if (!/^\d+$/.test(bits) || prefix > (family === 4 ? 32 : 128)) throw new Error(`"${e}" has no valid prefix length`)
      list.addSubnet(addr, prefix, type)
    }
  }
  return list
}

/** Pure: the entry is one proxyList takes (the config's check). */
export function isProxyEntry(e: string): boolean {
  try {
    proxyList([e])
    return true
  } catch {
    return false
  }
}

/** An IPv4 peer of a dual-stack socket comes as ::ffff:a.b.c.d; the proxies are listed as a.b.c.d. */
const plain = (addr: string) => (/^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(addr) ? addr.slice(7) : addr)

function listed(proxies: BlockList, addr: string): boolean {
  const family = isIP(addr)
  return family !== 0 && proxies.check(addr, family === 4 ? 'ipv4' : 'ipv6')
}

/** Every comma-separated value of a header that may come more than once, in order. */
function values(header: string | string[] | undefined): string[] {
  return ([] as string[]).concat(header ?? []).flatMap((h) => h.split(',')).map((v) => v.trim()).filter(Boolean)
}

/**
 * Pure (reads the request only): each proxy appends the address it got the
 * request from, so the list is read from the right, past our own proxies;
 * the first other address is the client. Anything not an address ends the
 * walk where it is: what is left of it was written by the client.
 */
export function forwardedOf(req: IncomingMessage, proxies: BlockList | null): Forwarded {
  const peer = plain(req.socket.remoteAddress ?? '')
  const direct: Forwarded = { client: peer || '?', https: 'encrypted' in req.socket, forwarded: false }
  if (!proxies || !listed(proxies, peer)) return direct
  const hops = values(req.headers['x-forwarded-for']).map(plain)
  const proto = values(req.headers['x-forwarded-proto']).at(-1)?.toLowerCase()
  if (hops.length === 0 && proto === undefined) return direct
  let client = peer
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!
    if (!isIP(hop)) break
    client = hop
    if (!listed(proxies, hop)) break
  }
  return { client, https: proto === undefined ? direct.https : proto === 'https', forwarded: true }
}

const resolved = new WeakMap<IncomingMessage, Forwarded>()

/** Called by the server on each request and upgrade, before any handler reads the client. */
export function trustForwarded(req: IncomingMessage, proxies: BlockList | null): Forwarded {
  const f = forwardedOf(req, proxies)
  resolved.set(req, f)
  return f
}

const of = (req: IncomingMessage): Forwarded => resolved.get(req) ?? forwardedOf(req, null)

/** The client's address, for throttling, logs and the audit log. */
export const clientAddress = (req: IncomingMessage): string => of(req).client
/** The client reached us over TLS: cookies get Secure, responses HSTS. */
export const isHttps = (req: IncomingMessage): boolean => of(req).https
/** The request came through a trusted proxy, so it is not from this machine whatever the socket says. */
export const viaProxy = (req: IncomingMessage): boolean => of(req).forwarded
