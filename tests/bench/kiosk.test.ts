process.env.LOG_LEVEL ??= 'silent'
import { afterAll, describe, expect, it } from 'vitest'
import { measureKiosk } from '../../bench/lib/kiosk.js'
import { timing } from '../../bench/lib/stats.js'
import { siteConfig, startKioskSite, type KioskSite } from '../devices/kiosk/harness.js'

let site: KioskSite | undefined
afterAll(async () => {
  await site?.close()
})

describe('kiosk benchmark helper', () => {
  it('summarises samples', () => {
    expect(timing([5, 1, 3, 2, 4])).toEqual({ samples: [5, 1, 3, 2, 4], median: 3, p95: 5, max: 5 })
  })

  it('times page load → ready and press → acknowledged on a real page and broker', async () => {
    site = await startKioskSite(siteConfig(4), { thanksMs: 500 })
    const r = await measureKiosk({ url: site.url, loads: 3, presses: 5 })
    expect(r.loadToReadyMs.samples).toHaveLength(3)
    expect(r.pressToAckMs.samples).toHaveLength(5)
    for (const x of [...r.loadToReadyMs.samples, ...r.pressToAckMs.samples]) expect(x).toBeGreaterThan(0)
    // Each timed press reached the broker once. How fast is the benchmark's business (bench/sections.ts), not a test's.
    expect(site.edge.ratings()).toHaveLength(5)
  })
})
