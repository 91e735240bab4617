/** Relay gauges on the hub's /metrics: which edges hold a tunnel to this instance, and how much video it relays. */
import { Gauge, type Registry } from 'prom-client'
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
  new Gauge({
    name: 'motcua_hub_relay_viewers',
    help: 'Console live-video sockets this instance serves',
    registers: [registry],
    collect() {
      this.set(relay.status().viewers)
    },
  })
}
