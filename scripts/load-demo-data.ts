/**
 * Writes the demo history (scripts/lib/demo-data.ts) into an InfluxDB 1.x
 * through the hub's writer (which marks the days for the KPI rollup), so the
 * Grafana dashboards and the KPI API have something to show.
 *
 *   MOTCUA_INFLUX_URL=http://127.0.0.1:8086 npx tsx scripts/load-demo-data.ts
 *
 * Environment: MOTCUA_INFLUX_URL (required), MOTCUA_INFLUX_USER and
 * MOTCUA_INFLUX_PASSWORD (when auth is on), MOTCUA_DEMO_DAYS (default 7).
 * Running it again rewrites the same points (idempotent for the same end minute).
 */
import { createLogger } from '../common/log.js'
import { createWriter } from '../hub/rollup/writer.js'
import { generateDemoData, writeDemoData } from './lib/demo-data.js'

const log = createLogger('load-demo-data')
const url = process.env.MOTCUA_INFLUX_URL
if (!url) {
  log.error({}, 'MOTCUA_INFLUX_URL is not set')
  process.exit(2)
}
const days = Number(process.env.MOTCUA_DEMO_DAYS ?? 7)
const end = Math.floor(Date.now() / 60_000) * 60_000
const writer = createWriter(
  { version: 1, url, database: 'motcua', username: process.env.MOTCUA_INFLUX_USER, password: process.env.MOTCUA_INFLUX_PASSWORD },
  { log },
)
try {
  const points = await writeDemoData(writer, generateDemoData({ end, days }))
  log.info({ points, days, end: new Date(end).toISOString() }, 'demo data written')
} finally {
  await writer.close()
}
