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
import { OnvifClient, type DeviceInfo, type OnvifClientOptions, type ProfileInfo } from './onvif-client.js'
import { OnvifCallError } from './onvif-errors.js'
import type { SnapshotStore } from './snapshot-store.js'
import { probeStream } from './stream-probe.js'
import { renewEveryMs } from './subscription-soap.js'

/** What the monitor uses of an ONVIF client (a test double can stand in). */
export type OnvifSession = Pick<
  OnvifClient,
  'systemTime' | 'connect' | 'deviceInfo' | 'profiles' | 'streamUri' | 'snapshotUri' | 'createPullPoint' | 'pull' | 'renew' | 'unsubscribe' | 'cutPull' | 'close' | 'subscribed'
>

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
  /** Event subscriptions that failed (Create, PullMessages or Renew) since the edge started; each is followed by a new one. */
  eventFailures: number
  lastCheckAt: number | null
  /** When the state last changed (edge clock), null before the first check. */
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
  /** Test seam: builds the ONVIF client; default the `onvif` package's. */
  createClient?: (o: OnvifClientOptions) => OnvifSession
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref())

export class CameraMonitor {
  private readonly log: Logger
  private client: OnvifSession | null = null
  /** The events loop of the current client, so the client is given up only once that loop has let go. */
  private events: Promise<void> = Promise.resolve()
  /** Clients being given up: their subscription is given back before their sockets close. */
  private readonly retiring = new Set<Promise<void>>()
  private connected = false
  /** Monotonic time of the last state change (or of start), for how long a state has lasted whatever the wall clock does. */
  private stateSinceMono = performance.now()
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
      events: 'off', eventFailures: 0, lastCheckAt: null, lastChangeAt: null, failuresInARow: 0, latestSnapshot: d.snapshots.latest(s.id),
    }
  }

  view(): CameraView {
    return { ...this.v, profiles: [...this.v.profiles] }
  }

  /** How long the camera has been in its current state (since start for `unknown`), on the monotonic clock. */
  stateForMs(): number {
    return performance.now() - this.stateSinceMono
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

  /** Stops checking, gives the event subscription back to the camera (bounded by the call deadline) and closes every socket. */
  async stop(): Promise<void> {
    this.life.stopped = true
    if (this.timer) clearTimeout(this.timer)
    this.dropSession()
    await this.round
    // A round in flight may have made a client after the drop above.
    this.dropSession()
    await Promise.all([...this.retiring])
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
    const client = this.client
    this.client = null
    this.connected = false
    this.v.events = 'off'
    if (!client) return
    const retired = this.retire(client, this.events).finally(() => this.retiring.delete(retired))
    this.retiring.add(retired)
  }

  /**
   * Gives a dropped client's subscription back before closing it: a camera
   * has few subscription slots, and one left behind holds a slot until it
   * expires. Only a camera that answers can take it back; a dead one gets
   * the call deadline and no more.
   */
  private async retire(client: OnvifSession, loop: Promise<void>): Promise<void> {
    client.cutPull() // the events loop's long poll ends now, and the loop sees it is no longer wanted
    await Promise.race([loop, sleep(this.d.timing.onvifTimeoutMs)])
    if (client.subscribed) {
      const given = client.unsubscribe().catch((err: Error) =>
        this.log.debug({ err: stripCredentials(err.message, [this.d.settings.password]) }, 'event subscription not given back'))
      // The call has its deadline; this bound holds whatever the client does.
      await Promise.race([given, sleep(2 * this.d.timing.onvifTimeoutMs)])
    }
    client.close()
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
      const options: OnvifClientOptions = { url: s.onvif, username: s.username, password: s.password, timeoutMs: t.onvifTimeoutMs }
      const client = (this.client ??= this.d.createClient?.(options) ?? new OnvifClient(options))
      const { cameraMs, localMs } = await client.systemTime()
      // The camera answers in whole seconds (truncated): +500 ms centres the error.
      r.offsetMs = cameraMs + 500 - (localMs + (this.d.clock.now() - Date.now()))
      if (!this.connected) {
        await client.connect()
        this.v.device = await client.deviceInfo()
        this.v.profiles = client.profiles()
        const profile = this.v.profiles.find((p) => p.encoding?.toUpperCase() === 'H264') ?? this.v.profiles[0]
        if (!profile) throw new OnvifCallError('fault', 'camera has no media profile')
        this.rawStreamUri = await client.streamUri(profile.token)
        this.rawSnapshotUri = await client.snapshotUri(profile.token).catch(() => null)
        this.v.streamUri = stripCredentials(this.rawStreamUri)
        this.v.snapshotUri = this.rawSnapshotUri && stripCredentials(this.rawSnapshotUri)
        // Dropped while connecting (stop, or a session given up): this client is being retired, start nothing on it.
        if (client !== this.client) throw new OnvifCallError('closed', 'session dropped while connecting')
        this.connected = true
        this.lastStreamCheckAt = 0
        this.events = this.eventsLoop(client, ++this.eventsGen)
      } else {
        // Authenticated, so a password changed on the camera shows up here.
        await client.deviceInfo()
      }
    } catch (err) {
      const e = err instanceof OnvifCallError ? err : new OnvifCallError('fault', (err as Error).message)
      r.onvifFailure = e.failure
      r.onvifDetail = stripCredentials(e.message, [s.password])
      this.dropSession()
    }
    if (r.onvifFailure === null) await this.checkStream(r)
    else if (r.onvifFailure === 'auth' && this.rawStreamUri) await this.checkStream(r)
    // Stopping cut this round short: what it saw is not the camera's state.
    if (this.life.stopped) return
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
    this.stateSinceMono = performance.now()
    this.log.info({ from: previous, to: next, detail: verdict.detail }, 'camera state changed')
    this.d.onStateChange(this.view(), previous)
  }

  /**
   * One PullPoint subscription at a time for this client: pulled in a long
   * poll, renewed on its own timer at half the lifetime the camera granted
   * (a pull can wait a minute; a camera may grant less than that), and on
   * any failure given back before the next one is made, with backoff 1–30 s.
   * When the client is dropped the loop just stops; retire() gives the
   * subscription back.
   */
  private async eventsLoop(client: OnvifSession, gen: number): Promise<void> {
    let backoffMs = 1000
    const live = () => !this.life.stopped && gen === this.eventsGen
    while (live()) {
      try {
        if (client.subscribed) {
          await client.unsubscribe().catch((err: Error) =>
            this.log.debug({ err: stripCredentials(err.message, [this.d.settings.password]) }, 'broken event subscription not given back'))
        }
        if (!live()) return
        const { lifetimeMs } = await client.createPullPoint()
        if (!live()) return
        this.v.events = 'subscribed'
        backoffMs = 1000
        await this.pullUntilBroken(client, renewEveryMs(lifetimeMs), live)
      } catch (err) {
        if (!live()) return
        this.v.events = 'retrying'
        this.v.eventFailures++
        this.log.warn({ err: stripCredentials((err as Error).message, [this.d.settings.password]), retryInMs: backoffMs }, 'camera event subscription failed')
        await sleep(backoffMs)
        backoffMs = Math.min(30_000, backoffMs * 2)
      }
    }
  }

  /** Pulls until the client is dropped (returns) or a pull or a Renew fails (throws). */
  private async pullUntilBroken(client: OnvifSession, firstRenewMs: number, live: () => boolean): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    let over = false
    const renewFailed = new Promise<never>((_resolve, reject) => {
      const renewIn = (ms: number) => {
        timer = setTimeout(() => {
          client.renew().then(
            (r) => { if (!over) renewIn(r.lifetimeMs === null ? ms : renewEveryMs(r.lifetimeMs)) },
            (err: unknown) => { if (!over) reject(err instanceof Error ? err : new Error(String(err))) },
          )
        }, ms)
      }
      renewIn(firstRenewMs)
    })
    renewFailed.catch(() => undefined) // also raced below; never unhandled once the loop is over
    try {
      while (live()) {
        const messages = await Promise.race([client.pull(), renewFailed])
        for (const m of messages) {
          const ev = interpretNotification(m)
          if (ev && live()) await this.onCameraEvent(ev.event, ev.state)
        }
      }
    } finally {
      over = true
      clearTimeout(timer)
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
