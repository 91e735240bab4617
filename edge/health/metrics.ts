/**
 * Prometheus metrics for /metrics, read from the state the parts already
 * keep (broker stats, outbox stats, forwarder status) at scrape time, so
 * there is one source of truth and nothing to keep in step.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client'
import type { BrokerStats } from '../broker/stats.js'
import type { ForwarderStatus } from '../forwarder/forwarder.js'
import type { OutboxStats } from '../outbox/types.js'

export interface MetricSources {
  broker: BrokerStats
  connectedClients(): number
  outbox(): OutboxStats
  forwarder(): ForwarderStatus | null
}

function countsByLabel(registry: Registry, name: string, help: string, label: string, read: () => Record<string, number>): void {
  new Counter({
    name,
    help,
    labelNames: [label],
    registers: [registry],
    collect() {
      this.reset()
      for (const [value, n] of Object.entries(read())) this.inc({ [label]: value }, n)
    },
  })
}

function gauge(registry: Registry, name: string, help: string, read: () => number): void {
  new Gauge({ name, help, registers: [registry], collect() { this.set(read()) } })
}

function total(registry: Registry, name: string, help: string, read: () => number): void {
  new Counter({ name, help, registers: [registry], collect() { this.reset(); this.inc(read()) } })
}

export function createEdgeMetrics(src: MetricSources): Registry {
  const r = new Registry()
  collectDefaultMetrics({ register: r, prefix: 'motcua_edge_' })
  const b = src.broker
  countsByLabel(r, 'motcua_edge_messages_received_total', 'Device messages accepted by ingest, by record kind', 'kind', () => b.received)
  countsByLabel(r, 'motcua_edge_messages_stored_total', 'Records stored in the outbox, by kind', 'kind', () => b.stored)
  countsByLabel(r, 'motcua_edge_rejected_total', 'Device messages refused, by error code', 'code', () => b.rejected)
  countsByLabel(r, 'motcua_edge_auth_failures_total', 'Refused MQTT connections, by reason', 'reason', () => b.authFailures)
  countsByLabel(r, 'motcua_edge_store_failures_total', 'Messages not acknowledged because the outbox refused them, by code', 'code', () => b.storeFailures)
  total(r, 'motcua_edge_duplicates_total', 'Resent events already stored (acknowledged, not stored again)', () => b.duplicates)
  total(r, 'motcua_edge_subscribe_refused_total', 'Subscriptions refused by the ACL', () => b.subscribeRefused)
  total(r, 'motcua_edge_oversized_packets_total', 'Connections dropped for an oversized MQTT packet', () => b.oversizedPackets)
  gauge(r, 'motcua_edge_connected_clients', 'MQTT clients connected', () => src.connectedClients())
  gauge(r, 'motcua_edge_outbox_depth', 'Records waiting to be forwarded', () => src.outbox().depth)
  gauge(r, 'motcua_edge_outbox_bytes', 'Outbox size', () => src.outbox().bytes)
  gauge(r, 'motcua_edge_outbox_oldest_age_seconds', 'Age of the oldest waiting record', () => src.outbox().oldestAgeS)
  gauge(r, 'motcua_edge_outbox_refusing', '1 while the outbox refuses writes (disk full)', () => (src.outbox().refusing ? 1 : 0))
  total(r, 'motcua_edge_outbox_shed_total', 'Low-priority records dropped under the disk budget', () => src.outbox().shed)
  gauge(r, 'motcua_edge_dead_letters', 'Records the hub refused, kept on the edge', () => src.outbox().deadLetters)
  gauge(r, 'motcua_edge_forwarder_running', '1 while the forwarder runs', () => (src.forwarder()?.running ? 1 : 0))
  gauge(r, 'motcua_edge_forwarder_consecutive_failures', 'Failed hub requests in a row', () => src.forwarder()?.consecutiveFailures ?? 0)
  gauge(r, 'motcua_edge_forwarder_last_success_seconds', 'Unix time of the last batch the hub accepted (0: never)', () => (src.forwarder()?.lastSuccessAt ?? 0) / 1000)
  total(r, 'motcua_edge_forwarder_delivered_total', 'Records delivered to the hub', () => src.forwarder()?.delivered ?? 0)
  return r
}
