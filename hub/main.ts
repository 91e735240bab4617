/**
 * The hub program's one wiring file: config → writer → metrics → HTTP server.
 * Run: `tsx hub/main.ts <config.yaml>` (or MOTCUA_HUB_CONFIG). Stateless, so
 * any number of instances can run behind a load balancer on one database.
 */
import type { AddressInfo } from 'node:net'
import { pathToFileURL } from 'node:url'
import { ConfigError, loadConfigFile } from '../common/config.js'
import { createLogger, stripCredentials, type Logger } from '../common/log.js'
import { createAlertStore } from './alerts-store/store.js'
import { createApi } from './api/router.js'
import { hubConfigSchema, type HubConfig } from './config/schema.js'
import { createAuditLog } from './audit/audit.js'
import { buildConsoleScript } from './console/bundle.js'
import { createConsole, type Console } from './console/routes.js'
import { createSessionCodec } from './console/session.js'
import { createHubMetrics } from './http/metrics.js'
import { createHubServer, type Mount, type UpgradeHandler } from './http/server.js'
import { createWriter, type PointWriter } from './influx/writer.js'
import { createEdgeAuth } from './ingest/auth.js'
import { createInfluxQuery } from './queries/client.js'
import { createDirectory } from './queries/directory.js'
import { addRelayMetrics } from './relay/metrics.js'
import { createRelay, type Relay } from './relay/relay.js'
import { createTunnelServer, type TunnelServer } from './relay/tunnels.js'
import { afterBackfill, createRollup, type Rollup } from './rollup/worker.js'
import { createAccounts, sessionSecretOf } from './users/accounts.js'

export interface HubOptions {
  log?: Logger
  now?: () => number
  /** Replaces the configured database writer (benchmarks, fault tests). */
  writer?: PointWriter
  /** How long the database may take to accept one batch before the edge gets a 503 (default 30 s). */
  writeTimeoutMs?: number
  /** How long stop() lets in-flight requests finish before cutting connections. */
  stopGraceMs?: number
  /** KPI API event streams: poll and alert intervals (tests shorten them). */
  streamPollMs?: number
  streamAlertMs?: number
  /** Edge tunnel ping interval (default 10 s); tests shorten it. */
  tunnelHeartbeatMs?: number
  /** Background alert evaluation interval (default 30 s). */
  alertEveryMs?: number
  /** Pause between KPI rollup rounds (default 1 s). */
  rollupIntervalMs?: number
}

export interface RunningHub {
  port: number
  url: string
  relay: Relay
  tunnels: TunnelServer
  /** Null when a replacement writer was given (it writes no rollup marks). */
  rollup: Rollup | null
  stop(): Promise<void>
}

export async function startHub(config: HubConfig, opts: HubOptions = {}): Promise<RunningHub> {
  const log = opts.log ?? createLogger('hub')
  const marking = opts.writer ? null : createWriter(config.influx, { log: log.child({ module: 'influx' }), timeoutMs: opts.writeTimeoutMs })
  const writer = opts.writer ?? marking!
  const metrics = createHubMetrics()
  const now = opts.now ?? Date.now
  // The daily KPI rollup follows this hub's writes and picks up any other instance's stale days.
  const rollup = marking
    ? createRollup({ db: createInfluxQuery(config.influx), writer: marking.rollup, dir: createDirectory(config), log: log.child({ module: 'rollup' }), intervalMs: opts.rollupIntervalMs })
    : null
  if (rollup && marking) {
    marking.onChanged((changes) => rollup.changed(changes))
    rollup.start()
  }
  // KPIs are answered once the raw days written before the rollup existed are marked, never as if those were empty.
  const kpiQuery = () => (rollup ? afterBackfill(createInfluxQuery(config.influx), rollup) : createInfluxQuery(config.influx))
  // One alert store for the IOC API and the console, evaluated in the background so alerts are raised while nobody looks.
  const alerts = createAlertStore({ db: createInfluxQuery(config.influx), writer, dir: createDirectory(config) })
  alerts.start(opts.alertEveryMs ?? 30_000, now, log.child({ module: 'alerts' }))
  const api = createApi({ config, db: kpiQuery(), writer, log: log.child({ module: 'api' }), now, streamPollMs: opts.streamPollMs, streamAlertMs: opts.streamAlertMs, alerts })
  // Camera relay: edges dial in (they sit behind NAT), viewers attach through the console.
  const relay = createRelay({ log })
  const tunnels = createTunnelServer({ siteOf: createEdgeAuth(config.edges), events: relay.events, log, heartbeatMs: opts.tunnelHeartbeatMs, now })
  addRelayMetrics(metrics.registry, relay, tunnels)
  // The KPI API for the IOC (hub/api) owns /api/.
  const mounts: Mount[] = [api]
  const upgrades: UpgradeHandler[] = [tunnels.upgrade]
  let consoleApp: Console | null = null
  const secret = sessionSecretOf(config)
  if (secret) {
    const db = kpiQuery()
    const accounts = createAccounts(config.users, now)
    consoleApp = createConsole({
      accounts,
      sessions: createSessionCodec(secret, { ttlS: config.sessionTtlS, idleS: config.sessionIdleS }, accounts, now),
      relay,
      audit: createAuditLog({ writer, query: db, log, now }),
      db,
      alerts,
      directory: createDirectory(config),
      script: await buildConsoleScript(),
      log,
      now,
    })
    mounts.push(consoleApp.mount)
    upgrades.push(consoleApp.upgrade)
  }
  const server = createHubServer({ config, writer, metrics, log: log.child({ module: 'http' }), now, mounts, upgrades })
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
    relay,
    tunnels,
    rollup,
    stop() {
      stopping ??= (async () => {
        // Upgraded sockets are no longer the HTTP server's connections: close them ourselves.
        consoleApp?.close()
        tunnels.close()
        await relay.close()
        const closed = new Promise<void>((resolve) => server.close(() => resolve()))
        api.close()
        alerts.stop()
        server.closeIdleConnections()
        const grace = setTimeout(() => server.closeAllConnections(), opts.stopGraceMs ?? 5000)
        await closed
        clearTimeout(grace)
        await rollup?.stop()
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
