/**
 * The supervisor page's audit entries: live views, snapshot views and
 * snapshots taken on demand, stored in the outbox like any record and
 * forwarded to the hub, which writes them to its audit log (docs/console.md).
 * This edge run's entries form one hash chain (common/audit-chain.ts),
 * appended one after another and linked only once stored, so a refused
 * append (full disk) leaves no gap. Callers show nothing whose entry was not
 * stored.
 */
import { randomBytes } from 'node:crypto'
import { chainWriter, EDGE_SUPERVISOR_ROLE, linkHash, oneLine, openViewing, type Viewing } from '../../common/audit-chain.js'
import type { Logger } from '../../common/log.js'
import type { EDGE_AUDIT_ACTIONS } from '../../protocol/records.js'
import type { Clock } from '../clock/types.js'
import type { Outbox } from '../outbox/types.js'

export type EdgeAuditAction = (typeof EDGE_AUDIT_ACTIONS)[number]

export interface EdgeAuditEvent {
  action: EdgeAuditAction
  user: string
  camera: string
  client: string
  viewing?: string
  detail?: string
  durationS?: number
}

export interface EdgeAudit {
  /** Resolves once the entry is durably in the outbox; rejects when it could not be stored. */
  record(e: EdgeAuditEvent): Promise<void>
  /** Stores a viewing's start (rejects if it cannot) and returns the function that stores its end. */
  viewing(user: string, camera: string, client: string): Promise<Viewing>
}

export function createEdgeAudit(o: { outbox: Outbox; clock: Clock; site: string; log: Logger; chain?: string }): EdgeAudit {
  const log = o.log.child({ module: 'audit' })
  const chain = o.chain ?? `edge-${o.site}-${randomBytes(4).toString('hex')}`
  const record = chainWriter<EdgeAuditEvent>({
    chain, log,
    describe: (e) => ({ action: e.action, camera: e.camera, user: e.user }),
    async store(e, link) {
      const stamp = o.clock.stamp()
      const values = {
        atMs: stamp.wall, action: e.action, user: e.user, role: EDGE_SUPERVISOR_ROLE, site: o.site, camera: e.camera,
        viewing: e.viewing ?? '', detail: oneLine((e.detail ?? '').slice(0, 200)), client: oneLine(e.client.slice(0, 64)),
        durationS: e.durationS === undefined ? null : Math.round(e.durationS * 1000) / 1000,
      }
      const hash = linkHash(values, chain, link.seq, link.prev)
      await o.outbox.append({
        kind: 'audit', action: e.action, user: e.user, camera: e.camera, viewing: values.viewing, detail: values.detail,
        client: values.client, durationS: values.durationS, at: values.atMs, chain, link: link.seq, prev: link.prev, hash,
      }, stamp)
      return hash
    },
  })
  return {
    record,
    viewing: (user, camera, client) =>
      openViewing(() => o.clock.now(), (viewing, durationS) => record({ action: durationS === undefined ? 'view_start' : 'view_end', user, camera, client, viewing, durationS })),
  }
}
