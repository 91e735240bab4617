/**
 * Disk full on the edge (issue 2): with the hub away the outbox fills a real
 * small tmpfs; ratings are then not acknowledged, /healthz says why, and
 * once space returns every press — acknowledged before or resent after — is
 * in InfluxDB exactly once. Needs root for mount(8), as CI has.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startCounterSim } from '../../devices/simulator/sim.js'
import { startInfluxd, type Influxd } from '../../testkit/influxd.js'
import { countIds, startStack, type Stack } from '../support/stack.js'
import { waitFor } from '../../testkit/wait.js'

process.env.LOG_LEVEL ??= 'silent'

let influx: Influxd
const mnt = mkdtempSync(join(tmpdir(), 'motcua-diskfull-'))
beforeAll(async () => {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mnt])
  mkdirSync(join(mnt, 'outbox'))
  influx = await startInfluxd()
})
afterAll(async () => {
  await influx?.stop()
  execFileSync('umount', ['-l', mnt])
  rmSync(mnt, { recursive: true, force: true })
})

type Health = { status?: string; reasons?: { code: string; message: string }[] }

async function health(stack: Stack): Promise<{ refusing: boolean; body: Health }> {
  const res = await fetch(`${stack.edgeHttp}/healthz`)
  const body = (await res.json()) as Health
  return { refusing: res.status === 503 && (body.reasons ?? []).some((r) => r.code === 'OUTBOX_REFUSING'), body }
}

it('a full disk withholds PUBACK, says why, and loses nothing once space returns', async () => {
  const stack = await startStack({
    influx,
    database: 'spine_disk_full',
    outboxDir: join(mnt, 'outbox'),
    edgeOverrides: { outbox: { dir: join(mnt, 'outbox'), minFreeBytes: 1_000_000, maxBytes: 1_000_000_000 } },
  })
  try {
    // No hub yet: everything stays in the outbox until the disk is full.
    await stack.startEdge()
    const sim = startCounterSim({
      url: stack.mqttUrl,
      site: stack.site.siteId,
      devices: stack.site.devices
        .filter((d) => d.kind === 'button')
        .map((d) => ({ id: d.id, counter: d.counter!, secret: d.secret, kind: 'button' as const })),
      ratePerMinute: 9000,
      durationMs: 60_000,
      maxPresses: 12_000,
      drainMs: 60_000,
      resendAfterMs: 2000,
      seed: 11,
    })
    const full = await waitFor('the edge to refuse writes', async () => {
      const h = await health(stack)
      return h.refusing ? h.body : null
    }, { timeoutMs: 90_000, everyMs: 500 })
    expect(JSON.stringify(full)).toMatch(/full|space/i)
    // The moment the edge was seen refusing: it checks free space before it admits a write to a group
    // commit, so from here on it admits none while the disk stays below its reserve.
    const sentBefore = sim.sent()
    const ackedBefore = sim.acked()
    const failuresBefore = await stack.edgeMetric('motcua_edge_store_failures_total', 'code="EDGE_DISK_FULL"')

    // While refusing, presses go unacknowledged instead of being dropped. The window lasts until the
    // boxes have pressed again and the edge has refused again, however long that takes here.
    await waitFor('new presses, refused by the edge', async () => {
      const refused = (await stack.edgeMetric('motcua_edge_store_failures_total', 'code="EDGE_DISK_FULL"')) - failuresBefore
      return sim.sent().size - sentBefore.size >= 20 && refused >= 20
    })
    expect((await health(stack)).refusing, 'the edge still refuses at the end of the window').toBe(true)
    expect(sim.stats().pending).toBeGreaterThan(0)
    // The only acknowledgements legitimate while the edge refuses are for presses it had admitted before
    // it began to refuse: those in the group commit, or whose PUBACK was on the wire, at that moment. Each
    // of them was sent before the edge was seen refusing; a press first sent later is not acknowledged.
    const ackedWhileFull = [...sim.acked()].filter((id) => !ackedBefore.has(id))
    expect(ackedWhileFull.filter((id) => !sentBefore.has(id))).toEqual([])

    execFileSync('mount', ['-o', 'remount,size=256m', mnt])
    await stack.startHub()
    const stats = await sim.stop({ drainMs: 60_000 })
    expect(stats.pending).toBe(0)
    const acked = sim.acked()
    expect(acked.size).toBe(sim.sent().size)

    await waitFor('every acknowledged press in InfluxDB', async () => (await stack.storedEventIds()).length >= acked.size, { timeoutMs: 90_000, everyMs: 1000 })
    const counts = countIds(await stack.storedEventIds())
    const missing = [...acked].filter((id) => !counts.has(id))
    const twice = [...counts].filter(([, n]) => n > 1).length
    expect({ missing: missing.length, twice, stored: counts.size }).toEqual({ missing: 0, twice: 0, stored: acked.size })
  } finally {
    await stack.close()
  }
})
