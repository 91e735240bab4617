/** Prometheus metrics of one hub instance, in its own registry so several instances can share a process (tests). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { PastStats } from '../queries/past-answers.js'

export type BatchOutcome =
  | 'accepted'
  | 'auth_failed'
  | 'forbidden'
  | 'invalid'
  | 'too_large'
  | 'db_unavailable'
  | 'overloaded'

export function createHubMetrics() {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'motcua_hub_' })
  return {
    registry,
    batches: new Counter({
      name: 'motcua_hub_batches_total',
      help: 'Batch requests by outcome',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    records: new Counter({
      name: 'motcua_hub_records_total',
      help: 'Records in answered batches: accepted (written) or rejected (invalid)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    unavailable: new Counter({
      name: 'motcua_hub_unavailable_total',
      help: '503 answers by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    sparedUploads: new Counter({
      name: 'motcua_hub_batch_uploads_spared_total',
      help: 'Batches refused before their body was sent (Expect: 100-continue)',
      registers: [registry],
    }),
    sparedBytes: new Counter({
      name: 'motcua_hub_batch_upload_bytes_spared_total',
      help: 'Bytes those refused batches declared, which never crossed the edge uplink',
      registers: [registry],
    }),
    writeSeconds: new Histogram({
      name: 'motcua_hub_write_seconds',
      help: 'Time for the database to accept one batch',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    slotWaits: new Counter({
      name: 'motcua_hub_write_slot_waits_total',
      help: 'Uploaded batches that found every write slot taken: got one after waiting (waited), or were refused 503 (timed_out, queue_full)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    slotWaiting: new Gauge({
      name: 'motcua_hub_write_slot_waiting',
      help: 'Uploaded batches waiting for a write slot right now',
      registers: [registry],
    }),
    writesInFlight: new Gauge({
      name: 'motcua_hub_writes_in_flight',
      help: 'Batches being written to the database right now',
      registers: [registry],
    }),
  }
}

export type HubMetrics = ReturnType<typeof createHubMetrics>

/** What the drill-down keeps about past days (hub/queries/past-answers.ts): hits against reads, and its size. */
export function addPastAnswerMetrics(registry: Registry, stats: () => PastStats): void {
  new Counter({
    name: 'motcua_hub_past_answers_total',
    help: 'Cube statements about past days: answered from what this instance keeps (hit) or read (miss)',
    labelNames: ['outcome'] as const,
    registers: [registry],
    collect() {
      const s = stats()
      this.reset()
      this.inc({ outcome: 'hit' }, s.hits)
      this.inc({ outcome: 'miss' }, s.misses)
    },
  })
  new Gauge({
    name: 'motcua_hub_past_answer_values',
    help: 'Row values kept for past answers (about 8 bytes each)',
    registers: [registry],
    collect() {
      this.set(stats().values)
    },
  })
}
