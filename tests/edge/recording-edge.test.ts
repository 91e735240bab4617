process.env.LOG_LEVEL ??= 'silent'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DAY_MS } from '../../common/time.js'
import { startCameraSim, type CameraSim } from '../../devices/camera-sim/index.js'
import { startEdge, type RunningEdge } from '../../edge/main.js'
import { livePids } from '../../edge/live/reaper.js'
import { topics } from '../../protocol/topics.js'
import { metricSample } from '../../testkit/metrics.js'
import { waitFor } from '../../testkit/wait.js'
import type { Clock } from '../../edge/clock/types.js'
import { MemoryOutbox } from '../support/memory-outbox.js'
import { testSite } from '../support/edge-site.js'

let sim: CameraSim
let edge: RunningEdge
let dir: string
let devices: ReturnType<typeof testSite>['devices']
/** A trusted clock that follows the wall clock: segment times come from it. */
const clock: Clock = {
  now: () => Date.now(),
  stamp: () => ({ wall: Date.now(), mono: performance.now(), boot: 'test-boot', t: Date.now(), clock: 'synced' }),
  offsetMs: () => 0,
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'motcua-edgerec-'))
  sim = await startCameraSim({ discovery: false })
  const site = testSite({
    cameras: [{ id: 'cam-1', name: 'Quầy 1', onvif: sim.onvifUrl, username: sim.user, password: sim.password, counter: 'q1', recording: 'continuous' }],
    cameraOptions: { discovery: false, checkIntervalS: 1, snapshotDir: join(dir, 'snapshots'), snapshotMaxFiles: 10 },
    recordingOptions: { dir: join(dir, 'recording'), segmentS: 2, minFreeBytes: 200e6 },
  })
  devices = site.devices
  edge = await startEdge(site.config, { outbox: new MemoryOutbox(), clock, forward: false })
})

afterAll(async () => {
  await edge?.stop()
  await sim?.stop()
  await rm(dir, { recursive: true, force: true })
})

describe('recording wired into the edge', () => {
  it('records the camera on its live channel and keeps a clip around a dissatisfied rating published at its counter', { timeout: 120_000 }, async () => {
    const rec = edge.recording!
    expect(rec).not.toBeNull()
    await waitFor('a segment recorded', () => rec.status().cameras['cam-1']!.segments >= 1, { timeoutMs: 60_000 })
    // Recording and the warm live view share one ffmpeg.
    expect(livePids()).toHaveLength(1)
    // The same status on the edge's /metrics, for the province's monitoring.
    const metrics = await (await fetch(`http://127.0.0.1:${edge.ports.http}/metrics`)).text()
    const value = (series: string) => metricSample(metrics, series)
    expect(value('motcua_edge_recording_attached{camera="cam-1"}')).toBe(1)
    expect(value('motcua_edge_recording_segments_total{camera="cam-1"}')).toBeGreaterThanOrEqual(1)
    expect(value('motcua_edge_recording_last_segment_seconds{camera="cam-1"}')).toBeGreaterThan(Date.now() / 1000 - 120)
    expect(value('motcua_edge_recording_paused{reason="disk"}')).toBe(0)
    expect(value('motcua_edge_recording_paused{reason="budget"}')).toBe(0)
    expect(value('motcua_edge_recording_kept_bytes')).toBeGreaterThan(0)
    expect(value('motcua_edge_recording_free_bytes')).toBeGreaterThan(0)

    const kiosk = devices.k1!
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${edge.ports.mqtt}`, { clientId: kiosk.id, username: kiosk.id, password: kiosk.secret, reconnectPeriod: 0 })
    await client.publishAsync(topics.rating('ct-center', 'q1'), JSON.stringify({ v: 1, id: 'rating-rec-01', ts: Date.now(), scale: 4, level: 4 }), { qos: 1 })
    await client.publishAsync(topics.rating('ct-center', 'q1'), JSON.stringify({ v: 1, id: 'rating-rec-02', ts: Date.now(), scale: 4, level: 1 }), { qos: 1 })
    await client.endAsync()
    const clips = await waitFor('the rating clip', async () => {
      const c = await rec.clips('cam-1', 0, clock.now() + DAY_MS)
      return c.length > 0 ? c : null
    })
    // Only the dissatisfied one: a clip of 30 s either side of it, kept 90 days.
    expect(clips.map((c) => [c.reason, c.ref])).toEqual([['rating', 'rating-rec-01']])
    expect(clips[0]!.to - clips[0]!.from).toBe(60_000)
    expect(clips[0]!.keepUntil - clips[0]!.to).toBe(90 * DAY_MS - 30_000)
  })
})
