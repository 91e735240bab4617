process.env.LOG_LEVEL ??= 'silent'
import { describe, expect, it } from 'vitest'
import { emptyStats } from '../../edge/broker/stats.js'
import { DEFAULT_THRESHOLDS, evaluateHealth, type CameraHealth, type HealthInputs } from '../../edge/health/status.js'
import { sampleHealth, startHealthSampler } from '../../edge/health/sampler.js'
import { readCpuTempC } from '../../edge/health/system.js'
import { edgeRecord } from '../../protocol/records.js'
import { createLogger } from '../../common/log.js'
import type { ForwarderStatus } from '../../edge/forwarder/forwarder.js'
import { testSite } from '../support/edge-site.js'
import { MemoryOutbox } from '../support/memory-outbox.js'
import { ManualClock } from '../support/manual-clock.js'
import { waitFor } from '../../testkit/wait.js'

const NOW = Date.UTC(2026, 10, 21, 9)
const okForwarder: ForwarderStatus = {
  running: true, lastSuccessAt: NOW - 1000, lastErrorCode: null, lastErrorAt: null, consecutiveFailures: 0,
  nextAttemptAt: null, inFlight: 0, batchSize: 2000, delivered: 10, deadLettered: 0,
}
const inputs = (over: Partial<HealthInputs> = {}): HealthInputs => ({
  now: NOW,
  startedAt: NOW - 3_600_000,
  outbox: { depth: 0, bytes: 0, oldestAgeS: 0, shed: 0, deadLetters: 0, refusing: null },
  lastStoreFailure: null,
  forwarder: okForwarder,
  ...over,
})

describe('health verdict', () => {
  it('is ok when nothing is wrong', () => {
    expect(evaluateHealth(inputs())).toEqual({ status: 'ok', reasons: [] })
  })

  it('names every reason it is degraded', () => {
    const v = evaluateHealth(
      inputs({
        outbox: { depth: 900, bytes: 1e6, oldestAgeS: 7200, shed: 0, deadLetters: 0, refusing: 'EDGE_DISK_FULL' },
        lastStoreFailure: { code: 'EDGE_DISK_FULL', message: 'no space', at: NOW - 30_000 },
        forwarder: { ...okForwarder, lastSuccessAt: NOW - 20 * 60_000, consecutiveFailures: 12, lastErrorCode: 'EDGE_HUB_UNREACHABLE' },
      }),
    )
    expect(v.status).toBe('degraded')
    expect(v.reasons.map((r) => r.code)).toEqual(['OUTBOX_REFUSING', 'EDGE_DISK_FULL', 'EDGE_HUB_UNREACHABLE', 'OUTBOX_BACKLOG'])
    expect(v.reasons[2]?.message).toMatch(/no batch delivered to the hub for 20 min \(12 failures in a row\)/)
  })

  it('forgets an old store failure, and a short hub outage is not yet "unreachable"', () => {
    expect(evaluateHealth(inputs({
      lastStoreFailure: { code: 'EDGE_DISK_FULL', message: 'x', at: NOW - 6 * 60_000 },
      forwarder: { ...okForwarder, lastSuccessAt: NOW - 60_000, consecutiveFailures: 3 },
    })).status).toBe('ok')
    expect(evaluateHealth(inputs({ forwarder: { ...okForwarder, running: false } })).reasons[0]?.code).toBe('FORWARDER_STOPPED')
  })
})

describe('health verdict with cameras', () => {
  const cam = (over: Partial<CameraHealth>): CameraHealth => ({
    id: 'cam-1', state: 'online', since: NOW - 3_600_000, forS: 3600, detail: 'ok', events: 'subscribed', eventFailures: 0, tamper: false, motion: false, ...over,
  })
  const t = { ...DEFAULT_THRESHOLDS, cameraDownMs: 600_000 }

  it('degrades for a camera down past the threshold, naming it, state and why; not before, and not for online ones', () => {
    const cameras = [
      cam({ id: 'cam-1' }),
      cam({ id: 'cam-2', state: 'offline', forS: 47 * 60, detail: 'GetSystemDateAndTime: no answer within 2500 ms' }),
      cam({ id: 'cam-3', state: 'no_stream', forS: 599, detail: 'RTSP: no frame' }),
      cam({ id: 'cam-4', state: 'auth_failed', forS: 3 * 3600 + 5 * 60, detail: 'Sender not Authorized' }),
    ]
    const v = evaluateHealth(inputs({ cameras }), t)
    expect(v.status).toBe('degraded')
    expect(v.reasons).toEqual([
      { code: 'CAMERA_DOWN', message: 'camera cam-2 offline for 47 min: GetSystemDateAndTime: no answer within 2500 ms' },
      { code: 'CAMERA_DOWN', message: 'camera cam-4 auth_failed for 3 h 05 min: Sender not Authorized' },
    ])
    // Ten minutes is the default, as for the hub being unreachable.
    expect(DEFAULT_THRESHOLDS.cameraDownMs).toBe(600_000)
    expect(evaluateHealth(inputs({ cameras: [cam({ state: 'clock_skew', forS: 600 })] })).reasons[0]?.message).toBe('camera cam-1 clock_skew for 10 min: ok')
  })

  it('takes its threshold from the config key health.cameraDownS: 600 s by default, a whole number of seconds, 0 for never', () => {
    expect(testSite().config.health).toEqual({ cameraDownS: 600 })
    expect(testSite({ health: { cameraDownS: 0 } }).config.health.cameraDownS).toBe(0)
    expect(() => testSite({ health: { cameraDownS: -1 } })).toThrow(/cameraDownS/)
    expect(() => testSite({ health: { cameraDownS: 1.5 } })).toThrow(/cameraDownS/)
    expect(() => testSite({ health: { cameraDownSeconds: 60 } })).toThrow(/cameraDownSeconds/)
  })

  it('stays ok with every camera online, on a site without cameras, and when the threshold is 0 (never)', () => {
    expect(evaluateHealth(inputs({ cameras: [cam({}), cam({ id: 'cam-2' })] }), t)).toEqual({ status: 'ok', reasons: [] })
    expect(evaluateHealth(inputs({ cameras: null }), t).status).toBe('ok')
    expect(evaluateHealth(inputs({ cameras: [cam({ state: 'offline', forS: 86_400 })] }), { ...t, cameraDownMs: 0 }).status).toBe('ok')
  })
})

describe('health sampler', () => {
  it('produces a schema-valid edge_health record from the live sources', async () => {
    const outbox = new MemoryOutbox()
    const clock = new ManualClock()
    const stats = emptyStats()
    stats.rejectedTotal = 7
    const record = await sampleHealth({
      outbox, brokerStats: stats, clock, connectedClients: () => 3, uptimeS: () => 12.7,
      diskFreeBytes: async () => 5e9, cpuTempC: async () => 48.3, rssBytes: () => 80e6,
    })
    expect(record).toMatchObject({ kind: 'edge_health', uptimeS: 12, connectedDevices: 3, rejected: 7, diskFreeBytes: 5e9, cpuTempC: 48.3, clockOffsetMs: 0 })
    expect(edgeRecord.safeParse({ ...record, seq: 1, t: 1, clock: 'synced' }).success).toBe(true)
  })

  it('stores a sample on every tick of its timer, and survives a failing source', async () => {
    const outbox = new MemoryOutbox()
    let tick: (() => void) | null = null
    let cleared = false
    const sampler = startHealthSampler({
      intervalS: 60,
      log: createLogger('test', 'silent'),
      timers: { setInterval: (fn, ms) => { expect(ms).toBe(60_000); tick = fn; return 1 }, clearInterval: () => { cleared = true } },
      sources: {
        outbox, brokerStats: emptyStats(), clock: new ManualClock(), connectedClients: () => 0, uptimeS: () => 1,
        diskFreeBytes: () => Promise.reject(new Error('statfs failed')), cpuTempC: () => readCpuTempC('/nonexistent/temp'), rssBytes: () => 1,
      },
    })
    tick!()
    await sampler.sampleNow()
    await waitFor('an edge_health record', () => outbox.ofKind('edge_health').length >= 1)
    expect(outbox.ofKind('edge_health')[0]).toMatchObject({ diskFreeBytes: 0, cpuTempC: null })
    outbox.failWith('EDGE_DISK_FULL')
    await expect(sampler.sampleNow()).resolves.toBeUndefined()
    sampler.stop()
    expect(cleared).toBe(true)
  })
})
