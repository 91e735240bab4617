process.env.LOG_LEVEL ??= 'silent'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { startCounterSim, type CounterSimOptions, type SimDevice, type SimStats } from '../../devices/simulator/sim.js'
import { startTestBroker, type BrokerHarness } from '../support/edge-broker.js'
import { testSite } from '../support/edge-site.js'
import { makeTestPki } from '../../testkit/certs.js'
import { waitFor } from '../../testkit/wait.js'

/**
 * The simulator against the real edge broker (ACL, ingest, dedup) with an
 * in-memory outbox: what the simulator counts as acknowledged is exactly
 * what the edge stored, once each.
 */
let harness: BrokerHarness | undefined
const pkiDir = mkdtempSync(join(tmpdir(), 'motcua-sim-tls-'))

afterAll(() => rmSync(pkiDir, { recursive: true, force: true }))

afterEach(async () => {
  await harness?.close()
  harness = undefined
})

/** Runs the simulator until it stops by itself, or, with `until`, until its stats show that, then stops it (draining o.drainMs). */
async function simulate(
  o: Partial<CounterSimOptions>,
  overrides: Record<string, unknown> = {},
  url = (h: BrokerHarness) => `mqtt://127.0.0.1:${h.broker.ports.mqtt}`,
  until?: { what: string; stats: (s: SimStats) => boolean },
) {
  const { config, devices } = testSite(overrides)
  harness = await startTestBroker(config)
  const simDevices: SimDevice[] = [devices.k1, devices.b1, devices.k2].map((d) => ({
    id: d!.id,
    counter: d!.counter!,
    secret: d!.secret,
    kind: d!.kind as SimDevice['kind'],
  }))
  const sim = startCounterSim({ url: url(harness), site: config.site.id, devices: simDevices, scale: config.scale, seed: 9, ...o })
  if (until) {
    await waitFor(until.what, () => until.stats(sim.stats()))
    void sim.stop({ drainMs: o.drainMs ?? 0 })
  }
  const final = await sim.done
  const stored = harness.outbox.ofKind('rating')
  return { sim, final, stored, ids: stored.map((r) => `${r.device}/${r.eventId}`) }
}

const keyed = (sim: { acked(): Set<string> }) => new Set([...sim.acked()].map((id) => `${id.split('_')[0]}/${id}`))

describe('simulator against the edge broker', () => {
  it('every acknowledged press is stored once, with its counter and device', async () => {
    const { sim, final, stored, ids } = await simulate({ ratePerMinute: 600, maxPresses: 24 })
    expect(final.acked).toBe(24)
    expect(final.errorReplies).toBe(0)
    expect(new Set(ids).size).toBe(ids.length)
    expect(new Set(ids)).toEqual(keyed(sim))
    for (const r of stored) expect(r.counter).toBe(r.device === 'kiosk-2' ? 'q2' : 'q1')
  })

  it('resent ids are acknowledged again but stored once', async () => {
    const { sim, final, ids } = await simulate({ mode: 'duplicate', duplicateRatio: 1, ratePerMinute: 300, maxPresses: 12 })
    expect(final.duplicatesSent).toBeGreaterThan(0)
    expect(ids).toHaveLength(12)
    expect(new Set(ids)).toEqual(keyed(sim))
  })

  it('a reconnect storm loses nothing and duplicates nothing', async () => {
    // The storm runs until the boxes have connected more than three times, however long that takes here.
    const storm = { what: 'more than three connections through the storm', stats: (s: SimStats) => s.connects > 3 }
    const { sim, final, ids } = await simulate({ mode: 'reconnect-storm', stormIntervalMs: 300, ratePerMinute: 300, drainMs: 8000 }, {}, undefined, storm)
    expect(final.connects).toBeGreaterThan(3)
    expect(final.pending).toBe(0)
    expect(new Set(ids).size).toBe(ids.length)
    expect(new Set(ids)).toEqual(keyed(sim))
  })

  it('a box power-cycled while the edge refuses to store resends its unacknowledged presses after reboot', async () => {
    const { config, devices } = testSite()
    harness = await startTestBroker(config)
    const b1 = devices.b1!
    const sim = startCounterSim({
      url: `mqtt://127.0.0.1:${harness.broker.ports.mqtt}`,
      site: config.site.id,
      devices: [{ id: b1.id, counter: b1.counter!, secret: b1.secret, kind: 'button' }],
      ratePerMinute: 600,
      seed: 4,
    })
    await waitFor('first PUBACKs', () => sim.stats().acked >= 3)
    harness.outbox.failWith('EDGE_DISK_FULL')
    await waitFor('unacknowledged presses', () => sim.stats().pending >= 3)
    const stranded = [...sim.sent()].filter((id) => !sim.acked().has(id))
    sim.restart(b1.id)
    harness.outbox.failWith(null)
    await waitFor('resend after reboot', () => stranded.every((id) => sim.acked().has(id)))
    // The reboot starts a new id sequence; the stranded presses kept their old ids.
    const boots = () => new Set([...sim.acked()].map((id) => id.split('_')[1]))
    await waitFor('presses after reboot', () => boots().size === 2)
    const final = await sim.stop({ drainMs: 8000 })
    expect(final.pending).toBe(0)
    expect(final.connects).toBeGreaterThanOrEqual(2)
    const ids = harness.outbox.ofKind('rating').map((r) => `${r.device}/${r.eventId}`)
    expect(new Set(ids).size).toBe(ids.length)
    expect(new Set(ids)).toEqual(keyed(sim))
  })

  it('connects over TLS (mqtts and wss) with the site CA, and not without it', async () => {
    const pki = makeTestPki(pkiDir)
    const tls = { broker: { host: '127.0.0.1', mqttPort: 0, wsPort: 0, tls: { cert: pki.serverCert, key: pki.serverKey } } }
    const mqtts = await simulate({ ca: pki.caPem, ratePerMinute: 600, maxPresses: 6 }, tls, (h) => `mqtts://localhost:${h.broker.ports.mqtt}`)
    expect(mqtts.final.acked).toBe(6)
    expect(new Set(mqtts.ids)).toEqual(keyed(mqtts.sim))
    await harness?.close()
    const wss = await simulate({ ca: pki.caPem, ratePerMinute: 600, maxPresses: 6 }, tls, (h) => `wss://localhost:${h.broker.ports.ws}/mqtt`)
    expect(wss.final.acked).toBe(6)
    await harness?.close()
    const untrusted = await simulate({ ratePerMinute: 600, durationMs: 800, drainMs: 200 }, tls, (h) => `mqtts://localhost:${h.broker.ports.mqtt}`)
    expect(untrusted.final.connects).toBe(0)
    expect(untrusted.stored).toHaveLength(0)
  })
})
