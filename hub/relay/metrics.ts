/** Relay gauges on the hub's /metrics: which edges hold a tunnel to this instance, and how much video it relays. */
import { Counter, Gauge, type Registry } from 'prom-client'
import type { Relay } from './relay.js'
import type { TunnelServer } from './tunnels.js'

export function addRelayMetrics(registry: Registry, relay: Relay, tunnels: TunnelServer): void {
  new Gauge({
    name: 'motcua_hub_tunnels',
    help: 'Edges with a camera tunnel open to this hub instance',
    registers: [registry],
    collect() {
      this.set(tunnels.links().length)
    },
  })
  new Gauge({
    name: 'motcua_hub_relay_upstreams',
    help: 'Camera streams this instance receives from edges (one per watched camera)',
    registers: [registry],
    collect() {
      this.set(relay.status().upstreams)
    },
  })
  // One counter per stage of the live path on the hub: a stall shows as the first stage that stops counting.
  const stage = (name: string, help: string, read: () => number) =>
    new Counter({ name, help, registers: [registry], collect() { this.reset(); this.inc(read()) } })
  stage('motcua_hub_tunnel_pieces_received_total', 'Media pieces received from edge tunnels', () => tunnels.counters().pieces)
  stage('motcua_hub_relay_segments_total', 'Media segments handed to relay channels', () => relay.counters().segments)
  stage('motcua_hub_relay_delivered_total', 'Media segments written to console viewers (one per viewer)', () => relay.counters().delivered)
  stage('motcua_hub_relay_skipped_total', 'Media segments a slow viewer skipped to catch up', () => relay.counters().skipped)
  stage('motcua_hub_relay_heals_total', 'Silent upstreams closed and opened again', () => relay.counters().heals)
  new Gauge({
    name: 'motcua_hub_relay_viewers',
    help: 'Console live-video sockets this instance serves',
    registers: [registry],
    collect() {
      this.set(relay.status().viewers)
    },
  })
}
