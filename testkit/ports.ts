import { createServer } from 'node:net'

/**
 * A loopback port that was free a moment ago. For programs that cannot listen
 * on port 0 themselves (influxd, victoria-metrics); there is a small window in
 * which another process may take it, so callers retry on "address in use".
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.unref()
    srv.once('error', reject)
    srv.listen(0, host, () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => (port ? resolve(port) : reject(new Error('no port assigned'))))
    })
  })
}
