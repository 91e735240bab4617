import { createServer } from 'node:net'
import { readFileSync } from 'node:fs'

/**
 * A loopback port that was free a moment ago, for programs that are handed a
 * port instead of listening on 0 (influxd, victoria-metrics, an edge whose
 * devices must find it at the same address after a restart).
 *
 * It is drawn below the kernel's ephemeral range: a port from that range can
 * be taken in the gap before the program binds it by any outgoing connection
 * on the machine (seen: EADDRINUSE in a full suite run), while a port below
 * it is only ever taken by another listener. Candidates are tried in a
 * random order so that parallel test files rarely meet.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const [ephemeralLow] = ephemeralRange()
  const low = 20_000
  const high = Math.max(low + 1000, ephemeralLow - 1)
  for (let i = 0; i < 50; i++) {
    const port = low + Math.floor(Math.random() * (high - low))
    if (await canListen(port, host)) return port
  }
  // Every candidate busy: let the kernel pick, as before.
  return canListen(0, host) as Promise<number>
}

function ephemeralRange(): [number, number] {
  try {
    const [a, b] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number)
    if (a && b) return [a, b]
  } catch {
    // not Linux: the usual default
  }
  return [32768, 60999]
}

/** Listens on `port` (0: any) and closes again; resolves with the port, or 0 when it is taken. */
function canListen(port: number, host: string): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer()
    srv.unref()
    srv.once('error', () => resolve(0))
    srv.listen(port, host, () => {
      const addr = srv.address()
      const got = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => resolve(got))
    })
  })
}
