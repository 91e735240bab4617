/**
 * Stored alerts against a real influxd: an alert raised by the background
 * evaluation while nobody looks stays listed after its condition clears,
 * on every hub instance, until someone acknowledges it; then it goes after
 * the retention time.
 */
process.env.LOG_LEVEL ??= 'silent'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../common/log.js'
import { createAlertStore } from '../../hub/alerts-store/store.js'
import { hubConfigSchema } from '../../hub/config/schema.js'
import { toPoint } from '../../hub/influx/points.js'
import { createWriter } from '../../hub/rollup/writer.js'
import { DEFAULT_ALERT_THRESHOLDS } from '../../hub/kpi/alerts/types.js'
import { createInfluxQuery } from '../../hub/queries/client.js'
import { createDirectory } from '../../hub/queries/directory.js'
import type { RatingRecord } from '../../protocol/records.js'
import { startInfluxd, type Influxd } from '../../testkit/influxd.js'
import { waitFor } from '../../testkit/wait.js'
import { rating } from './helpers.js'

const MIN = 60_000
const SITE = 'ct-center'
const T0 = Date.UTC(2026, 10, 18, 2) // 09:00 local
const log = createLogger('test', 'silent')

let influxd: Influxd
beforeAll(async () => {
  influxd = await startInfluxd()
}, 60_000)
afterAll(async () => {
  await influxd?.stop()
})

describe('stored alerts', () => {
  it('keep a run that cleared before anyone looked until it is acknowledged, on every instance', async () => {
    const cfg = hubConfigSchema.parse({
      influx: { version: 1, url: influxd.url, database: 'alerts_test' },
      edges: [{ site: SITE, tokenHash: `sha256:${'0'.repeat(64)}` }],
    })
    const writer = createWriter(cfg.influx, { log })
    // Three dissatisfied ratings at q1 within five minutes: a run (3 in 15 min).
    const unhappy = (seq: number, t: number) =>
      toPoint(SITE, { ...rating(seq, { counter: 'q1', level: 4, score: 0, dissatisfied: true, misuse: null }), t } as RatingRecord)
    await writer.write([unhappy(1, T0), unhappy(2, T0 + 2 * MIN), unhappy(3, T0 + 4 * MIN)])
    const stores = [0, 1].map(() => createAlertStore({ db: createInfluxQuery(cfg.influx), writer, dir: createDirectory(cfg) }))
    const runs = async (store: number, now: number) => (await stores[store]!.list([SITE], now)).filter((a) => a.kind === 'dissatisfied_run')

    // Nobody lists: the background evaluation of instance 0 raises it while the run holds.
    const clock = T0 + 5 * MIN
    stores[0]!.start(50, () => clock, log)
    const db = createInfluxQuery(cfg.influx)
    const storedRuns = async () => (await db.run([`SELECT "alert_id", "cleared_at" FROM "alert" WHERE "kind" = 'dissatisfied_run'`]))[0]?.[0]?.values ?? []
    await waitFor('the dissatisfied run stored', async () => (await storedRuns()).length > 0)
    stores[0]!.stop()
    expect(await storedRuns()).toHaveLength(1)

    // An hour later the run is long over; instance 1 lists it, cleared and waiting for an acknowledgement.
    const later = T0 + 60 * MIN
    const [cleared] = await runs(1, later)
    expect(cleared).toMatchObject({ subject: `${SITE}/q1`, since: T0, clearedAt: later, ack: null })
    expect(cleared!.raisedAt).toBeLessThan(later)
    // Listing only reads (issue 11, finding 5); instance 1's background evaluation stores the clearing.
    expect(await storedRuns()).toMatchObject([[expect.anything(), cleared!.id, 0]])
    stores[1]!.start(50, () => later, log)
    await waitFor('the clearing stored', async () => (await storedRuns())[0]?.[2] === later)
    stores[1]!.stop()
    expect(stores[1]!.latest()).toMatchObject([{ id: cleared!.id, clearedAt: later }])
    expect(await runs(0, later + MIN)).toMatchObject([{ id: cleared!.id, clearedAt: later, ack: null }])

    const acked = await stores[0]!.acknowledge(cleared!.id, { by: 'ioc-1', comment: 'Đã nhắc cán bộ quầy 1' }, later + 2 * MIN)
    expect(acked.ack).toMatchObject({ by: 'ioc-1', comment: 'Đã nhắc cán bộ quầy 1' })
    // Cleared and acknowledged: listed for the retention time, then gone.
    expect(await runs(1, later + 3 * MIN)).toMatchObject([{ id: cleared!.id, ack: { by: 'ioc-1' } }])
    expect(await runs(1, later + 3 * MIN + DEFAULT_ALERT_THRESHOLDS.retainMs)).toEqual([])
    await expect(stores[1]!.acknowledge(cleared!.id, { by: 'ioc-2', comment: 'again' }, later + 4 * MIN)).rejects.toThrow(/already acknowledged/)
    await writer.close()
  })
})
