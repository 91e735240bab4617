/**
 * Issue 11, finding 7: officer PINs could be guessed from any kiosk (the
 * lockout counted per kiosk only) and anyone at a kiosk could sign the
 * officer on duty out. Real MQTT clients against the real edge broker.
 */
process.env.LOG_LEVEL ??= 'silent'
import { randomBytes } from 'node:crypto'
import type { MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashPin, hashSecret } from '../../common/secrets.js'
import { edgeConfigSchema } from '../../edge/config/schema.js'
import { topics } from '../../protocol/topics.js'
import { waitFor } from '../../testkit/wait.js'
import { nextMessage, startTestBroker, type BrokerHarness } from '../support/edge-broker.js'
import { testSite, type TestDevice } from '../support/edge-site.js'

const SITE = 'ct-center'
const PINS: Record<string, string> = { 'nguyen-van-a': '1111', 'tran-thi-b': '2222', 'le-van-c': '4321', 'pham-van-d': '5555', 'vo-thi-e': '6666', 'dang-van-g': '7777' }
/** One kiosk per counter, five counters: more kiosks than the per-kiosk count lets one guess from. */
const KIOSKS: TestDevice[] = ['q1', 'q2', 'q3', 'q4', 'q5'].map((counter, i) => ({ id: `kiosk-${i + 1}`, kind: 'kiosk', counter, secret: randomBytes(24).toString('base64url') }))

let h: BrokerHarness
const clients = new Map<string, MqttClient>()
let n = 0

async function start(): Promise<BrokerHarness> {
  const { config } = testSite()
  const officers = await Promise.all(Object.entries(PINS).map(async ([id, pin]) => ({ id, name: id, department: 'justice', pinHash: await hashPin(pin) })))
  return startTestBroker(
    edgeConfigSchema.parse({
      ...config,
      counters: KIOSKS.map((k) => ({ id: k.counter!, name: `Quầy ${k.counter}`, department: 'justice', ...(k.counter === 'q1' ? { officer: 'nguyen-van-a' } : {}) })),
      officers,
      devices: KIOSKS.map((k) => ({ id: k.id, kind: k.kind, counter: k.counter, secretHash: hashSecret(k.secret) })),
    }),
    { onOfficer: 'default' },
  )
}

beforeAll(async () => {
  h = await start()
  for (const k of KIOSKS) {
    const c = await h.connect(k)
    await c.subscribeAsync(topics.down(SITE, k.counter!, k.id, 'error'), { qos: 1 })
    clients.set(k.id, c)
  }
})
afterAll(async () => {
  await h?.close()
})

/** Publishes an officer message from a kiosk. */
async function send(kiosk: TestDevice, body: Record<string, unknown>): Promise<string> {
  const id = `officer-${String(++n).padStart(6, '0')}`
  await clients.get(kiosk.id)!.publishAsync(topics.officer(SITE, kiosk.counter!), JSON.stringify({ v: 1, id, ts: Date.now(), ...body }), { qos: 1 })
  return id
}

/** Sends and resolves with the edge's refusal of that message (its error reply, matched by event id). */
async function refused(kiosk: TestDevice, body: Record<string, unknown>): Promise<{ code: string; message: string }> {
  const reply = nextMessage(clients.get(kiosk.id)!, topics.down(SITE, kiosk.counter!, kiosk.id, 'error'))
  const id = await send(kiosk, body)
  const { payload } = await reply
  const r = payload as { code: string; message: string; id?: string }
  expect(r.id).toBe(id)
  return { code: r.code, message: r.message }
}

/** Sends and waits until it took effect on the duty roster. */
async function accepted(kiosk: TestDevice, body: Record<string, unknown>, onDuty: string | null): Promise<void> {
  await send(kiosk, body)
  await waitFor(`${onDuty ?? 'nobody'} on duty at ${kiosk.counter}`, () => h.duty.officerAt(kiosk.counter!) === onDuty)
}

const signIn = (who: string, pin: string) => ({ action: 'sign-in', officer: who, pin })
const [k1, k2, k3, k4, k5] = KIOSKS as [TestDevice, TestDevice, TestDevice, TestDevice, TestDevice]

describe('officer PIN lockouts (issue 11, finding 7)', () => {
  it('locks an officer out after 5 wrong PINs from different kiosks', async () => {
    for (let i = 0; i < 3; i++) expect(await refused(k2, signIn('le-van-c', '0000'))).toMatchObject({ code: 'EDGE_PIN_WRONG' })
    for (let i = 0; i < 2; i++) expect(await refused(k3, signIn('le-van-c', '0000'))).toMatchObject({ code: 'EDGE_PIN_WRONG' })
    // Neither kiosk reached its own 5, but the officer has: the right PIN waits too.
    expect(await refused(k3, signIn('le-van-c', PINS['le-van-c']!))).toEqual({ code: 'EDGE_PIN_WRONG', message: 'too many wrong PINs for this officer; try again in 5 min' })
    expect(h.duty.officerAt('q3')).toBeNull()
    // Another officer at the same kiosk is not held up.
    await accepted(k3, signIn('tran-thi-b', PINS['tran-thi-b']!), 'tran-thi-b')
    h.clock.advance(5 * 60_000)
    await accepted(k2, signIn('le-van-c', PINS['le-van-c']!), 'le-van-c')
  })

  it('signing out needs the PIN of the officer on duty', async () => {
    expect(h.duty.officerAt('q1')).toBe('nguyen-van-a')
    expect(await refused(k1, { action: 'sign-out' })).toMatchObject({ code: 'EDGE_PAYLOAD_INVALID' })
    expect(await refused(k1, { action: 'sign-out', pin: PINS['tran-thi-b'] })).toMatchObject({ code: 'EDGE_PIN_WRONG' })
    expect(h.duty.officerAt('q1')).toBe('nguyen-van-a')
    await accepted(k1, { action: 'sign-out', pin: PINS['nguyen-van-a'] }, null)
  })

  it('locks the whole site out after 20 wrong PINs, however they are spread over kiosks and officers', async () => {
    h.clock.advance(2 * 60 * 60_000) // earlier wrong PINs are long past
    const guessed = ['pham-van-d', 'vo-thi-e', 'dang-van-g', 'tran-thi-b', 'le-van-c']
    // 4 per kiosk and 4 per officer: under both of their counts, 20 at the site.
    for (const [i, kiosk] of KIOSKS.entries()) {
      for (let j = 0; j < 4; j++) expect(await refused(kiosk, signIn(guessed[i]!, '0000'))).toEqual({ code: 'EDGE_PIN_WRONG', message: 'officer id or PIN is wrong' })
    }
    expect(await refused(k4, signIn('nguyen-van-a', PINS['nguyen-van-a']!))).toEqual({ code: 'EDGE_PIN_WRONG', message: 'too many wrong PINs at this site; try again in 5 min' })
    expect(h.duty.officerAt('q4')).toBeNull()
    h.clock.advance(5 * 60_000)
    await accepted(k5, signIn('nguyen-van-a', PINS['nguyen-van-a']!), 'nguyen-van-a')
  })
})
