/**
 * Starts Debian's victoria-metrics single-node on a free loopback port. It
 * accepts InfluxDB line protocol on /api/v2/write (the 2.x writer's path);
 * -dedup.minScrapeInterval=1ms keeps one sample per series and millisecond,
 * so a replayed point is not counted twice.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../../testkit/ports.js'
import { httpStatus, killChild, spawnChild, waitReady, type Child } from '../../testkit/spawned.js'

export const VICTORIA_BIN = '/usr/bin/victoria-metrics'

export interface VictoriaMetrics {
  url: string
  port: number
  /** Makes freshly written samples visible to queries (normally up to a few seconds later). */
  flush(): Promise<void>
  /** Exported samples of the series matching `selector`, one JSON object per series. */
  exportSeries(selector: string): Promise<{ metric: Record<string, string>; values: number[]; timestamps: number[] }[]>
  stop(): Promise<void>
}

export async function startVictoriaMetrics(opts: { startTimeoutMs?: number } = {}): Promise<VictoriaMetrics> {
  const dir = mkdtempSync(join(tmpdir(), 'motcua-vm-'))
  let child: Child | null = null
  let port = 0
  try {
    for (let attempt = 1; !child; attempt++) {
      port = await freePort()
      const c = spawnChild(VICTORIA_BIN, [
        `-httpListenAddr=127.0.0.1:${port}`,
        `-storageDataPath=${dir}`,
        '-dedup.minScrapeInterval=1ms',
        '-retentionPeriod=100y',
        '-loggerLevel=ERROR',
      ])
      try {
        await waitReady(c, async () => (await httpStatus(`http://127.0.0.1:${port}/health`)) === 200, opts.startTimeoutMs ?? 30_000, 'victoria-metrics')
        child = c
      } catch (err) {
        await killChild(c)
        if (attempt >= 3) throw err
      }
    }
  } catch (err) {
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
  const url = `http://127.0.0.1:${port}`
  return {
    url,
    port,
    async flush() {
      await httpStatus(`${url}/internal/force_flush`)
    },
    async exportSeries(selector) {
      const res = await fetch(`${url}/api/v1/export?${new URLSearchParams({ 'match[]': selector })}`, {
        signal: AbortSignal.timeout(10_000),
      })
      if (!res.ok) throw new Error(`export failed: ${res.status} ${await res.text()}`)
      const text = await res.text()
      return text
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as { metric: Record<string, string>; values: number[]; timestamps: number[] })
    },
    async stop() {
      if (child) await killChild(child)
      child = null
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
