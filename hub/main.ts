/**
 * The hub program's one wiring file: config → writer → rollup → alerts → API,
 * relay and console → HTTP server; the same shape as edge/main.ts (common/run-main.ts).
 * Run: `tsx hub/main.ts <config.yaml>` (or MOTCUA_HUB_CONFIG). Stateless, so
 * any number of instances can run behind a load balancer on one database.
 * Tests and scripts/start-site.ts call startHub() in-process instead.
 */
import type { Server as HubServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createLogger, stripCredentials, type Logger } from '../common/log.js'
import { createParts, isMain, runMain } from '../common/run-main.js'
import { createAlertStore } from './alerts-store/store.js'
import { createAlertDelivery } from './alert-delivery/delivery.js'
import { createAlertDeliveryLog } from './alert-delivery/log.js'
import { alertThresholds } from './config/alerts.js'
import { createApi } from './api/router.js'
import { loadHubConfig } from './config/load.js'
import type { HubConfig } from './config/schema.js'
import { createAuditLog } from './audit/audit.js'
import { buildConsoleScript } from './console/bundle.js'
import { createConsole } from './console/routes.js'
import { createSessionCodec } from './console/session.js'
import { createPeerCameras } from './console/peer-cameras.js'
import { createSignOuts } from './users/sign-outs.js'
import { addPastAnswerMetrics, createHubMetrics } from './http/metrics.js'
import { createHubServer, type Mount, type UpgradeHandler } from './http/server.js'
import type { PointWriter } from './influx/writer.js'
import { createWriter } from './rollup/writer.js'
import { createPastAnswers } from './queries/past-answers.js'
import { createEdgeAuth } from './ingest/auth.js'
import { createInfluxQuery } from './queries/client.js'
import { createDirectory } from './queries/directory.js'
import { createSiteNames, learningWriter } from './queries/names.js'
import { addRelayMetrics } from './relay/metrics.js'
import { createRelay, type Relay } from './relay/relay.js'
import { createTunnelServer, type TunnelServer } from './relay/tunnels.js'
import { createEdgeRequests } from './relay/requests.js'
import { createLiveApi } from './api/live.js'
import { clientAddress } from '../common/web/forwarded.js'
import { afterBackfill, createRollup, type Rollup } from './rollup/worker.js'
import { createAccounts, sessionSecretOf } from './users/accounts.js'
import { retentionGuard } from './retention/guard.js'
import { createSweeper } from './retention/sweeper.js'
import { createDelivery } from './delivery/delivery.js'
import { createDeliveryLog } from './delivery/log.js'
import { createPdfPrinter } from './reports/pdf.js'
import { createReports } from './reports/service.js'
import { createPublic } from './public/routes.js'

export interface HubOptions {
  log?: Logger
  now?: () => number
  /** Replaces the configured database writer (benchmarks, fault tests). */
  writer?: PointWriter
  /** How long the database may take to accept one batch before the edge gets a 503 (default 30 s). */
  writeTimeoutMs?: number
  /** How long stop() lets in-flight requests finish before cutting connections. */
  stopGraceMs?: number
  /** KPI API event streams: the ratings poll interval (tests shorten it); their alerts come from the background evaluation. */
  streamPollMs?: number
  /** Edge tunnel ping interval (default 10 s); tests shorten it. */
  tunnelHeartbeatMs?: number
  /** Background alert evaluation interval (default 30 s). */
  alertEveryMs?: number
  /** Pause between KPI rollup rounds (default 1 s). */
  rollupIntervalMs?: number
  /** Keep answers about past days (default true); the KPI benchmark turns it off to time reading them afresh. */
  keepPastAnswers?: boolean
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

export async function startHub(config: Readonly<HubConfig>, opts: HubOptions = {}): Promise<RunningHub> {
  const log = opts.log ?? createLogger('hub')
  const now = opts.now ?? Date.now
  // Each step registers how to undo itself, so a failure half-way (port in use) leaves no timer or socket behind.
  const parts = createParts(log)
  try {
    const metrics = createHubMetrics()
    // One query client and one site directory for the rollup, the alerts, the API and the console.
    const db = createInfluxQuery(config.influx)
    // Names of departments, counters and officers from the edges' directory records (issue 15): read once here,
    // learnt from this instance's writes, re-read every minute for other instances' (hub/queries/names.ts).
    const names = createSiteNames({ db: createInfluxQuery(config.influx, { timeoutMs: 5000 }), now, log: log.child({ module: 'names' }) })
    await names.load().catch((err: unknown) => log.warn({ err }, 'site directories not read at start; ids are shown until they are'))
    const dir = createDirectory(config, names)
    const marking = opts.writer ? null : createWriter(config.influx, { log: log.child({ module: 'influx' }), timeoutMs: opts.writeTimeoutMs })
    // Points past their retention are not written, and a daily sweep deletes what expired (docs/retention.md).
    const writer = learningWriter(retentionGuard(opts.writer ?? marking!, config.retention, log.child({ module: 'retention' }), now), names)
    parts.started(() => writer.close())
    if (config.retention.sweep && config.influx.version === 1) {
      // A DELETE over a month of a province's metrics takes longer than a KPI question may.
      const sweeper = createSweeper({ db: createInfluxQuery(config.influx, { timeoutMs: 600_000 }), config: config.retention, log: log.child({ module: 'retention' }), now })
      sweeper.start()
      parts.started(() => sweeper.stop())
    }
    // The daily KPI rollup follows this hub's writes and picks up any other instance's stale days.
    let rollup: Rollup | null = null
    if (marking) {
      const started = createRollup({ db, writer: marking.rollup, dir, log: log.child({ module: 'rollup' }), intervalMs: opts.rollupIntervalMs })
      marking.onChanged((changes) => started.changed(changes))
      started.start()
      parts.started(() => started.stop())
      rollup = started
    }
    // KPIs are answered once the raw days written before the rollup existed are marked, never as if those were empty.
    const kpiDb = rollup ? afterBackfill(db, rollup) : db
    // One alert store for the IOC API and the console, evaluated in the background so alerts are raised while nobody looks.
    const alerts = createAlertStore({ db, writer, dir, thresholds: alertThresholds(config.alerts.thresholds), cases: config.cases })
    alerts.start(opts.alertEveryMs ?? 30_000, now, log.child({ module: 'alerts' }))
    parts.started(() => alerts.stop())
    // Alerts to people by email and webhook (docs/alerts.md), after each background evaluation; one instance sends.
    const alertDeliveryLog = createAlertDeliveryLog({ writer, db })
    if (config.alerts.delivery.send) {
      const alertDelivery = createAlertDelivery({ config: config.alerts.delivery, mail: config.reports.mail, dir, log: alertDeliveryLog, logger: log, now })
      const unlisten = alerts.onEvaluated((list) => void alertDelivery.tick(list))
      parts.started(() => (unlisten(), alertDelivery.stop()))
    }

    // Registered before the parts it serves, so it is undone after them: upgraded sockets and event streams are not
    // the server's to end, and server.close() would wait for them.
    let server: HubServer | null = null
    parts.started(async () => {
      if (!server?.listening) return
      const s = server
      const closed = new Promise<void>((resolve) => s.close(() => resolve()))
      s.closeIdleConnections()
      const grace = setTimeout(() => s.closeAllConnections(), opts.stopGraceMs ?? 5000)
      await closed
      clearTimeout(grace)
    })
    // One audit log per instance (one hash chain): the API's raw exports and the console's viewings and exports.
    const audit = createAuditLog({ writer, query: kpiDb, log, now })
    // Answers about past days, for the IOC API and the console. Only with this hub's own writer: a replacement
    // writes no marks, so nothing would move the rollup's epoch.
    const past = marking && opts.keepPastAnswers !== false ? createPastAnswers({ rollupDays: config.retention.days.rollup }) : undefined
    if (past) addPastAnswerMetrics(metrics.registry, () => past.stats())
    const api = createApi({ config, db: kpiDb, writer, dir, log: log.child({ module: 'api' }), now, streamPollMs: opts.streamPollMs, alerts, audit, past })
    parts.started(() => api.close())
    // Report files for the console and the scheduled email; PDFs by a Chromium process per report (hub/reports/pdf.ts).
    const reports = createReports({
      db: kpiDb, dir, log, atOnce: config.reports.atOnce, waiting: config.reports.waiting,
      printer: createPdfPrinter({ chromium: config.reports.chromium, timeoutMs: config.reports.pdfTimeoutS * 1000 }),
    })
    const deliveryLog = createDeliveryLog({ writer, db })
    const delivery = createDelivery({ config: config.reports, reports, dir, log: deliveryLog, logger: log, now })
    if (config.reports.deliver) {
      delivery.start()
      parts.started(() => delivery.stop())
    }
    // Camera relay: edges dial in (they sit behind NAT), viewers attach through the console.
    const relay = createRelay({ log })
    parts.started(() => relay.close())
    // Requests to the edges over the same tunnels: recorded video and snapshots (docs/recordings.md).
    const requests = createEdgeRequests({ link: (site) => tunnels.link(site), log })
    parts.started(() => requests.close())
    const tunnels = createTunnelServer({ siteOf: createEdgeAuth(config.edges), events: relay.events, requests: requests.sink, log, heartbeatMs: opts.tunnelHeartbeatMs, now })
    parts.started(() => tunnels.close())
    addRelayMetrics(metrics.registry, relay, tunnels)
    // The KPI API for the IOC (hub/api) owns /api/.
    const mounts: Mount[] = [api]
    // Published results (seed 002 §9): open to anyone, one read per scope a minute however many look (hub/public).
    mounts.push(createPublic({ db: kpiDb, dir, now, log }))
    const upgrades: UpgradeHandler[] = [tunnels.upgrade]
    // Live video for another video system (the Home Affairs monitoring system), ahead of the API's own /api/ routes.
    mounts.unshift(createLiveApi({ config, relay, audit, directory: dir, log, client: clientAddress }))
    const secret = sessionSecretOf(config)
    if (secret) {
      const accounts = createAccounts(config.users, now)
      // Behind HAProxy each instance relays its share of the sites; the camera list asks the others (docs/haproxy.md).
      const peerCameras = createPeerCameras({ local: () => relay.cameras(), peers: config.peers, secret, log: log.child({ module: 'console' }) })
      mounts.push(peerCameras.mount)
      const consoleApp = createConsole({
        accounts,
        sessions: createSessionCodec(secret, { ttlS: config.sessionTtlS, idleS: config.sessionIdleS }, accounts, now,
          createSignOuts({ writer, db, now, lookBackS: config.sessionTtlS, log: log.child({ module: 'console' }) })),
        relay,
        audit,
        db: kpiDb,
        alerts,
        directory: dir,
        script: await buildConsoleScript(),
        log,
        now,
        reports,
        deliveries: { log: deliveryLog, state: () => delivery.state() },
        cases: { writer, config: config.cases },
        alertDeliveries: { log: alertDeliveryLog, recipients: config.alerts.delivery.recipients },
        cameras: () => peerCameras.cameras(),
        requests,
        past,
      })
      parts.started(() => consoleApp.close())
      mounts.push(consoleApp.mount)
      upgrades.push(consoleApp.upgrade)
    }
    server = createHubServer({ config, writer, metrics, log: log.child({ module: 'http' }), now, mounts, upgrades })
    const listening = server
    await new Promise<void>((resolve, reject) => {
      listening.once('error', reject)
      listening.listen(config.http.port, config.http.host, () => {
        listening.off('error', reject)
        resolve()
      })
    })
    const { port } = listening.address() as AddressInfo
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
        stopping ??= parts.stop().then(() => log.info({}, 'hub stopped'))
        return stopping
      },
    }
  } catch (err) {
    await parts.stop()
    throw err
  }
}

if (isMain(import.meta.url)) {
  runMain({
    name: 'hub',
    configEnv: 'MOTCUA_HUB_CONFIG',
    configCode: 'HUB_CONFIG_INVALID',
    load: loadHubConfig,
    start: (config, log) => startHub(config, { log }),
  })
}
