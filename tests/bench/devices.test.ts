/** benchBoxes() end to end on a small scale: a real edge child process, real simulated boxes, RSS read from /proc. */
process.env.LOG_LEVEL ??= 'silent'
import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { benchBoxes, benchKioskOnEdge, benchSiteConfig } from '../../bench/devices.js'
import { edgeConfigSchema } from '../../edge/config/schema.js'

/** PIDs of edge children the helper started (read from /proc: a pgrep pattern starting with "--" was taken for an option). */
const edgeChildren = () =>
  readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        return /--import tsx .*edge\/main\.ts .*motcua-bench-boxes-/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' '))
      } catch {
        return false
      }
    })
    .join(' ')

describe('button-box benchmark helper', () => {
  it('generates a valid site of n boxes over at most 30 counters', () => {
    const { config, devices } = benchSiteConfig(1000, 30, '/tmp/x')
    const parsed = edgeConfigSchema.parse(config)
    expect(parsed.devices).toHaveLength(1000)
    expect(parsed.counters).toHaveLength(30)
    expect(new Set(devices.map((d) => d.counter)).size).toBe(30)
  })

  it('connects every box to an edge child process, samples its RSS and leaves no edge running', async () => {
    const r = await benchBoxes({ n: 40, steadyMs: 2000, ratePerMinute: 30 })
    expect(r.connected).toBe(40)
    // Every box had its CONNACK before the helper gave up; how fast is the benchmark's figure, not a test's.
    expect(r.connectMs).not.toBeNull()
    // Each RSS figure was read from the live edge child: a Node process running the edge holds more than
    // 20 MB, and one failed read (process gone, no VmRSS line) makes the figure NaN, which is not.
    // The peak is the maximum of the samples, so it is NaN if any sample failed.
    expect(r.idleRssMb).toBeGreaterThan(20)
    expect(r.edgeRssMb).toBeGreaterThan(20)
    expect(r.peakRssMb).toBeGreaterThan(20)
    expect(r.pressesAcked).toBeGreaterThan(0)
    expect(edgeChildren()).toBe('')
  }, 60_000)

  it('times the kiosk served by the real edge', async () => {
    const r = await benchKioskOnEdge({ loads: 2, presses: 1 })
    expect(r.loadToReadyMs.samples).toHaveLength(2)
    expect(r.pressToAckMs.samples).toHaveLength(1)
    expect(r.pressToAckMs.max).toBeGreaterThan(0)
  }, 60_000)
})
