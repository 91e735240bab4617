/**
 * A loopback TCP proxy whose newest connection can be made to stop carrying
 * bytes while both sockets stay open, like a NAT mapping that expired: what
 * only a heartbeat notices. The tunnel test and the tunnel benchmark use it.
 */
import net, { type AddressInfo } from 'node:net'

export interface BlackholeProxy {
  /** http://127.0.0.1:PORT of the proxy. */
  url: string
  /** Stops the newest connection carrying bytes, sockets left open; returns a function that closes them. */
  blackholeLatest(): () => void
  /** While false, new connections are refused (closed at once). */
  accepting: boolean
  close(): Promise<void>
}

export async function startBlackholeProxy(targetPort: number): Promise<BlackholeProxy> {
  const links: { client: net.Socket; upstream: net.Socket }[] = []
  const proxy: BlackholeProxy = {
    url: '',
    accepting: true,
    blackholeLatest() {
      const link = links.at(-1)
      if (!link) throw new Error('no connection through the proxy yet')
      link.client.unpipe()
      link.upstream.unpipe()
      return () => {
        link.client.destroy()
        link.upstream.destroy()
      }
    },
    async close() {
      for (const l of links) {
        l.client.destroy()
        l.upstream.destroy()
      }
      await new Promise((r) => server.close(r))
    },
  }
  const server = net.createServer((client) => {
    if (!proxy.accepting) return void client.destroy()
    const upstream = net.connect(targetPort, '127.0.0.1')
    client.pipe(upstream).pipe(client)
    client.on('error', () => upstream.destroy())
    upstream.on('error', () => client.destroy())
    links.push({ client, upstream })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return proxy
}
