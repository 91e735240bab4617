/**
 * The camera monitor's event subscription against a scripted ONVIF client:
 * what it gives back and when. A camera has few subscription slots (the one
 * tried in the field: 8), so every subscription the edge stops using is
 * Unsubscribed — before the next one on a failure, when the session is
 * dropped, and on shutdown — and a Renew runs on its own timer, at half the
 * lifetime the camera granted, while a PullMessages waits. The same against
 * the simulator and the real edge process: tests/edge/cameras-quirks.test.ts.
 */
process.env.LOG_LEVEL ??= 'silent'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../common/log.js'
import { CameraMonitor, type OnvifSession } from '../../edge/cameras/camera.js'
import { DEFAULT_HEALTH_POLICY } from '../../edge/cameras/health.js'
import type { Notification } from '../../edge/cameras/onvif-client.js'
import { OnvifCallError } from '../../edge/cameras/onvif-errors.js'
import { SnapshotStore } from '../../edge/cameras/snapshot-store.js'
import { waitFor } from '../../testkit/wait.js'
import { ManualClock } from '../support/manual-clock.js'

/** A camera as the monitor's ONVIF client sees it, with a log of the subscription calls it received. */
class ScriptedCamera implements OnvifSession {
  readonly calls: string[] = []
  subscribed = false
  /** Renews still to refuse. */
  refuseRenews = 0
  /** Lifetime granted by Create and Renew. */
  lifetimeMs = 2000
  /** The health check fails (no answer) while set. */
  down = false
  private waiting: { resolve: (n: Notification[]) => void; reject: (e: Error) => void } | null = null

  async systemTime() {
    if (this.down) throw new OnvifCallError('timeout', 'GetSystemDateAndTime: no answer within 200 ms')
    return { cameraMs: Date.now(), localMs: Date.now() }
  }
  async connect() {}
  async deviceInfo() {
    if (this.down) throw new OnvifCallError('timeout', 'GetDeviceInformation: no answer within 200 ms')
    return { manufacturer: 'M', model: 'X', firmwareVersion: '1', serialNumber: 'S', hardwareId: 'H' }
  }
  profiles() {
    return [{ token: 'Profile_1', name: 'Profile_1', encoding: 'H264', width: 640, height: 360 }]
  }
  async streamUri() { return 'rtsp://127.0.0.1/stream1' }
  async snapshotUri() { return 'http://127.0.0.1/snap.jpg' }
  async createPullPoint() {
    this.calls.push('create')
    this.subscribed = true
    return { lifetimeMs: this.lifetimeMs }
  }
  pull() {
    this.calls.push('pull')
    return new Promise<Notification[]>((resolve, reject) => (this.waiting = { resolve, reject }))
  }
  async renew() {
    this.calls.push('renew')
    if (this.refuseRenews > 0) {
      this.refuseRenews--
      throw new OnvifCallError('fault', 'Renew: ONVIF SOAP Fault: Action failed')
    }
    return { lifetimeMs: this.lifetimeMs }
  }
  async unsubscribe() {
    this.calls.push('unsubscribe')
    this.subscribed = false
    this.cutPull()
  }
  cutPull() {
    this.waiting?.reject(new Error('socket hang up'))
    this.waiting = null
  }
  close() {
    this.calls.push('close')
  }
  /** Subscription calls only (pulls left out), in order. */
  get lifecycle() {
    return this.calls.filter((c) => c !== 'pull')
  }
}

let dir: string
let snapshots: SnapshotStore
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'motcua-cam-events-'))
  snapshots = new SnapshotStore(dir, 10)
  await snapshots.open()
})
afterAll(() => rm(dir, { recursive: true, force: true }))

function monitor(cam: ScriptedCamera) {
  return new CameraMonitor({
    settings: { id: 'cam-1', name: 'Quầy 1', counter: null, onvif: 'http://127.0.0.1:1/onvif/device_service', username: 'admin', password: 'pw' },
    clock: new ManualClock(Date.now()),
    log: createLogger('test', 'silent'),
    snapshots,
    policy: DEFAULT_HEALTH_POLICY,
    timing: { checkIntervalMs: 100, onvifTimeoutMs: 200, streamCheckIntervalMs: 15_000, streamTimeoutMs: 1000, snapshotTimeoutMs: 500 },
    streamActive: () => true, // no ffmpeg: the stream is taken as delivering
    onStateChange: () => undefined,
    onEvent: () => undefined,
    createClient: () => cam,
  })
}

describe('camera event subscription', () => {
  it('renews on its own timer at half the granted lifetime while a PullMessages waits', async () => {
    const cam = new ScriptedCamera()
    const m = monitor(cam)
    m.start()
    try {
      await waitFor('subscribed', () => m.view().events === 'subscribed')
      // 2 s granted: a Renew every second, though the one pull never returns.
      await waitFor('three renewals', () => cam.calls.filter((c) => c === 'renew').length >= 3, { timeoutMs: 10_000 })
      expect(cam.calls.filter((c) => c === 'pull')).toHaveLength(1)
      expect(cam.lifecycle.filter((c) => c === 'create')).toHaveLength(1)
      expect(m.view()).toMatchObject({ events: 'subscribed', eventFailures: 0 })
    } finally {
      await m.stop()
    }
    // Shutdown gives the subscription back, then closes.
    expect(cam.lifecycle.slice(-2)).toEqual(['unsubscribe', 'close'])
  })

  it('gives a broken subscription back before making the next one', async () => {
    const cam = new ScriptedCamera()
    cam.refuseRenews = 1
    const m = monitor(cam)
    m.start()
    try {
      await waitFor('subscribed again after the refused Renew', () => cam.lifecycle.filter((c) => c === 'create').length === 2 && m.view().events === 'subscribed', { timeoutMs: 10_000 })
      expect(cam.lifecycle.slice(0, 4)).toEqual(['create', 'renew', 'unsubscribe', 'create'])
      expect(m.view().eventFailures).toBe(1)
    } finally {
      await m.stop()
    }
  })

  it('gives the subscription back when the session is dropped, and makes one afresh when the camera answers again', async () => {
    const cam = new ScriptedCamera()
    cam.lifetimeMs = 60_000
    const m = monitor(cam)
    m.start()
    try {
      await waitFor('subscribed', () => m.view().events === 'subscribed')
      cam.down = true
      await waitFor('offline', () => m.view().state === 'offline')
      await waitFor('given back and closed', () => cam.lifecycle.includes('close'))
      expect(cam.lifecycle.slice(0, 3)).toEqual(['create', 'unsubscribe', 'close'])
      // Each later round makes a client, fails and closes it: nothing more to give back.
      expect(cam.lifecycle.slice(3).every((c) => c === 'close')).toBe(true)
      expect(cam.subscribed).toBe(false)
      cam.down = false
      await waitFor('subscribed again', () => m.view().events === 'subscribed' && cam.subscribed)
      expect(cam.lifecycle.filter((c) => c === 'create')).toHaveLength(2)
    } finally {
      await m.stop()
    }
    expect(cam.subscribed).toBe(false)
  })

  it('stops within the call deadline when the camera never answers the Unsubscribe', async () => {
    const cam = new ScriptedCamera()
    cam.lifetimeMs = 60_000
    cam.unsubscribe = () => {
      cam.calls.push('unsubscribe')
      return new Promise<void>(() => undefined)
    }
    const m = monitor(cam)
    m.start()
    await waitFor('subscribed', () => m.view().events === 'subscribed')
    const started = performance.now()
    // A real client's Unsubscribe has the call deadline (200 ms here); this one never settles, so stop() waits on its own bound.
    const stopped = await Promise.race([m.stop().then(() => true), new Promise((r) => setTimeout(() => r(false), 5000))])
    expect(stopped, `stop() still waiting after ${Math.round(performance.now() - started)} ms`).toBe(true)
  })
})
