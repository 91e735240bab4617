/**
 * The edge's camera subsystem: one CameraMonitor per configured camera,
 * WS-Discovery to report cameras on the network that are not configured
 * (never used without config), snapshots on disk, and the wiring of state
 * changes and events into the outbox (camera_status / camera_event records)
 * and the retained MQTT camera state.
 */
import { readFileSync } from 'node:fs'
import type { Logger } from '../../common/log.js'
import type { CameraStateMessage } from '../../protocol/messages.js'
import { topics } from '../../protocol/topics.js'
import type { Clock } from '../clock/types.js'
import type { EdgeConfig } from '../config/schema.js'
import type { CameraHealth } from '../health/status.js'
import type { NewRecord, Outbox } from '../outbox/types.js'
import { CameraMonitor, type CameraView, type MonitorTiming } from './camera.js'
import { probeCameras, type DiscoveredCamera } from './discovery.js'
import { DEFAULT_HEALTH_POLICY, type HealthPolicy } from './health.js'
import { SnapshotStore } from './snapshot-store.js'
import { DAY_MS } from '../../common/time.js'

export type { CameraView } from './camera.js'

export interface CameraSubsystemOptions {
  config: Pick<EdgeConfig, 'site' | 'cameras' | 'cameraOptions'>
  outbox: Outbox
  clock: Clock
  log: Logger
  /** Publishes a retained QoS 1 JSON message on the edge's broker. */
  publishRetained(topic: string, body: object): void | Promise<void>
  /** True while the live view receives this camera's frames. */
  streamActive?: (camera: string) => boolean
  /** Told of every camera state change, after it is recorded. */
  onState?: (view: CameraView) => void
  /** Told of every motion or tamper event (recording keeps a clip around it, edge/recording/service.ts). */
  onCameraEvent?: (camera: string, event: 'motion' | 'tamper', state: boolean) => void
  /** Where to send WS-Discovery probes; default the multicast group. */
  discoveryTargets?: { host: string; port: number }[]
  discoveryIntervalMs?: number
  timing?: Partial<MonitorTiming>
  policy?: Partial<HealthPolicy>
}

export interface UnconfiguredCamera {
  endpoint: string
  /** Device service addresses, without credentials. */
  xaddrs: string[]
  scopes: string[]
  types: string[]
  from: string
  firstSeenAt: number
  lastSeenAt: number
}

export interface CameraSubsystem {
  cameras(): CameraView[]
  camera(id: string): CameraView | null
  /** Each camera's state and since when, for /healthz and /metrics: no credentials, no names, no addresses. */
  health(): CameraHealth[]
  /** Cameras that answered WS-Discovery but are not in the config. */
  unconfigured(): UnconfiguredCamera[]
  /** Runs one discovery probe now (also run on a timer when discovery is on). */
  discover(): Promise<UnconfiguredCamera[]>
  /** RTSP URL with credentials: for the live remuxer only, never to be logged or returned by an API. */
  streamUrl(id: string): string | null
  snapshot(id: string): Promise<string>
  readonly snapshots: SnapshotStore
  stop(): Promise<void>
}

/** "host:port" of an HTTP URL, the key that ties a discovered XAddr to a configured camera. */
const hostPort = (url: string): string | null => {
  try {
    const u = new URL(url)
    return `${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`
  } catch {
    return null
  }
}

function passwordOf(cam: EdgeConfig['cameras'][number]): string {
  if (cam.password !== undefined) return cam.password
  return cam.passwordFile ? readFileSync(cam.passwordFile, 'utf8').trim() : ''
}

export async function startCameraSubsystem(o: CameraSubsystemOptions): Promise<CameraSubsystem> {
  const log = o.log.child({ module: 'cameras' })
  const site = o.config.site.id
  const opts = o.config.cameraOptions
  const timing: MonitorTiming = {
    checkIntervalMs: opts.checkIntervalS * 1000,
    onvifTimeoutMs: Math.min(2500, opts.checkIntervalS * 1000),
    streamCheckIntervalMs: 15_000,
    streamTimeoutMs: 5000,
    snapshotTimeoutMs: 4000,
    ...o.timing,
  }
  const policy: HealthPolicy = { ...DEFAULT_HEALTH_POLICY, ...o.policy }
  const snapshots = new SnapshotStore(opts.snapshotDir, opts.snapshotMaxFiles, opts.snapshotMaxAgeDays * DAY_MS)
  await snapshots.open()

  let stopped = false
  const append = (record: NewRecord) => {
    // An event or check still in flight while the edge stops would write to an outbox about to close.
    if (stopped) return void log.debug({ kind: record.kind }, 'camera record after stop dropped')
    o.outbox.append(record, o.clock.stamp()).catch((err: Error) => log.warn({ err: err.message, kind: record.kind }, 'camera record not stored'))
  }
  const publish = (v: CameraView) => {
    if (v.state === 'unknown') return
    const msg: CameraStateMessage = { v: 1, state: v.state, onvif: v.onvif, stream: v.stream, tamper: v.tamper, ts: o.clock.now() }
    Promise.resolve()
      .then(() => o.publishRetained(topics.cameraState(site, v.id), msg))
      .catch((err: Error) => log.warn({ err: err.message, camera: v.id }, 'camera state not published'))
  }

  const startedAt = o.clock.now()
  const monitors = new Map<string, CameraMonitor>()
  for (const cam of o.config.cameras) {
    const m = new CameraMonitor({
      settings: { id: cam.id, name: cam.name, counter: cam.counter ?? null, onvif: cam.onvif, username: cam.username, password: passwordOf(cam) },
      clock: o.clock,
      log,
      snapshots,
      policy,
      timing,
      streamActive: o.streamActive,
      onStateChange(view, previous) {
        if (view.state !== previous && view.state !== 'unknown') {
          append({
            kind: 'camera_status', camera: view.id, state: view.state, onvif: view.onvif, stream: view.stream,
            cameraOffsetMs: view.cameraOffsetMs, detail: view.detail.slice(0, 200),
          })
        }
        publish(view)
        o.onState?.(view)
      },
      onEvent(event, state, snapshot) {
        append({ kind: 'camera_event', camera: cam.id, event, state, snapshot })
        o.onCameraEvent?.(cam.id, event, state)
      },
    })
    monitors.set(cam.id, m)
  }
  for (const m of monitors.values()) m.start()

  const configured = new Set(o.config.cameras.map((c) => hostPort(c.onvif)))
  const found = new Map<string, UnconfiguredCamera>()
  async function discover(): Promise<UnconfiguredCamera[]> {
    const now = o.clock.now()
    const answers: DiscoveredCamera[] = await probeCameras({ targets: o.discoveryTargets, timeoutMs: 2000, log })
    for (const a of answers) {
      if (a.xaddrs.some((x) => configured.has(hostPort(x)))) continue
      const known = found.get(a.endpoint)
      if (!known) log.info({ endpoint: a.endpoint, xaddrs: a.xaddrs, from: a.from }, 'unconfigured camera found on the network')
      found.set(a.endpoint, { endpoint: a.endpoint, xaddrs: a.xaddrs, scopes: a.scopes, types: a.types, from: a.from, firstSeenAt: known?.firstSeenAt ?? now, lastSeenAt: now })
    }
    return [...found.values()]
  }
  let discoveryTimer: NodeJS.Timeout | null = null
  if (opts.discovery) {
    const run = () => void discover().catch((err: Error) => log.warn({ err: err.message }, 'camera discovery failed'))
    run()
    discoveryTimer = setInterval(run, o.discoveryIntervalMs ?? 5 * 60_000)
    discoveryTimer.unref()
  }

  return {
    cameras: () => [...monitors.values()].map((m) => m.view()),
    camera: (id) => monitors.get(id)?.view() ?? null,
    health: () =>
      [...monitors.values()].map((m) => {
        const v = m.view()
        return {
          id: v.id, state: v.state, since: v.lastChangeAt ?? startedAt, forS: Math.floor(m.stateForMs() / 1000),
          detail: v.detail, events: v.events, eventFailures: v.eventFailures, tamper: v.tamper, motion: v.motion,
        }
      }),
    unconfigured: () => [...found.values()],
    discover,
    streamUrl: (id) => monitors.get(id)?.streamUrlWithCredentials() ?? null,
    snapshot(id) {
      const m = monitors.get(id)
      return m ? m.snapshot('manual') : Promise.reject(new Error(`unknown camera "${id}"`))
    },
    snapshots,
    async stop() {
      stopped = true
      if (discoveryTimer) clearInterval(discoveryTimer)
      await Promise.all([...monitors.values()].map((m) => m.stop()))
      snapshots.close()
    },
  }
}
