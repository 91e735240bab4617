process.env.LOG_LEVEL ??= 'silent'
import { execFile, spawn } from 'node:child_process'
import dgram from 'node:dgram'
import net from 'node:net'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCameraSim, type CameraSim } from '../../devices/camera-sim/index.js'
import { waitFor } from '../../testkit/wait.js'
import { call, connectCam, fetchWithDigest, onvif, postSoap, securityHeader, soapEnvelope } from './support/onvif-client.js'

const run = promisify(execFile)
const DEVICE_NS = 'http://www.onvif.org/ver10/device/wsdl'
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
let sim: CameraSim

beforeAll(async () => {
  sim = await startCameraSim({ discovery: { port: 0, multicast: false } })
})

afterAll(async () => {
  await sim?.stop()
})

const rtspWithCreds = () => sim.rtspUrl.replace('rtsp://', `rtsp://${sim.user}:${sim.password}@`)
const deviceInfo = (created?: string) =>
  postSoap(sim.onvifUrl, soapEnvelope(`<GetDeviceInformation xmlns="${DEVICE_NS}"/>`, securityHeader(sim.user, sim.password, created)))
/**
 * Whether the camera's GetSystemDateAndTime is the test's clock plus `skewMs`: it must fall between
 * the second the request was sent in (the answer has whole seconds) and the moment the answer came,
 * however long the machine took in between.
 */
async function expectCameraClock(skewMs = 0): Promise<void> {
  const sent = Date.now() + skewMs
  const res = await postSoap(sim.onvifUrl, soapEnvelope(`<GetSystemDateAndTime xmlns="${DEVICE_NS}"/>`))
  const answered = Date.now() + skewMs
  const utc = /<tt:UTCDateTime>(.*?)<\/tt:UTCDateTime>/.exec(res.text)?.[1] ?? ''
  const n = (tag: string) => Number(new RegExp(`<tt:${tag}>(\\d+)</tt:${tag}>`).exec(utc)?.[1])
  const camera = Date.UTC(n('Year'), n('Month') - 1, n('Day'), n('Hour'), n('Minute'), n('Second'))
  expect(camera).toBeGreaterThanOrEqual(Math.floor(sent / 1000) * 1000)
  expect(camera).toBeLessThanOrEqual(answered)
}

/** Sends a WS-Discovery Probe to the simulator; `answered()` tells whether a reply has come since. */
async function probe(): Promise<{ answered: () => boolean; close: () => void }> {
  const sock = dgram.createSocket('udp4')
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', () => resolve()))
  let answered = false
  sock.once('message', () => (answered = true))
  sock.send('<Envelope xmlns="http://www.w3.org/2003/05/soap-envelope"><Header><MessageID>uuid:x</MessageID></Header><Body>' +
    '<Probe xmlns="http://schemas.xmlsoap.org/ws/2005/04/discovery"/></Body></Envelope>', sim.discoveryPort, '127.0.0.1')
  return { answered: () => answered, close: () => sock.close() }
}

describe('fault modes', () => {
  it('offline: SOAP and RTSP refuse, discovery is silent; all come back on the same ports', async () => {
    await sim.setFault('offline')
    await expect(postSoap(sim.onvifUrl, soapEnvelope(`<GetSystemDateAndTime xmlns="${DEVICE_NS}"/>`)))
      .rejects.toMatchObject({ cause: { code: 'ECONNREFUSED' } })
    await expect(run('ffprobe', ['-v', 'error', '-rtsp_transport', 'tcp', '-i', rtspWithCreds()], { timeout: 20_000 }))
      .rejects.toMatchObject({ stderr: expect.stringMatching(/Connection refused/) })
    const silent = await probe()
    await sleep(1000) // deliberately lets time pass: an offline camera must not answer in it
    expect(silent.answered()).toBe(false)
    silent.close()

    await sim.setFault('none')
    const cam = await connectCam(sim.httpPort, sim.user, sim.password)
    const info = await call<Record<string, string>>((cb) => cam.getDeviceInformation(cb))
    expect(info.serialNumber).toBe(sim.identity.serialNumber)
    const { stdout } = await run('ffprobe', ['-v', 'error', '-rtsp_transport', 'tcp', '-i', rtspWithCreds(), '-show_entries', 'stream=codec_name', '-of', 'csv=p=0'], { timeout: 20_000 })
    expect(stdout.trim()).toBe('h264')
    const back = await probe()
    await waitFor('a discovery answer', back.answered)
    back.close()
  })

  it('slow: SOAP answers only after the configured delay, and without it once the fault is cleared', async () => {
    await sim.setFault('slow', { delayMs: 1500 })
    const started = Date.now()
    const res = await postSoap(sim.onvifUrl, soapEnvelope(`<GetSystemDateAndTime xmlns="${DEVICE_NS}"/>`))
    expect(res.status).toBe(200)
    expect(Date.now() - started).toBeGreaterThanOrEqual(1450)
    // A delay far beyond the request's 20 s timeout: only a cleared fault lets the answer through.
    await sim.setFault('slow', { delayMs: 120_000 })
    await sim.setFault('none')
    expect((await postSoap(sim.onvifUrl, soapEnvelope(`<GetSystemDateAndTime xmlns="${DEVICE_NS}"/>`), {}, 20_000)).status).toBe(200)
  })

  it('malformed: answers are broken XML the onvif package cannot parse', async () => {
    await sim.setFault('malformed')
    const res = await deviceInfo()
    expect(res.text).not.toMatch(/<\/env:Envelope>\s*$/)
    const cam = new onvif.Cam({ hostname: '127.0.0.1', port: sim.httpPort, username: sim.user, password: sim.password, autoconnect: false })
    await expect(call((cb) => cam.getDeviceInformation(cb))).rejects.toThrow()
    await sim.setFault('none')
    expect((await deviceInfo()).text).toMatch(/<\/env:Envelope>$/)
  })

  it('wrong-password: the configured password is refused by SOAP, RTSP and snapshot, while the clock agrees', async () => {
    await sim.setFault('wrong-password')
    expect((await deviceInfo()).status).toBe(400)
    await expectCameraClock()
    const cam = await connectCam(sim.httpPort, sim.user, sim.password)
    await expect(call((cb) => cam.getDeviceInformation(cb))).rejects.toThrow(/Sender not Authorized/)
    await expect(run('ffprobe', ['-v', 'error', '-rtsp_transport', 'tcp', '-i', rtspWithCreds()], { timeout: 20_000 }))
      .rejects.toMatchObject({ stderr: expect.stringMatching(/401/) })
    const snap = await fetchWithDigest(sim.snapshotUrl, sim.user, sim.password)
    expect(snap.status).toBe(401)
    await snap.arrayBuffer()
    await sim.setFault('none')
    expect((await deviceInfo()).status).toBe(200)
  })

  it('clock-skew: the camera reports a skewed time and judges WS-Security by it, so it is told apart from a wrong password', async () => {
    const skew = 10 * 60_000
    await sim.setFault('clock-skew', { skewMs: skew })
    await expectCameraClock(skew)
    // A client stamping Created with its own (correct) clock is refused...
    expect((await deviceInfo()).status).toBe(400)
    // ...one that corrects for the offset it read from GetSystemDateAndTime is accepted, with the same password.
    expect((await deviceInfo(new Date(Date.now() + skew).toISOString())).status).toBe(200)
    const cam = await connectCam(sim.httpPort, sim.user, sim.password)
    const info = await call<Record<string, string>>((cb) => cam.getDeviceInformation(cb))
    expect(info.serialNumber).toBe(sim.identity.serialNumber)
    await sim.setFault('none')
    await expectCameraClock()
  })

  it('stall: the stream freezes with connections open, and flows again on resume', async () => {
    const reader = spawn('ffmpeg', ['-v', 'error', '-rtsp_transport', 'tcp', '-i', rtspWithCreds(), '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1'],
      { stdio: ['ignore', 'pipe', 'ignore'] })
    let bytes = 0
    reader.stdout.on('data', (c: Buffer) => { bytes += c.length })
    const exited = new Promise<void>((resolve) => reader.once('exit', () => resolve()))
    try {
      const frame = 640 * 360
      await waitFor('five frames', () => bytes >= 5 * frame)

      await sim.setFault('stall')
      // Frames already in flight drain: frozen once no byte came between two checks half a second apart.
      let seen = -1
      await waitFor('the stream to freeze', () => {
        const still = bytes === seen
        seen = bytes
        return still
      }, { everyMs: 500 })
      const frozenAt = bytes
      await sleep(1500) // deliberately lets time pass: a frozen stream delivers no frame in it
      expect(bytes - frozenAt).toBeLessThan(frame)
      // The server still accepts TCP (the kernel does) but never answers: a hung camera, not a dead one.
      const sock = net.connect(sim.rtspPort, '127.0.0.1')
      await new Promise<void>((resolve, reject) => { sock.once('connect', () => resolve()); sock.once('error', reject) })
      let answered = false
      sock.on('data', () => { answered = true })
      sock.write(`OPTIONS ${sim.rtspUrl} RTSP/1.0\r\nCSeq: 1\r\n\r\n`)
      await sleep(800) // deliberately lets time pass: a hung server does not answer in it
      expect(answered).toBe(false)

      await sim.setFault('none')
      await waitFor('the RTSP server to answer OPTIONS again', () => answered)
      sock.destroy()
      const resumedAt = bytes
      await waitFor('five more frames', () => bytes - resumedAt >= 5 * frame)
    } finally {
      reader.kill('SIGKILL')
      await exited
    }
  })
})
