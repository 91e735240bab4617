/**
 * Issue 3 end to end: camera offline / back online / tamper / motion, and a
 * wrong password, travel the same outbox → hub → InfluxDB path as ratings.
 * Real camera simulator (ONVIF + GStreamer RTSP), edge child process, hub, influxd.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startCameraSim } from '../../devices/camera-sim/index.js'
import { startInfluxd, type Influxd } from '../../testkit/influxd.js'
import { startStack, type Stack } from '../support/stack.js'
import { waitFor } from '../../testkit/wait.js'

process.env.LOG_LEVEL ??= 'silent'

type Sim = Awaited<ReturnType<typeof startCameraSim>>
let influx: Influxd
let good: Sim
let locked: Sim
let stack: Stack

beforeAll(async () => {
  influx = await startInfluxd()
  good = await startCameraSim({ discovery: false })
  locked = await startCameraSim({ discovery: false })
  locked.setFault('wrong-password')
  stack = await startStack({
    influx,
    database: 'cameras_e2e',
    counters: 2,
    edgeOverrides: {
      cameras: [
        { id: 'cam-hall', name: 'Sảnh chính', onvif: good.onvifUrl, username: good.user, password: good.password },
        { id: 'cam-q01', name: 'Quầy 1', onvif: locked.onvifUrl, username: locked.user, password: locked.password, counter: 'q01' },
      ],
      cameraOptions: { discovery: false, checkIntervalS: 1 },
    },
  })
  await stack.startHub()
  await stack.startEdge()
})

afterAll(async () => {
  await stack?.close()
  await good?.stop()
  await locked?.stop()
  await influx?.stop()
})

async function rows(q: string): Promise<Record<string, unknown>[]> {
  const res = await fetch(`${influx.url}/query?${new URLSearchParams({ db: 'cameras_e2e', q })}`)
  const body = (await res.json()) as { results: { series?: { columns: string[]; values: unknown[][] }[] }[] }
  const s = body.results[0]?.series?.[0]
  return s ? s.values.map((v) => Object.fromEntries(s.columns.map((c, i) => [c, v[i]]))) : []
}
const states = async (camera: string) =>
  (await rows(`SELECT state, onvif, stream, detail FROM camera_status WHERE camera = '${camera}'`)).map((r) => r.state)

it('offline, back online, tamper and motion reach InfluxDB through the hub; a wrong password is auth_failed, not offline', async () => {
  const slow = { timeoutMs: 60_000, everyMs: 500 }
  await waitFor('cam-hall online in InfluxDB', async () => (await states('cam-hall')).includes('online'), slow)
  await waitFor('cam-q01 auth_failed in InfluxDB', async () => (await states('cam-q01')).includes('auth_failed'), slow)
  // Never offline for its password: an offline record can only be a call that took longer than the 1 s deadline.
  const q01 = await rows(`SELECT state, detail FROM camera_status WHERE camera = 'cam-q01'`)
  expect(q01.filter((r) => r.state === 'offline' && !/no answer within/.test(String(r.detail)))).toEqual([])

  good.setFault('offline')
  await waitFor('cam-hall offline in InfluxDB', async () => (await states('cam-hall')).includes('offline'), slow)
  good.setFault('none')
  await waitFor('cam-hall online again in InfluxDB', async () => {
    const s = await states('cam-hall')
    return s.lastIndexOf('online') > s.indexOf('offline')
  }, slow)

  good.trigger('tamper', true)
  good.trigger('motion', true)
  const events = async () =>
    (await rows(`SELECT event, state, snapshot FROM camera_event WHERE camera = 'cam-hall'`)).filter((r) => r.state === true).map((r) => r.event)
  await waitFor('tamper and motion events in InfluxDB', async () => {
    const e = await events()
    return e.includes('tamper') && e.includes('motion')
  }, slow)

  // No credentials in anything that reached the database.
  const all = JSON.stringify(await rows(`SELECT * FROM camera_status`)) + JSON.stringify(await rows(`SELECT * FROM camera_event`))
  expect(all).not.toContain(good.password)
  expect(all).not.toContain(locked.password)
}, 240_000)
