/**
 * Every `healthIntervalS` the edge stores one edge_health record in its own
 * outbox, so the hub sees the Pi's disk, backlog, temperature and devices
 * even after an outage (the samples queue up like ratings do).
 */
import type { Logger } from '../../common/log.js'
import type { BrokerStats } from '../broker/stats.js'
import type { Clock } from '../clock/types.js'
import type { NewRecord, Outbox } from '../outbox/types.js'

export type EdgeHealthRecord = Extract<NewRecord, { kind: 'edge_health' }>

export interface HealthSources {
  outbox: Outbox
  brokerStats: BrokerStats
  connectedClients(): number
  clock: Clock
  uptimeS(): number
  diskFreeBytes(): Promise<number>
  cpuTempC(): Promise<number | null>
  rssBytes(): number
}

export async function sampleHealth(src: HealthSources): Promise<EdgeHealthRecord> {
  const [disk, temp] = await Promise.all([src.diskFreeBytes().catch(() => 0), src.cpuTempC()])
  const o = src.outbox.stats()
  return {
    kind: 'edge_health',
    uptimeS: Math.floor(src.uptimeS()),
    outboxDepth: o.depth,
    outboxOldestAgeS: o.oldestAgeS,
    outboxBytes: o.bytes,
    diskFreeBytes: Math.floor(disk),
    connectedDevices: src.connectedClients(),
    cpuTempC: temp,
    rssBytes: src.rssBytes(),
    shed: o.shed,
    rejected: src.brokerStats.rejectedTotal,
    deadLetters: o.deadLetters,
    clockOffsetMs: src.clock.offsetMs(),
  }
}

export interface HealthTimers {
  setInterval(fn: () => void, ms: number): unknown
  clearInterval(handle: unknown): void
}

export interface HealthSampler {
  /** Takes and stores one sample now; resolves when it is stored (or failed and was logged). */
  sampleNow(): Promise<void>
  stop(): void
}

export function startHealthSampler(opts: { intervalS: number; sources: HealthSources; log: Logger; timers?: HealthTimers }): HealthSampler {
  const log = opts.log.child({ module: 'health' })
  const timers = opts.timers ?? {
    setInterval: (fn: () => void, ms: number) => setInterval(fn, ms).unref(),
    clearInterval: (h: unknown) => clearInterval(h as NodeJS.Timeout),
  }
  let busy = false
  const sampleNow = async () => {
    // A slow statfs on a failing SD card must not pile samples up.
    if (busy) return
    busy = true
    try {
      const record = await sampleHealth(opts.sources)
      await opts.sources.outbox.append(record, opts.sources.clock.stamp())
    } catch (err) {
      log.warn({ err }, 'health sample not stored')
    } finally {
      busy = false
    }
  }
  const handle = timers.setInterval(() => void sampleNow(), opts.intervalS * 1000)
  return { sampleNow, stop: () => timers.clearInterval(handle) }
}
