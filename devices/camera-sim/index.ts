import { randomUUID } from 'node:crypto'
import { createLogger, type Logger } from '../../common/log.js'
import { DigestAuth } from './auth/digest.js'
import { CREATED_WINDOW_MS, NonceCache } from './auth/wsse.js'
import { DiscoveryResponder, WSD_PORT } from './discovery/responder.js'
import { PullPoints, type SubscriptionStats } from './events/pull-points.js'
import { CameraHttpServer, SNAPSHOT_PATH } from './http/server.js'
import type { SoapContext } from './http/soap-handler.js'
import { RtspProcess } from './rtsp/process.js'
import { SnapshotSource } from './snapshot.js'
import { discoveryScopes } from './soap/device.js'
import { DEFAULT_QUIRKS, type CameraQuirks } from './quirks.js'
import { notificationsFor } from './soap/events.js'
import type { CameraEvent, CameraIdentity, CameraState, FaultMode, StreamSettings } from './types.js'

export type { CameraEvent, CameraIdentity, FaultMode, StreamSettings } from './types.js'
export type { SubscriptionStats } from './events/pull-points.js'
export { FAULT_MODES } from './types.js'
export { CGI_FIRMWARE, DEFAULT_QUIRKS, parseQuirks, type CameraQuirks, type TamperShape } from './quirks.js'

export interface DiscoverySettings {
  /** Default 3702; 0 picks a free port (probe it by unicast). */
  port?: number
  /** Default 0.0.0.0 when joining multicast (a socket bound to one address does not see group traffic), else `host`. */
  bindAddress?: string
  /** Join 239.255.255.250 on the `host` interface. Default true. */
  multicast?: boolean
}

export interface CameraSimOptions {
  /** Address every service binds to and advertises; default 127.0.0.1. */
  host?: string
  httpPort?: number
  rtspPort?: number
  user?: string
  password?: string
  identity?: Partial<CameraIdentity>
  stream?: Partial<StreamSettings>
  /** false: no WS-Discovery responder. */
  discovery?: DiscoverySettings | false
  /** Delay of SOAP answers under the `slow` fault; default 8 s. */
  slowDelayMs?: number
  /** Time every healthy HTTP answer takes; default 5 ms. */
  soapLatencyMs?: number
  /** Camera clock offset under `clock-skew`; default +10 min (twice the WS-Security window). */
  clockSkewMs?: number
  /** Wall clock; default Date.now. */
  now?: () => number
  log?: Logger
  /** Interpreter with python3-gi; default /usr/bin/python3. */
  python?: string
  /** How this camera differs from the spec's examples (quirks.ts); each off by default. */
  quirks?: Partial<CameraQuirks>
}

export interface FaultOptions {
  delayMs?: number
  skewMs?: number
}

export interface CameraSim {
  /** Device service XAddr, e.g. http://127.0.0.1:PORT/onvif/device_service. */
  onvifUrl: string
  /** RTSP URL without credentials (as GetStreamUri returns it). */
  rtspUrl: string
  snapshotUrl: string
  httpPort: number
  rtspPort: number
  /** UDP port of the WS-Discovery responder, or 0 without one. */
  discoveryPort: number
  identity: CameraIdentity
  user: string
  /** The configured password (what a correctly set-up client uses). */
  password: string
  quirks: CameraQuirks
  readonly fault: FaultMode
  /** Event subscriptions: alive now, and what clients did with them (created, refused, renewed, unsubscribed...). */
  subscriptions(): SubscriptionStats
  /** PID of the GStreamer child, for tests that check it is gone after stop(). */
  readonly rtspPid: number | undefined
  /** Sets the motion or tamper property; every live subscription gets a Changed notification. */
  trigger(event: CameraEvent, state?: boolean): void
  setFault(mode: FaultMode, opts?: FaultOptions): Promise<void>
  stop(): Promise<void>
}

const STREAM_PATH = '/stream1'

export async function startCameraSim(opts: CameraSimOptions = {}): Promise<CameraSim> {
  const host = opts.host ?? '127.0.0.1'
  const user = opts.user ?? 'admin'
  const password = opts.password ?? 'Motcua-cam1'
  const now = opts.now ?? Date.now
  const serial = randomUUID().slice(0, 8).toUpperCase()
  const identity: CameraIdentity = {
    manufacturer: 'Motcua', model: 'SimCam S1', firmwareVersion: '1.0.0', serialNumber: `SIM${serial}`,
    hardwareId: 'SIMCAM-1', name: `SimCam-${serial}`, location: 'Quay tiep nhan', endpointUuid: `urn:uuid:${randomUUID()}`,
    ...opts.identity,
  }
  const stream: StreamSettings = { width: 640, height: 360, fps: 15, gop: 15, bitrateKbps: 1200, ...opts.stream }
  const log = (opts.log ?? createLogger('camera-sim')).child({ module: 'camera-sim', camera: identity.name })
  const state: CameraState = { fault: 'none', password, clockOffsetMs: 0, slowDelayMs: opts.slowDelayMs ?? 8000, soapLatencyMs: opts.soapLatencyMs ?? 5 }
  const quirks: CameraQuirks = { ...DEFAULT_QUIRKS, ...opts.quirks }
  const props: Record<CameraEvent, boolean> = { motion: false, tamper: false }
  const cameraNow = () => now() + state.clockOffsetMs

  const rtsp = new RtspProcess({ host, path: STREAM_PATH, user, password, stream, log, python: opts.python })
  const rtspPort = await rtsp.start(opts.rtspPort ?? 0)
  const rtspUrl = `rtsp://${host}:${rtspPort}${STREAM_PATH}`
  const snapshots = new SnapshotSource({ take: (ms) => rtsp.snapshot(ms), timeoutMs: 2000 })

  const digest = new DigestAuth(`SimCam ${identity.serialNumber}`)
  const pullPoints = new PullPoints({ now: cameraNow, maxPullPoints: quirks.maxPullPoints })
  let base = ''
  const soap: SoapContext = {
    identity, stream,
    addrs: { device: '', media: '', events: '' },
    rtspUrl: () => rtspUrl,
    snapshotUrl: '',
    pullPointUrl: (id) => `${base}/onvif/pullpoint/${id}`,
    user,
    password: () => state.password,
    cameraNow, wallNow: now,
    nonces: new NonceCache(2 * CREATED_WINDOW_MS),
    digest, pullPoints,
    initialNotifications: () => [
      ...notificationsFor('motion', props.motion, cameraNow(), 'Initialized', quirks),
      ...notificationsFor('tamper', props.tamper, cameraNow(), 'Initialized', quirks),
    ],
    quirks,
  }
  const http = new CameraHttpServer({ host, soap, state: () => state, digest, snapshots, log })
  let httpPort: number
  try {
    httpPort = await http.listen(opts.httpPort ?? 0)
  } catch (err) {
    await rtsp.stop()
    throw err
  }
  base = `http://${host}:${httpPort}`
  soap.addrs.device = `${base}/onvif/device_service`
  soap.addrs.media = `${base}/onvif/media_service`
  soap.addrs.events = `${base}/onvif/events_service`
  soap.snapshotUrl = `${base}${SNAPSHOT_PATH}`

  let discovery: DiscoveryResponder | undefined
  if (opts.discovery !== false) {
    const d = opts.discovery ?? {}
    const multicast = d.multicast ?? true
    discovery = new DiscoveryResponder({
      port: d.port ?? WSD_PORT,
      bindAddress: d.bindAddress ?? (multicast ? '0.0.0.0' : host),
      multicastInterface: multicast ? host : undefined,
      endpoint: identity.endpointUuid,
      xaddrs: () => [soap.addrs.device],
      scopes: discoveryScopes(identity),
      answering: () => state.fault !== 'offline',
      replyToHeader: quirks.replyToHeader,
      log,
    })
    try {
      await discovery.start()
    } catch (err) {
      await Promise.all([http.close(), rtsp.stop()])
      throw err
    }
    await discovery.hello()
  }

  async function leave(mode: FaultMode): Promise<void> {
    switch (mode) {
      case 'offline':
        await rtsp.start(rtspPort)
        await http.listen(httpPort)
        await discovery?.hello() // a camera powering up announces itself
        break
      case 'stall': rtsp.resume(); break
      case 'wrong-password':
        state.password = password
        rtsp.setPassword(password)
        break
      case 'clock-skew': state.clockOffsetMs = 0; break
      default: break
    }
  }

  async function enter(mode: FaultMode, fo: FaultOptions): Promise<void> {
    switch (mode) {
      case 'offline':
        pullPoints.closeAll() // a camera that loses power forgets its subscriptions
        await Promise.all([http.close(), rtsp.stop()])
        break
      case 'stall': rtsp.pause(); break
      case 'wrong-password':
        state.password = `${password}-changed`
        rtsp.setPassword(state.password)
        break
      case 'clock-skew': state.clockOffsetMs = fo.skewMs ?? opts.clockSkewMs ?? 10 * 60_000; break
      case 'slow': state.slowDelayMs = fo.delayMs ?? opts.slowDelayMs ?? 8000; break
      default: break
    }
  }

  let stopped = false
  let transition: Promise<void> = Promise.resolve()
  return {
    onvifUrl: soap.addrs.device, rtspUrl, snapshotUrl: soap.snapshotUrl, httpPort, rtspPort,
    discoveryPort: discovery?.port ?? 0, identity, user, password, quirks,
    get fault() { return state.fault },
    subscriptions: () => pullPoints.stats(),
    get rtspPid() { return rtsp.pid },
    trigger(event, value = true) {
      if (props[event] === value) return
      props[event] = value
      if (state.fault !== 'offline') pullPoints.publish(notificationsFor(event, value, cameraNow(), 'Changed', quirks))
    },
    setFault(mode, fo = {}) {
      // Serialised so overlapping calls cannot interleave a close with a listen; one failed
      // transition (say, the port was taken while offline) must not block the next ones.
      transition = transition.catch(() => undefined).then(async () => {
        if (stopped) return
        const from = state.fault
        if (from !== mode) await leave(from)
        state.fault = mode
        await enter(mode, fo)
        log.info({ from, to: mode }, 'fault mode changed')
      })
      return transition
    },
    async stop() {
      stopped = true
      await transition.catch(() => undefined)
      rtsp.resume()
      pullPoints.closeAll()
      await Promise.all([http.close(), rtsp.stop(), discovery?.stop()])
    },
  }
}
