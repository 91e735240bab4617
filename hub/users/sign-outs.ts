/**
 * Server-side revocation of console sessions across the hub's stateless
 * instances (issue 11): a sign-out writes a `console_signout` point, and a
 * session issued at or before its user's latest sign-out is refused by every
 * instance. This instance knows at once; the others read the points at most
 * `refreshMs` later, on the next session read after that (no timer to stop).
 * A sign-out thus ends every console session of that user, not only the one
 * that signed out: the cookie carries no id of its own, and "sign out
 * everywhere" is what a stolen cookie calls for.
 */
import type { Logger } from '../../common/log.js'
import { HUB_MEASUREMENTS } from '../influx/schema.js'
import type { PointWriter } from '../influx/writer.js'
import type { InfluxQuery } from '../queries/client.js'

export interface SignOuts {
  /**
   * Records that `username` signed out at second `atS` (now, or later when the session being ended was stamped
   * after now: see SessionCodec.issue); resolves once the database holds it (rejects if it does not).
   */
  signOut(username: string, atS: number): Promise<void>
  /** The second of the user's latest sign-out known here, or 0; starts a refresh when the last one is old. */
  latestS(username: string): number
}

export const SIGNOUT_MEASUREMENT = 'console_signout' satisfies keyof typeof HUB_MEASUREMENTS

export function createSignOuts(o: { writer?: PointWriter; db?: InfluxQuery; now: () => number; lookBackS: number; log: Logger; refreshMs?: number }): SignOuts {
  const latest = new Map<string, number>()
  const refreshMs = o.refreshMs ?? 5000
  let refreshedAt = -Infinity
  let refreshing = false
  const note = (username: string, s: number) => latest.set(username, Math.max(latest.get(username) ?? 0, s))

  const refresh = () => {
    if (!o.db || refreshing || o.now() - refreshedAt < refreshMs) return
    refreshing = true
    refreshedAt = o.now()
    // Only sign-outs younger than a session's lifetime can refuse a live session.
    o.db.run([`SELECT "username" FROM "${SIGNOUT_MEASUREMENT}" WHERE time > now() - ${o.lookBackS}s`])
      .then(([series]) => {
        for (const s of series ?? []) {
          const at = s.columns.indexOf('time')
          const user = s.columns.indexOf('username')
          for (const row of s.values) note(String(row[user]), Math.floor(Number(row[at]) / 1000))
        }
      }, (err: unknown) => o.log.warn({ err }, 'console sign-outs not read; using those known here'))
      .finally(() => (refreshing = false))
  }

  return {
    async signOut(username, atS) {
      note(username, atS)
      await o.writer?.write([{ measurement: SIGNOUT_MEASUREMENT, tags: {}, fields: { username }, timestampNs: `${atS}000000000` }])
    },
    latestS(username) {
      refresh()
      return latest.get(username) ?? 0
    },
  }
}
