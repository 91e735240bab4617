/** LevelDB plumbing for the outbox: synced writes, error mapping, and the state rebuilt at open. */
import type { ClassicLevel } from 'classic-level'
import { MotcuaError } from '../../common/errors.js'
import { DEAD_PREFIX, LANES, SEQ_META_KEY, decodeStamp, entryBytes, lanePrefix, prefixEnd, seqOfKey, type DeadLetter, type Lane } from './keys.js'

export type Op = { type: 'put'; key: string; value: string } | { type: 'del'; key: string }

export interface LaneState {
  depth: number
  bytes: number
  oldestWall: number | null
  /**
   * No record of the lane sorts below this key. Reads start here instead of
   * at the lane's prefix: a drained queue leaves tombstones until LevelDB
   * compacts them, and skipping them on every read made draining quadratic.
   */
  floor: string
}

export const SCAN_CHUNK = 1000

/** One fsynced batch. A chained batch: several times faster than db.batch(array), which validates and copies every op in JS. */
export function commitSynced(db: ClassicLevel<string, string>, ops: readonly Op[]): Promise<void> {
  const batch = db.batch()
  for (const op of ops) {
    if (op.type === 'put') batch.put(op.key, op.value)
    else batch.del(op.key)
  }
  return batch.write({ sync: true })
}

/** Maps a LevelDB failure to the catalogue: ENOSPC is "disk full", anything else "store failed". */
export function storeError(err: unknown): MotcuaError {
  const text = `${(err as Error)?.message ?? ''} ${((err as { cause?: Error })?.cause?.message) ?? ''}`
  const full = /ENOSPC|No space left/i.test(text)
  return new MotcuaError(full ? 'EDGE_DISK_FULL' : 'EDGE_STORE_FAILED', text.trim(), { cause: err })
}

/** The earliest point time among the dead letters kept for each reason: what `requeueDead` may have to move. */
export type EarliestDead = Map<string, number>

export function noteDead(earliest: EarliestDead, reason: string, t: number | null): void {
  if (t !== null && !(t >= (earliest.get(reason) ?? Infinity))) earliest.set(reason, t)
}

/**
 * Counters rebuilt from the disk at open (one scan; a million queued records
 * take a few seconds). The sequence continues after the highest number ever
 * used, queued, dead or already delivered (`m!seq`).
 */
export async function recoverState(
  db: ClassicLevel<string, string>,
): Promise<{ lanes: Record<Lane, LaneState>; nextSeq: number; deadLetters: number; earliestDead: EarliestDead }> {
  const lanes = Object.fromEntries(LANES.map((l) => [l, { depth: 0, bytes: 0, oldestWall: null, floor: lanePrefix(l) }])) as Record<Lane, LaneState>
  let nextSeq = Number((await db.get(SEQ_META_KEY)) ?? 0)
  let deadLetters = 0
  for (const lane of LANES) {
    const state = lanes[lane]
    const it = db.iterator({ gte: lanePrefix(lane), lt: prefixEnd(lanePrefix(lane)) })
    try {
      for (let chunk = await it.nextv(SCAN_CHUNK); chunk.length > 0; chunk = await it.nextv(SCAN_CHUNK)) {
        for (const [key, value] of chunk) {
          if (state.oldestWall === null) {
            state.oldestWall = decodeStamp(value).wall
            state.floor = key
          }
          state.depth++
          state.bytes += entryBytes(key, value)
          nextSeq = Math.max(nextSeq, seqOfKey(key) + 1)
        }
      }
    } finally {
      await it.close()
    }
  }
  const earliestDead: EarliestDead = new Map()
  for await (const [key, value] of db.iterator({ gte: DEAD_PREFIX, lt: prefixEnd(DEAD_PREFIX) })) {
    deadLetters++
    nextSeq = Math.max(nextSeq, seqOfKey(key) + 1)
    const dead = JSON.parse(value) as DeadLetter
    noteDead(earliestDead, dead.reason, dead.s.t)
  }
  return { lanes, nextSeq, deadLetters, earliestDead }
}
