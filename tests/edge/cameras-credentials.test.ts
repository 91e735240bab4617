/**
 * Issue 11, finding 3: a camera's password must not reach its `detail`, the
 * edge log, the supervisor API or the outbox (and from there InfluxDB), with
 * the real ffmpeg's real error text. The password carries `@`, `:` and `%`,
 * as field cameras' passwords do.
 */
process.env.LOG_LEVEL ??= 'silent'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../common/log.js'
import { hashPassword } from '../../common/secrets.js'
import { startCameraSim, type CameraSim } from '../../devices/camera-sim/index.js'
import { startEdge, type RunningEdge } from '../../edge/main.js'
import { createRemuxer } from '../../edge/live/remuxer.js'
import { probeStream } from '../../edge/cameras/stream-probe.js'
import { waitFor } from '../../testkit/wait.js'
import { ManualClock } from '../support/manual-clock.js'
import { MemoryOutbox } from '../support/memory-outbox.js'
import { testSite } from '../support/edge-site.js'

const PASSWORD = 'p@ss:w0rd%9'
/** Every form the password can take in a URL or a message. */
const FORMS = [PASSWORD, encodeURIComponent(PASSWORD), 'p%40ss:w0rd', 'w0rd%9', 'w0rd%259']
const leaks = (text: string) => FORMS.filter((f) => text.includes(f))

const lines: string[] = []
const captured = { write: (line: string) => void lines.push(line) }

let sim: CameraSim
let edge: RunningEdge
let dir: string
const outbox = new MemoryOutbox()

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'motcua-camcred-'))
  sim = await startCameraSim({ discovery: false, password: PASSWORD })
  // ONVIF keeps answering with the stream URI; the RTSP port behind it now refuses connections.
  process.kill(sim.rtspPid!, 'SIGKILL')
  await waitFor('the simulator RTSP port refusing', async () => !(await probeStream(sim.rtspUrl, 3000)).ok)
  const site = testSite({
    cameras: [{ id: 'cam-1', name: 'Sảnh', onvif: sim.onvifUrl, username: sim.user, password: PASSWORD, counter: 'q1' }],
    cameraOptions: { discovery: false, checkIntervalS: 1, snapshotDir: dir, snapshotMaxFiles: 10 },
    supervisors: [{ username: 'giamsat', name: 'Giám sát', passwordHash: await hashPassword('pw-giam-sat') }],
  })
  edge = await startEdge(site.config, { outbox, clock: new ManualClock(Date.now()), forward: false, log: createLogger('edge', 'debug', captured) })
})

afterAll(async () => {
  await edge?.stop()
  await sim?.stop()
  await rm(dir, { recursive: true, force: true })
})

describe('camera credentials (issue 11, finding 3)', () => {
  it('a real ffmpeg refused with the password in its URL leaves no password in the detail, the log, the API or the outbox', async () => {
    const cams = edge.cameras!.cameras
    const view = await waitFor('cam-1 without a stream, for a refused connection', () => {
      const v = cams.camera('cam-1')
      return v?.state === 'no_stream' && /refused/i.test(v.detail) ? v : null
    }, { timeoutMs: 30_000 })
    expect(view.detail).toMatch(/^RTSP: rtsp:\/\/127\.0\.0\.1:\d+\/stream1: Connection refused$/)

    const login = await fetch(`http://127.0.0.1:${edge.ports.http}/supervisor/login`, {
      method: 'POST', redirect: 'manual', body: new URLSearchParams({ username: 'giamsat', password: 'pw-giam-sat', lang: 'vi' }),
    })
    expect(login.status).toBe(303)
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!
    const api = await (await fetch(`http://127.0.0.1:${edge.ports.http}/supervisor/api/cameras`, { headers: { cookie } })).text()
    expect(api).toContain('Connection refused')

    const records = JSON.stringify(outbox.ofKind('camera_status'))
    expect(records).toContain('Connection refused')
    const log = lines.join('')
    expect(log).toContain('Connection refused')
    expect({ detail: leaks(view.detail), api: leaks(api), outbox: leaks(records), log: leaks(log) }).toEqual({ detail: [], api: [], outbox: [], log: [] })
  })

  it('the live remuxer refused with the password in its URL keeps it out of its status and its log', async () => {
    const remuxLines: string[] = []
    const url = `rtsp://admin:${PASSWORD}@127.0.0.1:${sim.rtspPort}/stream1`
    const remuxer = createRemuxer({
      url, log: createLogger('test', 'debug', { write: (l: string) => void remuxLines.push(l) }), onPiece: () => undefined,
      backoffMinMs: 60_000, backoffMaxMs: 60_000,
    })
    remuxer.start()
    try {
      const failure = await waitFor('the remuxer run to fail', () => remuxer.status().lastFailure)
      expect(failure).toContain('Connection refused')
      expect({ status: leaks(JSON.stringify(remuxer.status())), log: leaks(remuxLines.join('')) }).toEqual({ status: [], log: [] })
    } finally {
      await remuxer.stop()
    }
  })
})
