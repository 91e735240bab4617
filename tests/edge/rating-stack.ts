/**
 * The rating path in one process for end-to-end tests: a real influxd, the
 * hub, and the edge (startEdge: real broker, LevelDB outbox, forwarder). The
 * edge can be stopped and started again on the same ports with the same
 * outbox directory, like a Pi that reboots.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hashSecret } from '../../common/secrets.js'
import { edgeConfigSchema, type EdgeConfig } from '../../edge/config/schema.js'
import { startEdge, type RunningEdge, type StartEdgeOptions } from '../../edge/main.js'
import { hubConfigSchema } from '../../hub/config/schema.js'
import { startHub, type RunningHub } from '../../hub/main.js'
import { influxRows } from '../hub/helpers.js'
import { startInfluxd, type Influxd } from '../../testkit/influxd.js'
import { waitFor } from '../../testkit/wait.js'

export interface RatingStack {
  edge: RunningEdge
  influx: Influxd
  hub: RunningHub
  config: EdgeConfig
  /** Stops the edge; the next startEdge() reuses its ports and outbox. */
  stopEdge(): Promise<void>
  startEdge(): Promise<void>
  rows(q: string): Promise<Record<string, unknown>[]>
  /** Polls (every 200 ms, at most `ms`) until `done(rows)` holds and returns those rows; throws, with the last rows, if it never does. */
  waitRows(q: string, done: (rows: Record<string, unknown>[]) => boolean, ms?: number): Promise<Record<string, unknown>[]>
  close(): Promise<void>
}

const TOKEN = 'rating-stack-token-0123456789'

export async function startRatingStack(
  siteConfig: EdgeConfig,
  database: string,
  extra: Record<string, unknown> = {},
  edgeOpts: StartEdgeOptions = {},
): Promise<RatingStack> {
  const dir = mkdtempSync(join(tmpdir(), 'motcua-rating-stack-'))
  const influx = await startInfluxd()
  const hub = await startHub(
    hubConfigSchema.parse({
      http: { host: '127.0.0.1', port: 0 },
      influx: { version: 1, url: influx.url, database },
      edges: [{ site: siteConfig.site.id, tokenHash: hashSecret(TOKEN) }],
    }),
  )
  let config = edgeConfigSchema.parse({
    ...siteConfig,
    hub: { url: hub.url, token: TOKEN, backoffMinMs: 50, backoffMaxMs: 300 },
    outbox: { dir: join(dir, 'outbox') },
    ...extra,
  })
  let edge: RunningEdge | null = await startEdge(config, edgeOpts)
  // Restarts keep the ports the first start was given.
  config = edgeConfigSchema.parse({
    ...config,
    broker: { ...config.broker, mqttPort: edge.ports.mqtt, wsPort: edge.ports.ws },
    http: { ...config.http, port: edge.ports.http },
  })
  const rows = (q: string) => influxRows(influx.url, database, q).catch(() => [])
  const stack: RatingStack = {
    get edge() {
      if (!edge) throw new Error('edge is stopped')
      return edge
    },
    influx,
    hub,
    config,
    async stopEdge() {
      await edge?.stop()
      edge = null
    },
    async startEdge() {
      edge = await startEdge(config, edgeOpts)
    },
    rows,
    async waitRows(q, done, ms = 20_000) {
      let last: Record<string, unknown>[] = []
      return waitFor(
        () => `the rows of ${q} (last ${last.length}: ${JSON.stringify(last).slice(0, 500)})`,
        async () => {
          last = await rows(q)
          return done(last) ? last : null
        },
        { timeoutMs: ms, everyMs: 200 },
      )
    },
    async close() {
      await edge?.stop()
      await hub.stop()
      await influx.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
  return stack
}
