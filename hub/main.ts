/**
 * The hub program's one wiring file: config → writer → metrics → HTTP server.
 * Run: `tsx hub/main.ts <config.yaml>` (or MOTCUA_HUB_CONFIG). Stateless, so
 * any number of instances can run behind a load balancer on one database.
 */
import type { AddressInfo } from 'node:net'
import { pathToFileURL } from 'node:url'
import { ConfigError, loadConfigFile } from '../common/config.js'
import { createLogger, stripCredentials, type Logger } from '../common/log.js'
import { hubConfigSchema, type HubConfig } from './config/schema.js'
import { createHubMetrics } from './http/metrics.js'
import { createHubServer } from './http/server.js'
import { createWriter, type PointWriter } from './influx/writer.js'

export interface HubOptions {
  log?: Logger
  now?: () => number
  /** Replaces the configured database writer (benchmarks, fault tests). */
  writer?: PointWriter
  /** How long the database may take to accept one batch before the edge gets a 503 (default 30 s). */
  writeTimeoutMs?: number
  /** How long stop() lets in-flight requests finish before cutting connections. */
  stopGraceMs?: number
}

export interface RunningHub {
  port: number
  url: string
  stop(): Promise<void>
}

export async function startHub(config: HubConfig, opts: HubOptions = {}): Promise<RunningHub> {
  const log = opts.log ?? createLogger('hub')
  const writer =
    opts.writer ?? createWriter(config.influx, { log: log.child({ module: 'influx' }), timeoutMs: opts.writeTimeoutMs })
  const metrics = createHubMetrics()
  const server = createHubServer({ config, writer, metrics, log: log.child({ module: 'http' }), now: opts.now ?? Date.now })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(config.http.port, config.http.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  const host = config.http.host === '0.0.0.0' || config.http.host === '::' ? '127.0.0.1' : config.http.host
  const url = `${config.http.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`
  log.info({ url, influx: stripCredentials(config.influx.url), version: config.influx.version }, 'hub listening')

  let stopping: Promise<void> | null = null
  return {
    port,
    url,
    stop() {
      stopping ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()))
        server.closeIdleConnections()
        const grace = setTimeout(() => server.closeAllConnections(), opts.stopGraceMs ?? 5000)
        await closed
        clearTimeout(grace)
        await writer.close()
        log.info({}, 'hub stopped')
      })()
      return stopping
    },
  }
}

async function main(): Promise<void> {
  const file = process.argv[2] ?? process.env.MOTCUA_HUB_CONFIG
  const log = createLogger('hub')
  if (!file) {
    log.fatal({ code: 'HUB_CONFIG_INVALID' }, 'usage: tsx hub/main.ts <config.yaml> (or set MOTCUA_HUB_CONFIG)')
    process.exit(2)
  }
  let config: HubConfig
  try {
    config = loadConfigFile(file, hubConfigSchema)
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    log.fatal({ code: 'HUB_CONFIG_INVALID', problems: err.problems, file }, 'hub configuration is invalid')
    process.exit(2)
  }
  const hub = await startHub(config, { log })
  const shutdown = (signal: string) => {
    log.info({ signal }, 'stopping')
    hub.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'stop failed')
        process.exit(1)
      },
    )
  }
  process.once('SIGINT', shutdown)
  process.once('SIGTERM', shutdown)
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    console.error(err)
    process.exit(1)
  })
}
