/**
 * Issue 2's promise, under faults: every rating whose PUBACK a device
 * received is in InfluxDB exactly once. Real influxd, real HTTPS hub, the
 * edge as a child process, real MQTT button boxes from devices/simulator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCounterSim, type CounterSim } from '../../devices/simulator/sim.js'
import { startInfluxd, type Influxd } from '../support/influxd.js'
import { countIds, eventually, startStack, type Stack } from '../support/stack.js'

process.env.LOG_LEVEL ??= 'silent'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

let influx: Influxd
beforeAll(async () => {
  influx = await startInfluxd()
})
afterAll(async () => {
  await influx?.stop()
})

function boxes(stack: Stack, ratePerMinute: number, durationMs: number): CounterSim {
  return startCounterSim({
    url: stack.mqttUrl,
    site: stack.site.siteId,
    devices: stack.site.devices
      .filter((d) => d.kind === 'button')
      .map((d) => ({ id: d.id, counter: d.counter!, secret: d.secret, kind: 'button' as const })),
    ratePerMinute,
    durationMs,
    drainMs: 30_000,
    resendAfterMs: 2000,
    seed: 7,
  })
}

/** Waits for the stream to settle, then checks acknowledged ⊆ stored, stored ⊆ sent, no point twice. */
async function expectExactlyOnce(stack: Stack, sim: CounterSim, minAcked = 50): Promise<number> {
  const stats = await sim.done
  const acked = sim.acked()
  const sent = sim.sent()
  expect(stats.acked).toBeGreaterThan(minAcked)
  const settled = await eventually(async () => {
    const stored = new Set(await stack.storedEventIds())
    return [...acked].every((id) => stored.has(id))
  }, 60_000)
  const stored = await stack.storedEventIds()
  const counts = countIds(stored)
  const missing = [...acked].filter((id) => !counts.has(id))
  const twice = [...counts].filter(([, n]) => n > 1).map(([id]) => id)
  const unknown = [...counts.keys()].filter((id) => !sent.has(id))
  expect({ settled, missing, twice, unknown }).toEqual({ settled: true, missing: [], twice: [], unknown: [] })
  return acked.size
}

describe('rating spine under faults', () => {
  it('ratings from real MQTT clients land with the right tags, fields and time', async () => {
    const stack = await startStack({ influx, database: 'spine_basic', counters: 2 })
    try {
      await stack.startHub()
      await stack.startEdge()
      const before = Date.now()
      const sim = boxes(stack, 300, 4000)
      await expectExactlyOnce(stack, sim, 10)
      const q = new URLSearchParams({
        db: 'spine_basic',
        q: 'SELECT site, department, counter, device, officer, scale, level, score, dissatisfied, event_id, clock FROM rating',
      })
      const body = (await (await fetch(`${influx.url}/query?${q}&epoch=ms`)).json()) as {
        results: { series: { columns: string[]; values: unknown[][] }[] }[]
      }
      const { columns, values } = body.results[0]!.series[0]!
      const counters = stack.site.edge.counters as { id: string; department: string; officer: string }[]
      for (const v of values) {
        const row = Object.fromEntries(columns.map((c, i) => [c, v[i]])) as Record<string, unknown>
        const counter = counters.find((c) => c.id === row.counter)!
        expect(row.site).toBe(stack.site.siteId)
        expect(row.department).toBe(counter.department)
        expect(row.officer).toBe(counter.officer)
        expect(row.device).toBe(`button-${counter.id}`)
        expect(row.scale).toBe('4')
        expect(row.score).toBe([100, 66.7, 33.3, 0][Number(row.level) - 1])
        expect(row.dissatisfied).toBe(row.level === '4')
        // Before its first hub contact the edge has no trusted time; those records are corrected on send.
        expect(['synced', 'corrected']).toContain(row.clock)
        expect(row.time as number).toBeGreaterThanOrEqual(before - 1000)
        expect(row.time as number).toBeLessThanOrEqual(Date.now())
      }
    } finally {
      await stack.close()
    }
  })

  it('hub down for a stretch during a steady stream, then back: every acknowledged rating exactly once', async () => {
    const stack = await startStack({ influx, database: 'spine_hub_down' })
    try {
      await stack.startHub()
      await stack.startEdge()
      const sim = boxes(stack, 600, 12_000)
      await sleep(2000)
      await stack.stopHub()
      await sleep(5000)
      await stack.startHub()
      const acked = await expectExactlyOnce(stack, sim)
      expect(acked).toBeGreaterThan(300)
    } finally {
      await stack.close()
    }
  })

  it('InfluxDB down, then back: every acknowledged rating exactly once', async () => {
    const stack = await startStack({ influx, database: 'spine_influx_down' })
    try {
      await stack.startHub()
      await stack.startEdge()
      const sim = boxes(stack, 600, 12_000)
      await sleep(2000)
      await influx.kill()
      await sleep(5000)
      await influx.start()
      await expectExactlyOnce(stack, sim)
    } finally {
      await influx.start()
      await stack.close()
    }
  })

  it('edge SIGKILLed mid-stream and restarted three times: every PUBACKed rating exactly once', async () => {
    const stack = await startStack({ influx, database: 'spine_edge_kill' })
    try {
      await stack.startHub()
      await stack.startEdge()
      const sim = boxes(stack, 900, 16_000)
      for (let round = 0; round < 3; round++) {
        await sleep(1500 + round * 700)
        await stack.killEdge()
        await sleep(500)
        await stack.startEdge()
      }
      const acked = await expectExactlyOnce(stack, sim)
      expect(sim.stats().connects).toBeGreaterThan(4 * 3)
      expect(acked).toBeGreaterThan(300)
    } finally {
      await stack.close()
    }
  })
})
