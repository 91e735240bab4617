/**
 * Promise wrapper around the `onvif` package's Cam for one camera. Every call
 * has its own deadline (the package's own default is two minutes), and each
 * camera has its own HTTP agents so close() can cut its sockets without
 * touching any other camera: one for its calls, one for the PullMessages
 * long poll of its subscription (the package sends that to the address the
 * camera gave, outside the agent it was given, so it is set here).
 *
 * Renew and Unsubscribe are the edge's own small SOAP calls
 * (subscription-soap.ts) sent through the package's request path, so
 * WS-Security, digest and the address the camera is configured at stay the
 * package's: the package's own Renew has no wsa:MessageID, which cameras that
 * answer with wsa:RelatesTo refuse.
 */
import { randomUUID } from 'node:crypto'
import { Agent } from 'node:http'
import { Cam } from 'onvif'
import { classifyOnvifError, OnvifCallError } from './onvif-errors.js'
import { grantedLifetimeMs, renewResponseLifetimeMs, subscriptionRequest, type SubscriptionOperation } from './subscription-soap.js'

export interface DeviceInfo {
  manufacturer: string
  model: string
  firmwareVersion: string
  serialNumber: string
  hardwareId: string
}

export interface ProfileInfo {
  token: string
  name: string
  encoding: string | null
  width: number | null
  height: number | null
}

/** One ONVIF notification reduced to what we use: topic and the Data items. */
export interface Notification {
  topic: string
  data: Record<string, string>
  operation: string | null
}

export interface OnvifClientOptions {
  url: string
  username: string
  password: string
  /** Deadline of each request. */
  timeoutMs: number
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the package's callbacks are untyped XML-to-object data
type Cb<_T> = (err: Error | null, value?: any, xml?: string) => void

/** The subscription address as the package keeps it (url.parse, host rewritten to the configured one by preserveAddress). */
type PackageUrl = { href: string; agent?: Agent; [key: string]: unknown }

/** The package's request path, which its typings leave out. */
interface CamRequests {
  _envelopeHeader(openHeader?: boolean): string
  _request(options: { url: PackageUrl; body: string; action: string }, cb: (err: Error | null, res: unknown, xml?: string) => void): void
}

/** A live PullPoint subscription of this client. */
interface Subscription {
  url: PackageUrl
  subscriptionId: string | null
}

const text = (v: unknown): string | null =>
  typeof v === 'string' || typeof v === 'number' ? String(v) : typeof (v as { _?: unknown } | null)?._ === 'string' ? (v as { _: string })._ : null

export class OnvifClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 4 })
  private readonly cam: Cam
  private closed = false
  private subscription: Subscription | null = null
  /** Carries only this subscription's PullMessages long poll, so it can be cut alone. */
  private pullAgent: Agent | null = null

  constructor(private readonly opts: OnvifClientOptions) {
    const u = new URL(opts.url)
    this.cam = new Cam({
      hostname: u.hostname,
      port: Number(u.port || 80),
      path: u.pathname,
      username: opts.username,
      password: opts.password,
      timeout: opts.timeoutMs,
      autoconnect: false,
      // Cameras behind NAT or with a wrong network setting advertise unreachable XAddrs; use the configured address.
      preserveAddress: true,
      agent: this.agent,
    })
  }

  /** Runs one callback-style Cam call with a deadline; errors are classified (auth, timeout, unreachable...). */
  private call<T>(what: string, fn: (cb: Cb<T>) => void, timeoutMs = this.opts.timeoutMs): Promise<T> {
    if (this.closed) return Promise.reject(new OnvifCallError('closed', `${what}: client closed`))
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new OnvifCallError('timeout', `${what}: no answer within ${timeoutMs} ms`)), timeoutMs)
      try {
        fn((err, value, xml) => {
          clearTimeout(timer)
          if (err) reject(classifyOnvifError(what, err, xml))
          else resolve(value)
        })
      } catch (err) {
        clearTimeout(timer)
        reject(classifyOnvifError(what, err as Error, undefined))
      }
    })
  }

  /**
   * GetSystemDateAndTime (unauthenticated, the cheapest liveness check): the
   * camera's UTC clock in ms, taken at the middle of the round trip. Also
   * refreshes the package's WS-Security time shift, so a camera whose clock
   * was reset does not start refusing our Created timestamps.
   */
  async systemTime(): Promise<{ cameraMs: number; localMs: number }> {
    const sent = Date.now()
    const date = await this.call<Date>('GetSystemDateAndTime', (cb) => {
      this.cam.timeShift = undefined
      this.cam.getSystemDateAndTime(cb)
    })
    const localMs = Math.round((sent + Date.now()) / 2)
    if (!(date instanceof Date) || Number.isNaN(date.getTime())) throw new OnvifCallError('malformed', 'GetSystemDateAndTime: no usable date')
    return { cameraMs: date.getTime(), localMs }
  }

  /** Services, capabilities and profiles (the package's connect sequence). */
  async connect(): Promise<void> {
    await this.call<void>('connect', (cb) => this.cam.connect((err) => cb(err ?? null)), this.opts.timeoutMs * 3)
  }

  async deviceInfo(): Promise<DeviceInfo> {
    const d = await this.call<Record<string, unknown>>('GetDeviceInformation', (cb) => this.cam.getDeviceInformation(cb))
    const s = (k: string) => (typeof d?.[k] === 'string' || typeof d?.[k] === 'number' ? String(d[k]) : '')
    return { manufacturer: s('manufacturer'), model: s('model'), firmwareVersion: s('firmwareVersion'), serialNumber: s('serialNumber'), hardwareId: s('hardwareId') }
  }

  /** Profiles as GetProfiles returned them during connect(). */
  profiles(): ProfileInfo[] {
    return (this.cam.profiles ?? []).flatMap((p) => {
      const token = (p.$ as { token?: string } | undefined)?.token ?? p.token
      if (!token) return []
      const enc = p.videoEncoderConfiguration as { encoding?: string; resolution?: { width?: number; height?: number } } | undefined
      return [{
        token: String(token),
        name: String(p.name ?? token),
        encoding: enc?.encoding ? String(enc.encoding) : null,
        width: enc?.resolution?.width !== undefined ? Number(enc.resolution.width) : null,
        height: enc?.resolution?.height !== undefined ? Number(enc.resolution.height) : null,
      }]
    })
  }

  async streamUri(profileToken: string): Promise<string> {
    const r = await this.call<{ uri?: string }>('GetStreamUri', (cb) =>
      this.cam.getStreamUri({ protocol: 'RTSP', profileToken }, cb),
    )
    if (!r?.uri) throw new OnvifCallError('malformed', 'GetStreamUri: no uri')
    return mediaUri('GetStreamUri', String(r.uri), this.opts.url, ['rtsp:'])
  }

  async snapshotUri(profileToken: string): Promise<string> {
    const r = await this.call<{ uri?: string }>('GetSnapshotUri', (cb) => this.cam.getSnapshotUri({ profileToken }, cb))
    if (!r?.uri) throw new OnvifCallError('malformed', 'GetSnapshotUri: no uri')
    return mediaUri('GetSnapshotUri', String(r.uri), this.opts.url, ['http:', 'https:'])
  }

  /** True while this client holds a subscription it has not given back. */
  get subscribed(): boolean {
    return this.subscription !== null
  }

  /**
   * CreatePullPointSubscription (the package asks for 2 minutes); resolves to
   * the lifetime the camera granted, or null when its answer does not say.
   */
  async createPullPoint(): Promise<{ lifetimeMs: number | null }> {
    const sub = await this.call<{ currentTime?: unknown; terminationTime?: unknown; subscriptionReference?: { address?: PackageUrl; referenceParameters?: { subscriptionId?: unknown } } }>(
      'CreatePullPointSubscription',
      (cb) => this.cam.createPullPointSubscription(cb),
    )
    const url = sub?.subscriptionReference?.address
    if (!url?.href) throw new OnvifCallError('malformed', 'CreatePullPointSubscription: no subscription address')
    this.pullAgent?.destroy()
    this.pullAgent = new Agent({ keepAlive: true, maxSockets: 1 })
    url.agent = this.pullAgent
    this.subscription = { url, subscriptionId: text(sub.subscriptionReference?.referenceParameters?.subscriptionId) }
    return { lifetimeMs: grantedLifetimeMs(sub.currentTime, sub.terminationTime) }
  }

  /** PullMessages; the package asks the camera to hold the request up to one minute when nothing happens. */
  async pull(): Promise<Notification[]> {
    const data = await this.call<{ notificationMessage?: unknown }>(
      'PullMessages',
      (cb) => this.cam.pullMessages({ messageLimit: 20 }, cb),
      90_000,
    )
    const raw = data?.notificationMessage
    const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]
    return list.map(toNotification)
  }

  /** Renew with wsa:MessageID, To and Action; resolves to the lifetime the camera granted (null: it did not say). */
  async renew(): Promise<{ lifetimeMs: number | null }> {
    return { lifetimeMs: renewResponseLifetimeMs(await this.subscriptionCall('Renew')) }
  }

  /**
   * Gives the subscription back (a camera has few: ONVIF lets it cap them),
   * then cuts its PullMessages long poll if one is still waiting. The
   * subscription counts as given back whatever the camera answers: one it no
   * longer knows is gone anyway, and one it would not release expires.
   */
  async unsubscribe(timeoutMs = this.opts.timeoutMs): Promise<void> {
    if (!this.subscription) return
    try {
      await this.subscriptionCall('Unsubscribe', timeoutMs)
    } finally {
      this.subscription = null
      delete (this.cam.events as { subscription?: unknown }).subscription
      this.cutPull()
    }
  }

  /** Ends a waiting PullMessages now (it fails); the subscription itself stays. */
  cutPull(): void {
    this.pullAgent?.destroy()
    this.pullAgent = null
    if (this.subscription) this.subscription.url.agent = this.pullAgent = new Agent({ keepAlive: true, maxSockets: 1 })
  }

  private subscriptionCall(op: SubscriptionOperation, timeoutMs = this.opts.timeoutMs): Promise<string> {
    const sub = this.subscription
    if (!sub) return Promise.reject(new OnvifCallError('fault', `${op}: no subscription`))
    const cam = this.cam as unknown as CamRequests
    return this.call<string>(op, (cb) => {
      const req = subscriptionRequest(op, { address: sub.url.href, subscriptionId: sub.subscriptionId }, `urn:uuid:${randomUUID()}`)
      const body = `${cam._envelopeHeader(true)}${req.headers}</s:Header>${req.body}</s:Envelope>`
      // A copy of the address on the main agent: the pull agent carries the long poll only.
      cam._request({ url: { ...sub.url, agent: this.agent }, body, action: req.action }, (err, _res, xml) => cb(err, xml ?? '', xml))
    }, timeoutMs)
  }

  /** Cuts every socket of this camera; pending calls fail, later calls reject at once. */
  close(): void {
    this.closed = true
    this.agent.destroy()
    this.pullAgent?.destroy()
    this.pullAgent = null
  }
}

function toNotification(m: unknown): Notification {
  const msg = m as {
    topic?: { _?: string } | string
    message?: { message?: { $?: { PropertyOperation?: string }; data?: { simpleItem?: unknown } } }
  }
  const topic = typeof msg.topic === 'string' ? msg.topic : (msg.topic?._ ?? '')
  const inner = msg.message?.message
  const items = inner?.data?.simpleItem
  const list = items === undefined ? [] : Array.isArray(items) ? items : [items]
  const data: Record<string, string> = {}
  for (const it of list as { $?: { Name?: string; Value?: string } }[]) {
    if (it?.$?.Name !== undefined) data[it.$.Name] = String(it.$.Value ?? '')
  }
  return { topic: String(topic), data, operation: inner?.$?.PropertyOperation ?? null }
}

/**
 * Pure: a media URI the camera answered, checked before the edge attaches the
 * camera's credentials to it. It must use an expected scheme and name the
 * host the camera's ONVIF address names: a camera (or whoever answers in its
 * place) must not send the edge, password in hand, to another machine.
 */
export function mediaUri(call: string, uri: string, onvifUrl: string, schemes: readonly string[]): string {
  let u: URL
  try {
    u = new URL(uri)
  } catch {
    throw new OnvifCallError('malformed', `${call}: not a URL`)
  }
  if (!schemes.includes(u.protocol)) throw new OnvifCallError('malformed', `${call}: scheme ${u.protocol} is not ${schemes.join(' or ')}`)
  const camera = new URL(onvifUrl).hostname
  if (u.hostname !== camera) throw new OnvifCallError('malformed', `${call}: host ${u.hostname} is not the camera's (${camera})`)
  return uri
}
