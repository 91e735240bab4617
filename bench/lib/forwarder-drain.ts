/**
 * Micro-benchmark of draining an outbox backlog to a hub: a local HTTP sink that parses each batch and acknowledges it,
 * so the number measures the edge side (read, finalize, serialize, delete).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLogger } from '../../common/log.js'
import { appendRatings } from './outbox-append.js'
import { openOutbox } from '../../edge/outbox/leveldb-outbox.js'
import { createForwarder } from '../../edge/forwarder/forwarder.js'
import { createHubClient } from '../../edge/forwarder/hub-client.js'

export interface DrainBenchResult {
  records: number
  batchSize: number
  fillSeconds: number
  drainSeconds: number
  recordsPerS: number
  /** CPU time the process (edge side and sink) used while draining: comparable on a busy machine. */
  cpuSeconds: number
  batches: number
}

export async function benchForwarderDrain(n: number, batchSize = 5000): Promise<DrainBenchResult> {
  const log = createLogger('bench', 'silent')
  const dir = mkdtempSync(join(tmpdir(), 'motcua-bench-drain-'))
  let received = 0
  let batches = 0
  const sink = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as { records: unknown[] }
      received += body.records.length
      batches++
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ accepted: body.records.length, rejected: [], serverTime: Date.now() }))
    })
  })
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`
  const outbox = await openOutbox({ dir, commitWindowMs: 2, maxBytes: 4e9, minFreeBytes: 0, dedupDays: 30, log, now: Date.now })
  const hub = createHubClient({ url, token: 'bench-token-0123456789', timeoutMs: 30_000 })
  const clock = { model: () => ({ boot: 'bench', monoToTrue: 0 }), monoNow: () => performance.now(), observeServerTime: () => undefined }
  const forwarder = createForwarder({ outbox, clock, hub, site: 'bench', batchSize, backoffMinMs: 10, backoffMaxMs: 100, log })
  try {
    const fillStart = performance.now()
    await appendRatings(outbox, n, 1000)
    const fillSeconds = (performance.now() - fillStart) / 1000
    const start = performance.now()
    const cpu = process.cpuUsage()
    forwarder.start()
    // Bounded wait: at 1,000 records/s a million would still finish in 20 minutes.
    const deadline = start + Math.max(60_000, n)
    while (outbox.stats().depth > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5))
    const drainSeconds = (performance.now() - start) / 1000
    const used = process.cpuUsage(cpu)
    const cpuSeconds = (used.user + used.system) / 1e6
    return { records: received, batchSize, fillSeconds, drainSeconds, recordsPerS: Math.round(received / drainSeconds), cpuSeconds, batches }
  } finally {
    await forwarder.stop()
    await outbox.close()
    hub.close()
    sink.closeAllConnections()
    await new Promise((resolve) => sink.close(resolve))
    rmSync(dir, { recursive: true, force: true })
  }
}
