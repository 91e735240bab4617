process.env.LOG_LEVEL ??= 'silent'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashPassword } from '../../common/secrets.js'
import { startCameraSim, type CameraSim } from '../../devices/camera-sim/index.js'
import { startEdge, type RunningEdge } from '../../edge/main.js'
import { livePids } from '../../edge/live/reaper.js'
import { topics } from '../../protocol/topics.js'
import { ManualClock } from '../support/manual-clock.js'
import { MemoryOutbox } from '../support/memory-outbox.js'
import { testSite } from '../support/edge-site.js'
import { waitFor } from '../../testkit/wait.js'

let good: CameraSim
let slow: CameraSim
let edge: RunningEdge
let dir: string
let devices: ReturnType<typeof testSite>['devices']
const outbox = new MemoryOutbox()

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'motcua-edgecam-'))
  ;[good, slow] = await Promise.all([startCameraSim({ discovery: false }), startCameraSim({ discovery: false })])
  await slow.setFault('slow', { delayMs: 60_000 })
  const site = testSite({
    cameras: [
      { id: 'cam-good', name: 'Sảnh', onvif: good.onvifUrl, username: good.user, password: good.password, counter: 'q1' },
      { id: 'cam-slow', name: 'Quầy 2', onvif: slow.onvifUrl, username: slow.user, password: slow.password },
    ],
    cameraOptions: { discovery: false, checkIntervalS: 1, snapshotDir: dir, snapshotMaxFiles: 10 },
    supervisors: [{ username: 'giamsat', name: 'Giám sát', passwordHash: await hashPassword('pw-giam-sat') }],
  })
  devices = site.devices
  edge = await startEdge(site.config, { outbox, clock: new ManualClock(Date.now()), forward: false })
})

afterAll(async () => {
  await edge?.stop()
  await Promise.all([good?.stop(), slow?.stop()])
  await rm(dir, { recursive: true, force: true })
})

describe('cameras wired into the edge', () => {
  it('reports camera health into the outbox and serves the supervisor page, while a hung camera never delays a rating', async () => {
    const cams = edge.cameras!.cameras
    await waitFor('cam-good online and cam-slow offline', () => cams.camera('cam-good')?.state === 'online' && cams.camera('cam-slow')?.state === 'offline')
    // Each camera's latest record (with 1 s ONVIF deadlines a loaded machine can record a slow first round as offline).
    const latest = new Map(outbox.ofKind('camera_status').map((r) => [r.camera, r.state]))
    expect([...latest].sort()).toEqual([['cam-good', 'online'], ['cam-slow', 'offline']])

    const page = await fetch(`http://127.0.0.1:${edge.ports.http}/supervisor/`)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('Giám sát camera')

    // A rating over MQTT is acknowledged promptly while one camera hangs every ONVIF call.
    const kiosk = devices.k1!
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${edge.ports.mqtt}`, { clientId: kiosk.id, username: kiosk.id, password: kiosk.secret, reconnectPeriod: 0 })
    let acked = false // settled, either way: awaiting `publishing` below reports a failure
    const publishing = client.publishAsync(topics.rating('ct-center', 'q1'), JSON.stringify({ v: 1, id: 'rating-0001', ts: Date.now(), scale: 4, level: 1 }), { qos: 1 })
    const settled = () => (acked = true)
    void publishing.then(settled, settled)
    // The hung camera answers after 60 s; acknowledged within half of that, the rating did not wait for it.
    await waitFor('the rating acknowledged while a camera hangs', () => acked, { timeoutMs: 30_000 })
    await publishing
    await client.endAsync()
    expect(outbox.ofKind('rating').map((r) => r.eventId)).toEqual(['rating-0001'])
    expect(topics.cameraState('ct-center', 'cam-good')).toBe('motcua/v1/ct-center/camera/cam-good/state')
    // The online camera's stream is kept warm for the next viewer (one ffmpeg, nobody watching); the hung one has none.
    const pid = await waitFor('the warm ffmpeg of cam-good', () => edge.cameras!.live.status()['cam-good']?.remuxer?.pid)
    const live = edge.cameras!.live.status()
    expect(Object.keys(live)).toEqual(['cam-good'])
    expect(live['cam-good']).toMatchObject({ warm: true, viewers: 0 })
    expect(livePids()).toEqual([pid])
  })
})
