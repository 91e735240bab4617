/**
 * The edge program: the one place that builds and wires every part.
 *   tsx edge/main.ts <config.yaml>      (or MOTCUA_EDGE_CONFIG=<config.yaml>)
 * Tests and scripts/start-site.ts call startEdge() in-process instead.
 */
import { buildKioskAssets } from './kiosk/build.js'
import { createKioskHandler } from './kiosk/handler.js'
import { createLogger, type Logger } from '../common/log.js'
import { createParts, EXIT, isMain, runMain } from '../common/run-main.js'
import { startBroker, type EdgeBroker } from './broker/broker.js'
import { startCameraFeatures, type CameraFeatures } from './cameras/start.js'
import { addCameraMetrics } from './cameras/metrics.js'
import { addLiveMetrics } from './live/metrics.js'
import { officerSignIn } from './broker/officer.js'
import { createSystemClock, type SystemClock } from './clock/system-clock.js'
import type { Clock } from './clock/types.js'
import { loadEdgeConfig } from './config/load.js'
import type { EdgeConfig } from './config/schema.js'
import { plainListeners, readTlsFiles } from './config/tls.js'
import { createForwarder, type Forwarder } from './forwarder/forwarder.js'
import { createHubClient, type HubClient } from './forwarder/hub-client.js'
import { createEdgeMetrics } from './health/metrics.js'
import { DEFAULT_THRESHOLDS } from './health/status.js'
import { startHealthSampler } from './health/sampler.js'
import { readCpuTempC } from './health/system.js'
import { addHealthRoutes } from './http/health-routes.js'
import { createEdgeHttp, type EdgeHttp } from './http/server.js'
import { directoryMarkerFile, startDirectory } from './ingest/directory.js'
import { DutyRoster, journalDuty } from './ingest/duty.js'
import { scheduleEndOfDay, type EndOfDayTimers } from './ingest/end-of-day.js'
import { MisuseFilter } from './misuse/filter.js'
import { addMisuseMetrics } from './misuse/metrics.js'
import { buildSiteIndex } from './ingest/site.js'
import { addTicketRoute } from './ingest/ticket-http.js'
import { diskGauge } from './outbox/disk.js'
import { openOutbox } from './outbox/leveldb-outbox.js'
import { createTunnel, type EdgeTunnel } from './tunnel/client.js'
import { addRecordingMetrics } from './recording/metrics.js'
import { startRecording, type Recording } from './recording/service.js'
import { createDispatch } from './tunnel/requests.js'
import type { ForwardableOutbox, Outbox } from './outbox/types.js'

export interface StartEdgeOptions {
  log?: Logger
  /** Test seams: an outbox double and a clock. The forwarder runs only with a forwardable outbox and the system clock (it learns time from the hub). */
  outbox?: Outbox | ForwardableOutbox
  clock?: Clock
  /** Default true; false runs the edge without draining to the hub. */
  forward?: boolean
  /** End-of-day sign-out timers; default the real ones (unref'd). */
  timers?: EndOfDayTimers
  /** Camera tunnel heartbeat (default 10 s); tests shorten it. */
  tunnelHeartbeatMs?: number
}

export interface RunningEdge {
  ports: { mqtt: number; ws: number; http: number }
  broker: EdgeBroker
  duty: DutyRoster
  http: EdgeHttp
  forwarder: Forwarder | null
  misuse: MisuseFilter
  /** Camera health, live view and supervisor page; null when the site has no cameras and no supervisors. */
  cameras: CameraFeatures | null
  /** Outbound camera tunnel to the hub (remote live view); null without cameras or without forwarding. */
  tunnel: EdgeTunnel | null
  /** Video on the edge's disk (edge/recording); null when no camera records. */
  recording: Recording | null
  stop(): Promise<void>
}

const isForwardable = (o: Outbox): o is ForwardableOutbox => typeof (o as ForwardableOutbox).peek === 'function'

export async function startEdge(config: Readonly<EdgeConfig>, opts: StartEdgeOptions = {}): Promise<RunningEdge> {
  const log = opts.log ?? createLogger('edge')
  const startedAt = Date.now()
  const systemClock: SystemClock | null = opts.clock ? null : createSystemClock({ log })
  const clock: Clock = opts.clock ?? (systemClock as SystemClock)
  systemClock?.start()

  // Each step registers how to undo itself, so a failure half-way (port in use) leaves nothing running.
  const parts = createParts(log)
  if (systemClock) parts.started(() => systemClock.stop())

  try {
    const outbox =
      opts.outbox ??
      (await openOutbox({ ...config.outbox, log, now: () => clock.now() }))
    parts.started(() => outbox.close())

    const site = buildSiteIndex(config)
    const duty = new DutyRoster(site)
    // Before the broker listens (issue 15): the restart record precedes this run's sign-ins, and a changed
    // directory of names goes to the hub once (again each month, edge/ingest/directory.ts).
    await journalDuty({ duty, outbox, clock, log })
    parts.started(await startDirectory({ config, outbox, clock, markerFile: opts.outbox ? null : directoryMarkerFile(config.outbox.dir), log }))
    const misuse = new MisuseFilter(config.misuse)
    // Built before the broker listens, so a kiosk never finds the page missing while devices already connect.
    const kioskAssets = await buildKioskAssets()
    // Started after the cameras below; a dissatisfied rating stored before then keeps no clip (there is no video yet).
    let recording: Recording | null = null
    const broker = await startBroker({
      site, duty, outbox, clock, log, misuse, onOfficer: officerSignIn(site, duty, { now: () => clock.now() }), onStored: (record) => recording?.onRecord(record),
    })
    parts.started(() => broker.stop())
    parts.started(
      scheduleEndOfDay(site, duty, opts.timers ?? {
        now: () => clock.now(),
        setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
        clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
      }, (err) => log.error({ err }, 'end-of-day sign-out not stored; the counter keeps its officer')),
    )

    let forwarder: Forwarder | null = null
    let hub: HubClient | null = null
    if (opts.forward !== false && isForwardable(outbox) && systemClock) {
      hub = createHubClient({ url: config.hub.url, token: config.hub.token ?? '', caFile: config.hub.ca, timeoutMs: config.hub.requestTimeoutMs })
      forwarder = createForwarder({
        outbox,
        clock: systemClock,
        hub,
        site: config.site.id,
        batchSize: config.hub.batchSize,
        inFlightBatches: config.hub.inFlightBatches,
        backoffMinMs: config.hub.backoffMinMs,
        backoffMaxMs: config.hub.backoffMaxMs,
        log,
      })
      const running = forwarder
      const client = hub
      parts.started(async () => {
        await running.stop()
        client.close()
      })
      forwarder.start()
    }

    const disk = diskGauge(config.outbox.dir, { now: () => clock.now() })
    const sampler = startHealthSampler({
      intervalS: config.healthIntervalS,
      log,
      sources: {
        outbox,
        brokerStats: broker.stats,
        connectedClients: () => broker.connectedClients(),
        clock,
        uptimeS: () => process.uptime(),
        diskFreeBytes: () => disk.freeBytes(),
        cpuTempC: () => readCpuTempC(),
        rssBytes: () => process.memoryUsage.rss(),
      },
    })
    parts.started(() => sampler.stop())

    const metrics = createEdgeMetrics({
      broker: broker.stats,
      connectedClients: () => broker.connectedClients(),
      outbox: () => outbox.stats(),
      forwarder: () => forwarder?.status() ?? null,
    })
    const http = createEdgeHttp({ host: config.http.host, port: config.http.port, log, tls: config.http.tls && readTlsFiles(config.http.tls) })
    addHealthRoutes(http, {
      site: config.site.id,
      connectedClients: () => broker.connectedClients(),
      inputs: () => ({
        now: clock.now(),
        startedAt,
        outbox: outbox.stats(),
        lastStoreFailure: broker.stats.lastStoreFailure,
        forwarder: forwarder?.status() ?? null,
        // Read per request, once the camera features below exist.
        cameras: cameras?.cameras.health() ?? null,
      }),
      thresholds: { ...DEFAULT_THRESHOLDS, cameraDownMs: config.health.cameraDownS * 1000 },
    }, metrics, config.metricsToken)
    addMisuseMetrics(metrics, misuse.stats)
    const kiosk = createKioskHandler({
      assets: kioskAssets,
      site: config.site.id,
      counterOf: (device) => {
        const d = site.devices.get(device)
        return d?.kind === 'kiosk' ? (d.counter ?? null) : null
      },
      wsPort: broker.ports.ws,
      complaints: config.complaints,
    })
    // Queue systems that cannot speak MQTT post their tickets over HTTP (docs/queue-adapter.md).
    if (config.devices.some((d) => d.kind === 'queue' && d.http)) addTicketRoute(http, { site, duty, broker, clock, log })
    http.mount('/kiosk', (req, res) => {
      if (!kiosk(req, res)) res.writeHead(404).end()
    })
    // Cameras (edge/cameras/start.ts): health, events, snapshots, live view and the supervisor page on /supervisor/.
    // A site with neither cameras nor supervisors has nothing to show, so no WS-Discovery probes either.
    let cameras: CameraFeatures | null = null
    if (config.cameras.length > 0 || config.supervisors.length > 0) {
      const started = await startCameraFeatures({
        config, outbox, clock, log, http, publishRetained: (topic, body) => broker.publishRetained(topic, body),
        onCameraEvent: (camera, event, state) => recording?.onCameraEvent(camera, event, state),
      })
      cameras = started
      parts.started(() => started.stop())
    }
    // Recording (docs/recording.md) rides on each camera's live channel: one ffmpeg per camera for both.
    if (cameras && config.cameras.some((c) => (c.recording ?? 'off') !== 'off')) {
      const rec = await startRecording({ cameras: config.cameras, options: config.recordingOptions, live: cameras.live, log, now: () => clock.now() })
      recording = rec
      parts.started(() => rec.stop())
      addRecordingMetrics(metrics, () => rec.status())
    }
    // The hub never dials an edge (NAT): the edge keeps a socket open to it for remote live view.
    let tunnel: EdgeTunnel | null = null
    if (cameras && config.cameras.length > 0 && opts.forward !== false) {
      const features = cameras
      const t = createTunnel({
        hubUrl: config.hub.url, token: config.hub.token ?? '', caFile: config.hub.ca, site: config.site.id, log,
        cameras: () => features.cameras.cameras().map((c) => ({ id: c.id, name: c.name, counter: c.counter })),
        live: features.live,
        // The hub's requests (issue 17, edge/tunnel/requests.ts): recordings (null when no camera records) and snapshots.
        dispatch: createDispatch({ recordings: recording, snapshots: features.cameras.snapshots, cameras: () => features.cameras.cameras().map((c) => c.id) }),
        backoffMinMs: config.hub.backoffMinMs,
        backoffMaxMs: Math.min(config.hub.backoffMaxMs, 30_000),
        heartbeatMs: opts.tunnelHeartbeatMs,
      })
      tunnel = t
      // Stopped before the camera features, so the hub is told the streams are gone first.
      parts.started(() => t.stop())
      t.start()
    }

    if (cameras) {
      const features = cameras
      addLiveMetrics(metrics, features.live, () => tunnel?.status() ?? null)
      addCameraMetrics(metrics, () => features.cameras.health())
    }

    const httpPort = await http.listen()
    parts.started(() => http.close())

    const ports = { ...broker.ports, http: httpPort }
    // Loud on purpose (issue 11): on the site LAN these carry passwords and video in clear. motcua-edge make-certs fixes it.
    for (const plain of plainListeners(config, ports)) log.warn(plain, 'listener on the network without TLS')
    log.info({ site: config.site.id, ports }, 'edge started')
    // Stop in reverse order of start: the broker (edge offline, no new writes) goes before the outbox closes.
    return { ports, broker, duty, http, forwarder, misuse, cameras, tunnel, recording, stop: () => parts.stop() }
  } catch (err) {
    await parts.stop()
    throw err
  }
}

if (isMain(import.meta.url)) {
  runMain({
    name: 'edge',
    configEnv: 'MOTCUA_EDGE_CONFIG',
    configCode: 'EDGE_CONFIG_INVALID',
    load: loadEdgeConfig,
    start: (config, log) => startEdge(config, { log }),
    started(edge, config) {
      // One machine-readable line whatever LOG_LEVEL is: fault tests start the edge on port 0 and read it.
      const kiosk = `${config.http.tls ? 'https' : 'http'}://<edge address>:${edge.ports.http}/kiosk/?device=<kiosk device id>`
      process.stdout.write(`${JSON.stringify({ msg: 'edge listening', site: config.site.id, ports: edge.ports, kiosk })}\n`)
    },
    // An outbox from a newer release: restarting cannot help, a person must upgrade or move it.
    exitCodes: { EDGE_OUTBOX_FORMAT: EXIT.DATA },
  })
}
