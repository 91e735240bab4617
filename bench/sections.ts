/** One entry per benchmark section: runs it and turns its figures into README rows against the issues' targets. */
import { benchSpine } from './spine.js'

export interface Row {
  what: string
  target: string
  measured: string
  /** null when there is no target to meet (context figures). */
  met: boolean | null
}

export type Section = (o: { quick: boolean; log: (s: string) => void }) => Promise<{ raw: unknown; rows: Row[] }>

export const SECTIONS: Record<string, Section> = {
  async spine({ quick, log }) {
    const r = await benchSpine({ perClient: quick ? 300 : 4000, drainRecords: quick ? 50_000 : 1_000_000, log })
    const rows: Row[] = [
      { what: 'bare aedes QoS 1 relay (30 clients, window 100)', target: 'baseline', measured: `${r.bareAedesMsgsPerS.toLocaleString('en')} msg/s`, met: null },
      { what: 'edge durable ingest (fsync before PUBACK), same load', target: '≥ 60% of bare aedes', measured: `${r.edgeDurableMsgsPerS.toLocaleString('en')} msg/s = ${Math.round(r.edgeToBareRatio * 100)}%`, met: r.edgeToBareRatio >= 0.6 },
      {
        what: `sustained end to end, MQTT → edge → hub → InfluxDB (${r.endToEnd.ratings.toLocaleString('en')} ratings)`,
        target: '≥ 25,000 ratings/s, zero loss',
        measured: `${r.endToEnd.ratingsPerS.toLocaleString('en')} ratings/s, ${r.endToEnd.ratings - r.endToEnd.stored} lost, ${r.endToEnd.duplicates} duplicated`,
        met: r.endToEnd.ratingsPerS >= 25_000 && r.endToEnd.stored === r.endToEnd.ratings && r.endToEnd.duplicates === 0,
      },
      { what: `backlog drain of ${r.drain.records.toLocaleString('en')} queued records into InfluxDB`, target: '≥ 100,000 points/s', measured: `${r.drain.pointsPerS.toLocaleString('en')} points/s`, met: r.drain.pointsPerS >= 100_000 },
      { what: `press-to-queryable latency at 100 ratings/s (poll every ${r.latency.pollMs} ms)`, target: 'p50 ≤ 100 ms, p99 ≤ 300 ms', measured: `p50 ${r.latency.p50Ms} ms, p99 ${r.latency.p99Ms} ms`, met: r.latency.p50Ms <= 100 && r.latency.p99Ms <= 300 },
      { what: 'edge resident memory, 30 counters connected', target: '≤ 80 MB', measured: `${r.edgeRssMb30Counters} MB`, met: r.edgeRssMb30Counters <= 80 },
    ]
    return { raw: r, rows }
  },
}
