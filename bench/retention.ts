/**
 * What the retention sweep costs InfluxDB 1.6 (docs/retention.md, "Why a
 * sweeper"): a province's device metrics written for some days, then the
 * sweep's DELETE of the oldest day, the same DELETE again with nothing left
 * to delete, a keepLast pass over thousands of device states, and a query
 * before and after. Run on its own: `tsx bench/retention.ts [sites] [days]`
 * (default 200 sites × 10 devices, a point every 5 minutes, 8 days).
 */
import { DAY_MS } from '../common/time.js'
import { hubConfigSchema } from '../hub/config/schema.js'
import { createInfluxQuery } from '../hub/queries/client.js'
import { cutoffOf } from '../hub/retention/policy.js'
import { sweep } from '../hub/retention/sweeper.js'
import { startInfluxd } from '../testkit/influxd.js'

const SITES = Number(process.argv[2] ?? 200)
const DAYS = Number(process.argv[3] ?? 8)
const DEVICES = 10
const EVERY_MS = 5 * 60_000
const END = Date.UTC(2026, 10, 22, 0, 0)

async function main(): Promise<void> {
  const influxd = await startInfluxd()
  try {
    const post = async (q: string) => {
      const res = await fetch(`${influxd.url}/query`, { method: 'POST', body: new URLSearchParams({ q }) })
      if (!res.ok) throw new Error(await res.text())
    }
    await post('CREATE DATABASE motcua')
    const write = async (lines: string[]) => {
      const res = await fetch(`${influxd.url}/write?db=motcua&precision=ms`, { method: 'POST', body: lines.join('\n') })
      if (res.status !== 204) throw new Error(await res.text())
    }
    const start = END - DAYS * DAY_MS
    let points = 0
    const t0 = Date.now()
    for (let t = start; t < END; t += EVERY_MS * 12) {
      const lines: string[] = []
      for (let s = 0; s < SITES; s++) {
        for (let d = 0; d < DEVICES; d++) {
          for (let k = 0; k < 12; k++) {
            lines.push(`heartbeat,site=s${s},counter=q${d},device=d${s}-${d} uptime_s=${t / 1000}i,rssi=-60i,battery=80,seq=${points++}i ${t + k * EVERY_MS}`)
          }
        }
        // Device states change a few times a day.
        if ((t / (EVERY_MS * 12)) % 6 === 0) {
          for (let d = 0; d < DEVICES; d++) lines.push(`device_status,site=s${s},counter=q${d},device=d${s}-${d},kind=button online=${t % 2 === 0},seq=${points++}i ${t}`)
        }
      }
      await write(lines)
    }
    const writeS = (Date.now() - t0) / 1000
    const config = hubConfigSchema.parse({ influx: { version: 1, url: influxd.url }, edges: [{ site: 's0', tokenHash: `sha256:${'0'.repeat(64)}` }] })
    const db = createInfluxQuery(config.influx, { timeoutMs: 600_000 })
    const timed = async (what: string, f: () => Promise<unknown>) => {
      const t = Date.now()
      const r = await f()
      const ms = Date.now() - t
      const steps = (r as { steps?: { measurement: string; statements: number; ms: number }[] }).steps ?? []
      console.log(`${what}: ${ms} ms${steps.map((s) => `\n  ${s.measurement}: ${s.statements} DELETE statement(s), ${s.ms} ms`).join('')}`)
      return ms
    }
    const query = () => db.run([`SELECT mean("battery") FROM "heartbeat" WHERE time >= ${END - DAY_MS}ms AND time < ${END}ms GROUP BY "site"`])
    console.log(`wrote ${points.toLocaleString('en')} points (${SITES} sites × ${DEVICES} devices, ${DAYS} days) in ${writeS.toFixed(1)} s`)
    await timed('query: a day of heartbeats by site, before', query)
    const days = DAYS - 1
    const cut = cutoffOf(END, days)
    const older = Number((await db.run([`SELECT count("seq") FROM "heartbeat" WHERE time < ${cut}ms`]))[0]?.[0]?.values[0]?.[1])
    const retention = { ...config.retention, days: { ...config.retention.days, devices: days } }
    await timed(`sweep of the devices class, first (${older.toLocaleString('en')} heartbeats older than the cutoff)`, () => sweep(db, retention, END, ['devices']))
    await timed('sweep of the devices class, again (nothing left to delete)', () => sweep(db, retention, END, ['devices']))
    const left = Number((await db.run([`SELECT count("seq") FROM "heartbeat" WHERE time < ${cut}ms`]))[0]?.[0]?.values[0]?.[1] ?? 0)
    console.log(`heartbeats older than the cutoff after the sweep: ${left}`)
    await timed('query: a day of heartbeats by site, after', query)
    await timed('the next day\'s sweep (one more day expired)', () => sweep(db, { ...retention, days: { ...retention.days, devices: days - 1 } }, END, ['devices']))
  } finally {
    await influxd.stop()
  }
}

await main()
