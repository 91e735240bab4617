/**
 * `motcua-hub retention [--apply]` (docs/retention.md): what each class of
 * data keeps and how many points are past it, or, with --apply, the sweep
 * the hub runs every night, now.
 */
import { EXIT } from '../../common/cli/exit.js'
import type { CliIo } from '../../common/cli/io.js'
import type { HubConfig } from '../config/schema.js'
import { rollupRetentionPolicy } from '../influx/writer.js'
import { createInfluxQuery } from '../queries/client.js'
import { RETENTION_CLASSES, cutoffOf } from '../retention/policy.js'
import { sweep } from '../retention/sweeper.js'
import type { RetentionClass } from '../config/retention.js'

const day = (ms: number) => new Date(ms + 7 * 3_600_000).toISOString().slice(0, 10)

export async function retentionCommand(config: Readonly<HubConfig>, apply: boolean, io: CliIo, nowMs = Date.now()): Promise<number> {
  const db = createInfluxQuery(config.influx, { timeoutMs: 30 * 60_000 })
  if (apply) {
    const report = await sweep(db, config.retention, nowMs)
    for (const s of report.steps) io.out(`${s.class.padEnd(10)} ${s.measurement.padEnd(16)} before ${day(s.cutoffMs)}: ${s.statements} DELETE statement(s), ${s.ms} ms`)
    io.out(`swept in ${report.ms} ms`)
    return EXIT.OK
  }
  const rollup = config.influx.version === 1 ? `"${rollupRetentionPolicy(config.influx)}".` : ''
  for (const [cls, rules] of Object.entries(RETENTION_CLASSES) as [RetentionClass, (typeof RETENTION_CLASSES)[RetentionClass]][]) {
    const days = config.retention.days[cls]
    const cutoff = cutoffOf(nowMs, days)
    for (const { measurement, rule } of rules) {
      const from = `${cls === 'rollup' ? rollup : ''}"${measurement}"`
      const [series] = await db.run([`SELECT count(*) FROM ${from} WHERE time < '${new Date(cutoff).toISOString()}'`]).catch(() => [[]])
      const older = Math.max(0, ...(series?.[0]?.values[0] ?? []).slice(1).map(Number).filter(Number.isFinite))
      const how = rule.kind === 'time' ? '' : rule.kind === 'keepLast' ? ` (the last point of each ${rule.by.join('/')} is kept)` : ' (whole chains only)'
      io.out(`${cls.padEnd(10)} ${measurement.padEnd(16)} ${days} days, before ${day(cutoff)}: ${older} points${how}`)
    }
  }
  io.out(config.retention.sweep ? 'the hub sweeps every day at ' + `${config.retention.sweepAt.hour}:${String(config.retention.sweepAt.minute).padStart(2, '0')}` : 'this config does not sweep (retention.sweep: false)')
  return EXIT.OK
}
