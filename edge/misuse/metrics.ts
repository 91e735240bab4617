import { Counter, Gauge, type Registry } from 'prom-client'
import type { MisuseStats } from './filter.js'

/** Misuse counts on the edge's /metrics, per counter and officer so self-rating shows up against a name. */
export function addMisuseMetrics(registry: Registry, stats: MisuseStats): void {
  new Counter({
    name: 'motcua_edge_misuse_total',
    help: 'Ratings flagged by the misuse filter, by kind, counter and officer on duty',
    labelNames: ['kind', 'counter', 'officer'],
    registers: [registry],
    collect() {
      this.reset()
      for (const [key, n] of stats.flagged) {
        const [kind = '', counter = '', officer = ''] = key.split('|')
        this.inc({ kind, counter, officer }, n)
      }
    },
  })
  new Counter({
    name: 'motcua_edge_best_without_ticket_total',
    help: 'Presses of the best level carrying no ticket number, by counter and officer on duty',
    labelNames: ['counter', 'officer'],
    registers: [registry],
    collect() {
      this.reset()
      for (const [key, n] of stats.bestWithoutTicket) {
        const [counter = '', officer = ''] = key.split('|')
        this.inc({ counter, officer }, n)
      }
    },
  })
  new Gauge({
    name: 'motcua_edge_stuck_devices',
    help: 'Rating devices whose button is stuck right now',
    registers: [registry],
    collect() {
      this.set(stats.stuck.size)
    },
  })
}
