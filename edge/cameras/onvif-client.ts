/**
 * Promise wrapper around the `onvif` package's Cam for one camera. Every call
 * has its own deadline (the package's own default is two minutes), and each
 * camera has its own HTTP agent so close() can cut its sockets, including a
 * PullMessages long poll, without touching any other camera.
 */
import { Agent } from 'node:http'
import { Cam } from 'onvif'
import { classifyOnvifError, OnvifCallError } from './onvif-errors.js'

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

export class OnvifClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 4 })
  private readonly cam: Cam
  private closed = false

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

  async createPullPoint(): Promise<void> {
    await this.call<unknown>('CreatePullPointSubscription', (cb) => this.cam.createPullPointSubscription(cb))
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

  async renew(): Promise<void> {
    await this.call<unknown>('Renew', (cb) => this.cam.renew({}, cb))
  }

  async unsubscribe(): Promise<void> {
    await this.call<unknown>('Unsubscribe', (cb) => this.cam.unsubscribe(cb, true))
  }

  /** Cuts every socket of this camera; pending calls fail, later calls reject at once. */
  close(): void {
    this.closed = true
    this.agent.destroy()
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
