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
import { startInfluxd, type Influxd } from '../support/influxd.js'
import { countIds, eventually, startStack } from '../support/stack.js'

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
    let health: { status?: string; reasons?: { code: string; message: string }[] } = {}
    const refusing = await eventually(async () => {
      const res = await fetch(`${stack.edgeHttp}/healthz`)
      health = (await res.json()) as typeof health
      return res.status === 503 && (health.reasons ?? []).some((r) => r.code === 'OUTBOX_REFUSING')
    }, 90_000, 500)
    expect(refusing, JSON.stringify(health)).toBe(true)
    expect(JSON.stringify(health)).toMatch(/full|space/i)

    // While refusing, presses go unacknowledged instead of being dropped.
    const ackedWhileFull = sim.acked().size
    await new Promise((r) => setTimeout(r, 3000))
    expect(sim.stats().pending).toBeGreaterThan(0)
    expect(sim.acked().size - ackedWhileFull).toBeLessThan(20)

    execFileSync('mount', ['-o', 'remount,size=256m', mnt])
    await stack.startHub()
    const stats = await sim.stop({ drainMs: 60_000 })
    expect(stats.pending).toBe(0)
    const acked = sim.acked()
    expect(acked.size).toBe(sim.sent().size)

    await eventually(async () => (await stack.storedEventIds()).length >= acked.size, 90_000, 1000)
    const counts = countIds(await stack.storedEventIds())
    const missing = [...acked].filter((id) => !counts.has(id))
    const twice = [...counts].filter(([, n]) => n > 1).length
    expect({ missing: missing.length, twice, stored: counts.size }).toEqual({ missing: 0, twice: 0, stored: acked.size })
  } finally {
    await stack.close()
  }
})
