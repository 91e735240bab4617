/**
 * The edge and the hub as issue 11's HTTP fuzz meets them: each its own
 * process with its production wiring (edge/main.ts, hub/main.ts over HTTPS,
 * a real influxd), and the fuzz of one surface measured against that
 * process's descriptors and memory. Shared by tests/faults/http-fuzz.test.ts
 * (short run) and `npm run bench -- fuzz` (long run).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { hashPassword, newSecret } from '../../common/secrets.js'
import { makeDemoSite } from '../../scripts/lib/demo-site.js'
import { makeTestPki, type TestPki } from '../../testkit/certs.js'
import { processFootprint, type FuzzResult } from '../../testkit/http-fuzz.js'
import { startInfluxd, type Influxd } from '../../testkit/influxd.js'
import { freePort } from '../../testkit/ports.js'
import { waitFor } from '../../testkit/wait.js'
import { startTsProcess, type Proc } from './procs.js'

export interface FuzzStack {
  edge: Proc
  hub: Proc
  edgePort: number
  hubPort: number
  pki: TestPki
  /** GET /healthz answers below 500. */
  edgeAlive(): Promise<boolean>
  hubAlive(): Promise<boolean>
  stop(): Promise<void>
}

export async function startFuzzStack(): Promise<FuzzStack> {
  const dir = mkdtempSync(join(tmpdir(), 'motcua-fuzz-'))
  const pki = makeTestPki(join(dir, 'pki'))
  const started: { stop(): Promise<void> }[] = []
  try {
    const influx: Influxd = await startInfluxd()
    started.push(influx)
    const hubPort = await freePort()
    const edgePort = await freePort()
    const site = await makeDemoSite({ hubUrl: `https://localhost:${hubPort}`, hubCa: pki.caCert, outboxDir: join(dir, 'outbox'), ports: { mqtt: await freePort(), ws: await freePort(), http: edgePort } })
    const hubFile = join(dir, 'hub.yaml')
    writeFileSync(hubFile, stringify({
      http: { host: '127.0.0.1', port: hubPort, tls: { cert: pki.serverCert, key: pki.serverKey } },
      influx: { version: 1, url: influx.url, database: 'motcua_fuzz' },
      edges: [site.hubEdge],
      sites: [{ id: site.siteId, name: 'Trung tâm' }],
      users: [{ username: 'quantri', name: 'Quản trị', role: 'admin', passwordHash: await hashPassword('quan-tri-fuzz-2026') }],
      sessionSecret: newSecret(),
    }))
    const edgeFile = join(dir, 'edge.yaml')
    writeFileSync(edgeFile, stringify(site.edge))
    const hub = await startTsProcess('hub/main.ts', [hubFile], 'hub listening', { LOG_LEVEL: 'info' })
    started.push(hub)
    const edge = await startTsProcess('edge/main.ts', [edgeFile], 'edge listening', { LOG_LEVEL: 'info' })
    started.push(edge)
    return {
      edge, hub, edgePort, hubPort, pki,
      edgeAlive: () => alive(`http://127.0.0.1:${edgePort}`),
      hubAlive: () => alive(`https://localhost:${hubPort}`, pki.caPem),
      async stop() {
        for (const s of started.reverse()) await s.stop()
        rmSync(dir, { recursive: true, force: true })
      },
    }
  } catch (err) {
    for (const s of started.reverse()) await s.stop()
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
}

function alive(url: string, ca?: string): Promise<boolean> {
  const request = url.startsWith('https') ? httpsRequest : httpRequest
  return new Promise<boolean>((resolve) => {
    const req = request(`${url}/healthz`, { ca, agent: false, timeout: 5000 }, (res) => {
      res.resume()
      resolve(res.statusCode !== undefined && res.statusCode < 500)
    })
    req.on('timeout', () => req.destroy())
    req.on('error', () => resolve(false))
    req.end()
  })
}

export interface MeasuredFuzz {
  result: FuzzResult
  before: { fds: number; rssMb: number }
  after: { fds: number; rssMb: number }
  /** The process was still running, and answered its health check, after the fuzz. */
  survived: boolean
  /** Its descriptors came back within FD_SLACK of the baseline within SETTLE_MS. */
  fdsBack: boolean
  /** Its resident memory is within RSS_SLACK_MB of the baseline. */
  rssBack: boolean
}

/** Descriptors a quiet process may hold beyond its baseline: pooled database connections, log files reopened. */
export const FD_SLACK = 8
/** Memory a process may keep beyond its baseline once the fuzz is over: a grown heap settles after a collection. */
export const RSS_SLACK_MB = 60
/** Closed sockets are released within the server's own timeouts (common/web/server.ts), well inside this. */
const SETTLE_MS = 30_000

/** Runs a fuzz against `proc`: its footprint before (after a warm-up request) and after, once descriptors settle. */
export async function measureFuzz(proc: Proc, isAlive: () => Promise<boolean>, run: () => Promise<FuzzResult>): Promise<MeasuredFuzz> {
  // Warm: the first requests build bundles, caches and pools that stay; the baseline is taken after them.
  await isAlive()
  const before = await processFootprint(proc.pid)
  const result = await run()
  const survived = proc.exitCode() === null && (await isAlive())
  let fdsBack = false
  if (survived) {
    fdsBack = await waitFor(`descriptors of pid ${proc.pid} back near ${before.fds}`, async () => (await processFootprint(proc.pid)).fds <= before.fds + FD_SLACK, { timeoutMs: SETTLE_MS, everyMs: 500 })
      .then(() => true, () => false)
  }
  const after = survived ? await processFootprint(proc.pid) : { fds: -1, rssMb: -1 }
  return { result, before, after, survived, fdsBack, rssBack: survived && after.rssMb <= before.rssMb + RSS_SLACK_MB }
}
