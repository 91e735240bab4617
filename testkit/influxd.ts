/**
 * Starts Debian's influxd 1.6 on free loopback ports with its files in a temp
 * dir. Used by tests, the start script and benchmarks (no vitest imports).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './ports.js'
import { httpStatus, killChild, spawnChild, waitReady, type Child } from './spawned.js'
import { waitFor } from './wait.js'

export const INFLUXD_BIN = '/usr/bin/influxd'

export interface Influxd {
  url: string
  port: number
  /** The RPC bind address (`host:port`) that `influxd backup` and `influxd restore -host` speak to. */
  rpc: string
  dir: string
  /** PID of the running influxd (benchmarks read its CPU time), or undefined while stopped. */
  pid(): number | undefined
  /** SIGSTOP, resolving once the kernel reports the process stopped: connections hang instead of being refused. */
  pause(): Promise<void>
  resume(): void
  /** Stops the process but keeps its data and ports; `start()` brings it back. */
  kill(): Promise<void>
  start(): Promise<void>
  /** Stops the process and removes its files. */
  stop(): Promise<void>
}

function configText(dir: string, httpPort: number, rpcPort: number, auth: boolean): string {
  return `reporting-enabled = false
bind-address = "127.0.0.1:${rpcPort}"
[meta]
  dir = "${join(dir, 'meta')}"
  logging-enabled = false
[data]
  dir = "${join(dir, 'data')}"
  wal-dir = "${join(dir, 'wal')}"
  query-log-enabled = false
  trace-logging-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:${httpPort}"
  auth-enabled = ${auth}
  log-enabled = false
  pprof-enabled = false
[monitor]
  store-enabled = false
[subscriber]
  enabled = false
[continuous_queries]
  enabled = false
[logging]
  level = "warn"
  suppress-logo = true
`
}

/** One-letter state from /proc/<pid>/stat ("T" = stopped), or "" once the process is gone. */
function processState(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
  } catch {
    return ''
  }
}

export interface InfluxdOptions {
  dataDir?: string
  startTimeoutMs?: number
  /** Turns on authentication with this admin user, created at first start. */
  admin?: { username: string; password: string }
}

export async function startInfluxd(opts: InfluxdOptions = {}): Promise<Influxd> {
  const dir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'motcua-influxd-'))
  const ownsDir = opts.dataDir === undefined
  const timeoutMs = opts.startTimeoutMs ?? 30_000
  let child: Child | null = null
  let httpPort = 0
  let rpcPort = 0

  const launch = async () => {
    const conf = join(dir, 'influxdb.conf')
    // Ports are picked before influxd binds them; another process may win the race, so retry.
    for (let attempt = 1; ; attempt++) {
      if (!httpPort || attempt > 1) {
        httpPort = await freePort()
        rpcPort = await freePort()
        writeFileSync(conf, configText(dir, httpPort, rpcPort, opts.admin !== undefined))
      }
      const c = spawnChild(INFLUXD_BIN, ['-config', conf])
      try {
        await waitReady(c, async () => (await httpStatus(`http://127.0.0.1:${httpPort}/ping`)) === 204, timeoutMs, 'influxd')
        child = c
        return
      } catch (err) {
        await killChild(c)
        if (attempt >= 3) throw err
      }
    }
  }
  try {
    await launch()
  } catch (err) {
    if (ownsDir) rmSync(dir, { recursive: true, force: true })
    throw err
  }
  const port = httpPort
  if (opts.admin) {
    // With auth on and no users yet, influxd accepts exactly this statement unauthenticated.
    const { username, password } = opts.admin
    const q = `CREATE USER "${username}" WITH PASSWORD '${password.replace(/'/g, "\\'")}' WITH ALL PRIVILEGES`
    const res = await fetch(`http://127.0.0.1:${port}/query`, { method: 'POST', body: new URLSearchParams({ q }) })
    const text = await res.text()
    if (!res.ok || text.includes('"error"')) {
      if (child) await killChild(child)
      if (ownsDir) rmSync(dir, { recursive: true, force: true })
      throw new Error(`influxd admin user not created: ${res.status} ${text}`)
    }
  }
  const restartOnSamePort = async () => {
    const conf = join(dir, 'influxdb.conf')
    const c = spawnChild(INFLUXD_BIN, ['-config', conf])
    await waitReady(c, async () => (await httpStatus(`http://127.0.0.1:${port}/ping`)) === 204, timeoutMs, 'influxd')
    child = c
  }

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    rpc: `127.0.0.1:${rpcPort}`,
    dir,
    pid: () => child?.proc.pid,
    async pause() {
      const pid = child?.proc.pid
      if (!child || pid === undefined) throw new Error('influxd is not running')
      child.proc.kill('SIGSTOP')
      await waitFor(`influxd ${pid} to stop`, () => processState(pid) === 'T', { everyMs: 10 })
    },
    resume: () => child?.proc.kill('SIGCONT'),
    async kill() {
      if (child) await killChild(child)
      child = null
    },
    async start() {
      if (!child) await restartOnSamePort()
    },
    async stop() {
      if (child) await killChild(child)
      child = null
      if (ownsDir) rmSync(dir, { recursive: true, force: true })
    },
  }
}
