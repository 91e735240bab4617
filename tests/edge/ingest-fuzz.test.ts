import { describe, expect, it } from 'vitest'
import { ERRORS } from '../../common/errors.js'
import { DutyRoster } from '../../edge/ingest/duty.js'
import { ingest } from '../../edge/ingest/ingest.js'
import { buildSiteIndex, type DeviceEntry } from '../../edge/ingest/site.js'
import { edgeRecord } from '../../protocol/records.js'
import { topics } from '../../protocol/topics.js'
import { testSite } from '../support/edge-site.js'
import { fuzzCase, rng } from '../support/fuzz-payloads.js'

const CASES = 100_000

describe('ingest fuzz', () => {
  it(`classifies ${CASES.toLocaleString('en')} random payloads: valid ones become schema-valid records, the rest get a catalogued code`, () => {
    const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31)
    const r = rng(seed)
    const config = testSite().config
    const site = buildSiteIndex(config)
    const duty = new DutyRoster(site)
    const device = site.devices.get('kiosk-1') as DeviceEntry
    const shape = { scale: config.scale, reasons: config.reasons.map((x) => x.id) }
    const topic = topics.rating(site.id, 'q1')
    const seen = { bytes: 0, json: 0, 'broken-rating': 0, 'valid-rating': 0 }
    const codes: Record<string, number> = {}
    for (let i = 0; i < CASES; i++) {
      const c = fuzzCase(r, shape)
      seen[c.family]++
      const result = ingest({ topic, payload: c.payload, device, edgeTs: 1_763_712_000_000 + i }, site, duty)
      const context = `seed ${seed}, case ${i} (${c.family}): ${c.payload.toString('utf8').slice(0, 200)}`
      if (c.valid) {
        expect(result.outcome, context).toBe('record')
        if (result.outcome !== 'record') continue
        expect(edgeRecord.safeParse({ ...result.record, seq: i, t: 1, clock: 'synced' }).success, context).toBe(true)
        expect(result.dedupKey).toBe(`kiosk-1:${c.eventId}`)
      } else {
        if (result.outcome !== 'rejected') expect.fail(`accepted an invalid payload: ${context}`)
        expect(ERRORS, context).toHaveProperty(result.rejection.code)
        expect(result.rejection.message.length).toBeGreaterThan(0)
        codes[result.rejection.code] = (codes[result.rejection.code] ?? 0) + 1
      }
    }
    // Every family and the main codes were exercised, so the run was not vacuous.
    for (const n of Object.values(seen)) expect(n).toBeGreaterThan(CASES / 10)
    for (const code of ['EDGE_PAYLOAD_NOT_JSON', 'EDGE_PAYLOAD_INVALID', 'EDGE_SCALE_MISMATCH', 'EDGE_REASON_UNKNOWN']) expect(codes[code], code).toBeGreaterThan(100)
  })
})
