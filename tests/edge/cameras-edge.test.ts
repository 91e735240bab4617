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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

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
    const deadline = Date.now() + 15_000
    while (Date.now() < deadline && !(cams.camera('cam-good')?.state === 'online' && cams.camera('cam-slow')?.state === 'offline')) await sleep(100)
    expect(cams.camera('cam-good')?.state).toBe('online')
    expect(cams.camera('cam-slow')?.state).toBe('offline')
    expect(outbox.ofKind('camera_status').map((r) => [r.camera, r.state]).sort()).toEqual([['cam-good', 'online'], ['cam-slow', 'offline']])

    const page = await fetch(`http://127.0.0.1:${edge.ports.http}/supervisor/`)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('Giám sát camera')

    // A rating over MQTT is acknowledged promptly while one camera hangs every ONVIF call.
    const kiosk = devices.k1!
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${edge.ports.mqtt}`, { clientId: kiosk.id, username: kiosk.id, password: kiosk.secret, reconnectPeriod: 0 })
    const sent = Date.now()
    await client.publishAsync(topics.rating('ct-center', 'q1'), JSON.stringify({ v: 1, id: 'rating-0001', ts: Date.now(), scale: 4, level: 1 }), { qos: 1 })
    // The hung camera answers after 60 s; anything well below that shows the rating did not wait for it.
    expect(Date.now() - sent).toBeLessThan(10_000)
    await client.endAsync()
    expect(outbox.ofKind('rating').map((r) => r.eventId)).toEqual(['rating-0001'])
    expect(topics.cameraState('ct-center', 'cam-good')).toBe('motcua/v1/ct-center/camera/cam-good/state')
    expect(livePids()).toEqual([])
  })
})
