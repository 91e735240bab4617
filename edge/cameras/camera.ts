/**
 * One camera's monitor: a check loop (ONVIF clock + authenticated call +
 * RTSP frames) feeding the health state machine, and a PullPoint event loop
 * for motion and tamper. Everything is per camera: its own HTTP agent, its
 * own deadlines, its own retry state kept as data (see view()), so a slow,
 * broken or hung camera never delays another one.
 */
import type { Logger } from '../../common/log.js'
import { stripCredentials } from '../../common/credentials.js'
import type { CameraState } from '../../protocol/messages.js'
import type { Clock } from '../clock/types.js'
import { interpretNotification, type CameraEventKind } from './event-topics.js'
import { judge, nextState, type CheckResult, type HealthPolicy } from './health.js'
import { digestGet } from './http-digest.js'
import { OnvifClient, type DeviceInfo, type ProfileInfo } from './onvif-client.js'
import { OnvifCallError } from './onvif-errors.js'
import type { SnapshotStore } from './snapshot-store.js'
import { probeStream } from './stream-probe.js'

export interface CameraSettings {
  id: string
  name: string
  counter: string | null
  onvif: string
  username: string
  password: string
}

export interface MonitorTiming {
  checkIntervalMs: number
  onvifTimeoutMs: number
  /** How often a healthy stream is re-probed with ffmpeg when nobody is watching it live. */
  streamCheckIntervalMs: number
  streamTimeoutMs: number
  snapshotTimeoutMs: number
}

export interface CameraView {
  id: string
  name: string
  counter: string | null
  state: CameraState | 'unknown'
  onvif: boolean
  stream: boolean
  detail: string
  cameraOffsetMs: number | null
  motion: boolean
  tamper: boolean
  device: DeviceInfo | null
  profiles: ProfileInfo[]
  /** Without credentials. */
  streamUri: string | null
  snapshotUri: string | null
  events: 'subscribed' | 'retrying' | 'off'
  lastCheckAt: number | null
  lastChangeAt: number | null
  failuresInARow: number
  latestSnapshot: string | null
}

export interface MonitorDeps {
  settings: CameraSettings
  clock: Clock
  log: Logger
  snapshots: SnapshotStore
  policy: HealthPolicy
  timing: MonitorTiming
  /** True while the live view is receiving this camera's frames (saves an ffmpeg probe). */
  streamActive?: (camera: string) => boolean
  onStateChange(view: CameraView, previous: CameraState | null): void
  onEvent(event: CameraEventKind, state: boolean, snapshot: string | null): void
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref())

export class CameraMonitor {
  private readonly log: Logger
  private client: OnvifClient | null = null
  private connected = false
  private state: CameraState | null = null
  private lastStream = false
  private lastStreamCheckAt = 0
  private timer: NodeJS.Timeout | null = null
  private readonly life = { stopped: false }
  private eventsGen = 0
  private round: Promise<void> = Promise.resolve()
  private lastSkew: number | null = null
  private rawStreamUri: string | null = null
  private rawSnapshotUri: string | null = null
  private v: CameraView

  constructor(private readonly d: MonitorDeps) {
    const s = d.settings
    this.log = d.log.child({ camera: s.id })
    this.v = {
      id: s.id, name: s.name, counter: s.counter, state: 'unknown', onvif: false, stream: false, detail: 'not checked yet',
      cameraOffsetMs: null, motion: false, tamper: false, device: null, profiles: [], streamUri: null, snapshotUri: null,
      events: 'off', lastCheckAt: null, lastChangeAt: null, failuresInARow: 0, latestSnapshot: d.snapshots.latest(s.id),
    }
  }

  view(): CameraView {
    return { ...this.v, profiles: [...this.v.profiles] }
  }

  /** RTSP URL with the camera's credentials, for ffmpeg only; never log or return it. */
  streamUrlWithCredentials(): string | null {
    if (!this.rawStreamUri) return null
    const u = new URL(this.rawStreamUri)
    u.username = encodeURIComponent(this.d.settings.username)
    u.password = encodeURIComponent(this.d.settings.password)
    return u.toString()
  }

  start(): void {
    const loop = () => {
      if (this.life.stopped) return
      const started = Date.now()
      this.round = this.check().catch((err) => this.log.error({ err }, 'camera check failed unexpectedly'))
      void this.round.then(() => {
        if (!this.life.stopped) this.timer = setTimeout(loop, Math.max(0, this.d.timing.checkIntervalMs - (Date.now() - started)))
      })
    }
    loop()
  }

  async stop(): Promise<void> {
    this.life.stopped = true
    if (this.timer) clearTimeout(this.timer)
    this.dropSession()
    await this.round
  }

  /** Takes a snapshot now; resolves to the stored file name. */
  async snapshot(reason: string): Promise<string> {
    if (!this.rawSnapshotUri) throw new Error('snapshot URI not known yet')
    const { body } = await digestGet(this.rawSnapshotUri, {
      username: this.d.settings.username, password: this.d.settings.password,
      timeoutMs: this.d.timing.snapshotTimeoutMs, maxBytes: 8 * 1024 * 1024,
    })
    if (body.length < 4 || body[0] !== 0xff || body[1] !== 0xd8) throw new Error('snapshot is not a JPEG')
    const name = await this.d.snapshots.save(this.d.settings.id, reason, body, this.d.clock.now())
    this.v.latestSnapshot = name
    return name
  }

  private dropSession(): void {
    this.eventsGen++
    this.client?.close()
    this.client = null
    this.connected = false
    this.v.events = 'off'
  }

  private noteClockJump(): void {
    const s = this.d.clock.stamp()
    const skew = s.wall - s.mono
    // The edge's own clock stepped (NTP sync after boot): the offset below is measured afresh every round anyway.
    if (this.lastSkew !== null && Math.abs(skew - this.lastSkew) > 1000)
      this.log.info({ jumpMs: Math.round(skew - this.lastSkew) }, 'edge clock jumped, camera offset recomputed')
    this.lastSkew = skew
  }

  private async check(): Promise<void> {
    const s = this.d.settings
    const t = this.d.timing
    const r: CheckResult = { onvifFailure: null, onvifDetail: '', stream: null, streamDetail: '', offsetMs: null }
    this.noteClockJump()
    try {
      this.client ??= new OnvifClient({ url: s.onvif, username: s.username, password: s.password, timeoutMs: t.onvifTimeoutMs })
      const { cameraMs, localMs } = await this.client.systemTime()
      // The camera answers in whole seconds (truncated): +500 ms centres the error.
      r.offsetMs = cameraMs + 500 - (localMs + (this.d.clock.now() - Date.now()))
      if (!this.connected) {
        await this.client.connect()
        this.v.device = await this.client.deviceInfo()
        this.v.profiles = this.client.profiles()
        const profile = this.v.profiles.find((p) => p.encoding?.toUpperCase() === 'H264') ?? this.v.profiles[0]
        if (!profile) throw new OnvifCallError('fault', 'camera has no media profile')
        this.rawStreamUri = await this.client.streamUri(profile.token)
        this.rawSnapshotUri = await this.client.snapshotUri(profile.token).catch(() => null)
        this.v.streamUri = stripCredentials(this.rawStreamUri)
        this.v.snapshotUri = this.rawSnapshotUri && stripCredentials(this.rawSnapshotUri)
        this.connected = true
        this.lastStreamCheckAt = 0
        void this.eventsLoop(this.client, ++this.eventsGen)
      } else {
        // Authenticated, so a password changed on the camera shows up here.
        await this.client.deviceInfo()
      }
    } catch (err) {
      const e = err instanceof OnvifCallError ? err : new OnvifCallError('fault', (err as Error).message)
      r.onvifFailure = e.failure
      r.onvifDetail = stripCredentials(e.message, [s.password])
      this.dropSession()
    }
    if (r.onvifFailure === null) await this.checkStream(r)
    else if (r.onvifFailure === 'auth' && this.rawStreamUri) await this.checkStream(r)
    this.apply(r)
  }

  private async checkStream(r: CheckResult): Promise<void> {
    const id = this.d.settings.id
    if (this.d.streamActive?.(id)) {
      r.stream = true
      this.lastStreamCheckAt = Date.now()
      return
    }
    const due = !this.lastStream || this.state !== 'online' || Date.now() - this.lastStreamCheckAt >= this.d.timing.streamCheckIntervalMs
    const url = this.streamUrlWithCredentials()
    if (!due || !url) return
    const p = await probeStream(url, this.d.timing.streamTimeoutMs)
    this.lastStreamCheckAt = Date.now()
    r.stream = p.ok
    r.streamDetail = p.ok ? '' : `RTSP: ${p.detail}`
  }

  private apply(r: CheckResult): void {
    const verdict = judge(r, this.lastStream, this.d.policy)
    if (r.stream !== null) this.lastStream = r.stream
    const unanswered = r.onvifFailure !== null && r.onvifFailure !== 'auth'
    this.v.failuresInARow = unanswered ? this.v.failuresInARow + 1 : 0
    const next = nextState(this.state, verdict, this.v.failuresInARow, this.d.policy)
    this.v.lastCheckAt = this.d.clock.now()
    if (r.offsetMs !== null) this.v.cameraOffsetMs = Math.round(r.offsetMs)
    if (next === this.state && next !== verdict.state) return // offline not confirmed yet: keep the last picture
    this.v.onvif = verdict.onvif
    this.v.stream = verdict.stream
    this.v.detail = verdict.detail
    if (next === this.state) return
    const previous = this.state
    this.state = next
    this.v.state = next
    this.v.lastChangeAt = this.v.lastCheckAt
    this.log.info({ from: previous, to: next, detail: verdict.detail }, 'camera state changed')
    this.d.onStateChange(this.view(), previous)
  }

  private async eventsLoop(client: OnvifClient, gen: number): Promise<void> {
    let backoffMs = 1000
    const live = () => !this.life.stopped && gen === this.eventsGen
    while (live()) {
      try {
        await client.createPullPoint()
        this.v.events = 'subscribed'
        backoffMs = 1000
        let renewedAt = Date.now()
        while (live()) {
          const messages = await client.pull()
          for (const m of messages) {
            const ev = interpretNotification(m)
            if (ev && live()) await this.onCameraEvent(ev.event, ev.state)
          }
          // Subscriptions are created for 2 minutes; renew well before that.
          if (Date.now() - renewedAt > 30_000) {
            await client.renew()
            renewedAt = Date.now()
          }
        }
      } catch (err) {
        if (!live()) return
        this.v.events = 'retrying'
        this.log.warn({ err: stripCredentials((err as Error).message, [this.d.settings.password]), retryInMs: backoffMs }, 'camera event subscription failed')
        await sleep(backoffMs)
        backoffMs = Math.min(30_000, backoffMs * 2)
      }
    }
  }

  private async onCameraEvent(event: CameraEventKind, state: boolean): Promise<void> {
    // Cameras send motion on two topics and repeat the current state on subscribe: keep changes only.
    if (this.v[event] === state) return
    this.v[event] = state
    let snapshot: string | null = null
    if (state) {
      snapshot = await this.snapshot(event).catch((err) => {
        this.log.warn({ err: stripCredentials((err as Error).message, [this.d.settings.password]) }, 'snapshot for event failed')
        return null
      })
    }
    this.log.info({ event, state, snapshot }, 'camera event')
    this.d.onEvent(event, state, snapshot)
    if (event === 'tamper' && this.state) this.d.onStateChange(this.view(), this.state)
  }
}
