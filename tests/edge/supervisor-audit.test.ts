/**
 * The edge's supervisor-page audit entries end to end without the network in
 * between: chained by the edge into a real LevelDB outbox, each a valid
 * protocol record, mapped by the hub into its audit measurement on a real
 * influxd, and verified there as one unbroken chain, even after the point
 * times were corrected. A refused append refuses the viewing and leaves no gap.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifyChains } from '../../common/audit-chain.js'
import { createLogger } from '../../common/log.js'
import { MotcuaError } from '../../common/errors.js'
import { openOutbox } from '../../edge/outbox/leveldb-outbox.js'
import type { ForwardableOutbox, Outbox } from '../../edge/outbox/types.js'
import { createEdgeAudit } from '../../edge/supervisor/audit.js'
import { auditEntries } from '../../hub/audit/audit.js'
import type { HubConfig } from '../../hub/config/schema.js'
import { toPoint } from '../../hub/influx/points.js'
import { createWriter } from '../../hub/rollup/writer.js'
import { createInfluxQuery } from '../../hub/queries/client.js'
import { edgeRecord } from '../../protocol/records.js'
import { startInfluxd, type Influxd } from '../../testkit/influxd.js'
import { ManualClock } from '../support/manual-clock.js'

const log = createLogger('test', 'silent')
const DB = 'motcua_edge_audit'
let dir: string
let influx: Influxd
let outbox: ForwardableOutbox
const clock = new ManualClock()

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'motcua-edge-audit-'))
  influx = await startInfluxd()
  outbox = await openOutbox({ dir: join(dir, 'outbox'), commitWindowMs: 2, maxBytes: 64e6, minFreeBytes: 0, dedupDays: 1, log, now: () => clock.now() })
})

afterAll(async () => {
  await outbox?.close()
  await influx?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('supervisor page audit entries', () => {
  it('are chained into the outbox, valid records, and one unbroken chain on the hub, point times corrected or not', async () => {
    const audit = createEdgeAudit({ outbox, clock, site: 'ct-center', log, chain: 'edge-ct-center-t1' })
    const viewing = await audit.viewing('giamsat', 'cam-hall', '192.168.1.20')
    clock.advance(42_500)
    await Promise.all([
      viewing.end(),
      audit.record({ action: 'snapshot_view', user: 'giamsat', camera: 'cam-hall', client: '192.168.1.20', detail: 'cam-hall_1800000000000_motion.jpg' }),
      audit.record({ action: 'snapshot_take', user: 'giamsat', camera: 'cam-door', client: '192.168.1.20\nx', detail: 'on demand' }),
    ])
    const entries = await outbox.peek(100)
    expect(entries.map((e) => e.record.kind)).toEqual(['audit', 'audit', 'audit', 'audit'])
    // As the forwarder sends them, with the edge's clock corrected by a minute after the hashes were made.
    const records = entries.map((e) => edgeRecord.parse({ ...e.record, seq: e.seq, t: e.stamp.t! + 60_000, clock: 'corrected' }))
    expect(records.map((r) => (r.kind === 'audit' ? [r.link, r.action] : null))).toEqual([[0, 'view_start'], [1, 'view_end'], [2, 'snapshot_view'], [3, 'snapshot_take']])
    const config = { version: 1, url: influx.url, database: DB } as HubConfig['influx']
    const writer = createWriter(config, { log })
    try {
      await writer.write(records.map((r) => toPoint('ct-center', r)))
      // A replay (lost acknowledgement) lands on the same points.
      await writer.write(records.map((r) => toPoint('ct-center', r)))
    } finally {
      await writer.close()
    }
    const stored = await auditEntries(createInfluxQuery(config), 0, Date.now() + 86_400_000 * 400)
    expect(stored).toHaveLength(4)
    expect(stored.every((e) => e.role === 'edge_supervisor' && e.site === 'ct-center' && e.chain === 'edge-ct-center-t1')).toBe(true)
    expect(stored.find((e) => e.action === 'view_end')?.durationS).toBe(42.5)
    const report = verifyChains(stored)
    expect(report.broken).toBeNull()
    expect(report.chains).toHaveLength(1)
    // And a stored value changed afterwards is caught.
    const changed = stored.map((e) => (e.action === 'snapshot_view' ? { ...e, user: 'someone-else' } : e))
    expect(verifyChains(changed).broken).toMatchObject({ chain: 'edge-ct-center-t1', seq: 2, reason: 'changed' })
  })

  it('refuses a viewing whose entry the outbox cannot store, and links the next stored entry without a gap', async () => {
    let full = true
    const refusing: Outbox = {
      append: (record, stamp, key) => (full ? Promise.reject(new MotcuaError('EDGE_DISK_FULL', 'disk full')) : outbox.append(record, stamp, key)),
      stats: () => outbox.stats(),
      close: async () => undefined,
    }
    const audit = createEdgeAudit({ outbox: refusing, clock, site: 'ct-center', log, chain: 'edge-ct-center-t2' })
    await expect(audit.viewing('giamsat', 'cam-hall', '127.0.0.1')).rejects.toMatchObject({ code: 'EDGE_DISK_FULL' })
    full = false
    await audit.record({ action: 'snapshot_take', user: 'giamsat', camera: 'cam-hall', client: '127.0.0.1' })
    const mine = (await outbox.peek(100)).map((e) => e.record).filter((r) => r.kind === 'audit' && r.chain === 'edge-ct-center-t2')
    expect(mine).toMatchObject([{ link: 0, prev: '', action: 'snapshot_take' }])
  })
})
