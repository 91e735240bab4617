/**
 * The edge's durable outbox on LevelDB (classic-level ships prebuilt
 * binaries, linux-arm64 included, so the Pi needs no compiler).
 *
 * Every write goes through one serial chain so the in-memory counters always
 * match the disk. Appends are group-committed: those arriving while a batch
 * is in flight, or within `commitWindowMs`, share one fsynced `db.batch`, and
 * each append resolves only after that batch; this is what lets the broker
 * send PUBACK only once a rating is on disk without one fsync per rating.
 */
import { ClassicLevel } from 'classic-level'
import type { Logger } from '../../common/log.js'
import { MotcuaError } from '../../common/errors.js'
import type { Stamp } from '../clock/types.js'
import { BloomFilter } from './bloom.js'
import { diskGauge, type StatfsFn } from './disk.js'
import {
  DEDUP_PREFIX, LANES, SEQ_META_KEY, dedupKey as dedupIndexKey, dedupOfIndexKey, deadKey, decodeEntry, decodeStamp,
  encodeStored, encodeValue, entryBytes, laneOf, laneOfKey, lanePrefix, prefixEnd, queueKey, seqOfKey, DEAD_PREFIX,
  type DeadLetter, type Lane,
} from './keys.js'
import { ensureFormat } from './format.js'
import { SCAN_CHUNK, commitSynced, noteDead, recoverState, storeError, type Op } from './level-store.js'
import type { ForwardableOutbox, NewRecord, OutboxEntry, OutboxStats } from './types.js'
import { DAY_MS } from '../../common/time.js'

export interface OutboxTimers {
  setTimeout(fn: () => void, ms: number): unknown
  setInterval(fn: () => void, ms: number): unknown
  clearInterval(handle: unknown): void
}

export interface OutboxOptions {
  dir: string
  commitWindowMs: number
  maxBytes: number
  minFreeBytes: number
  dedupDays: number
  log: Logger
  /** Wall clock, ms: ages of dedup keys and of the oldest record. */
  now: () => number
  statfs?: StatfsFn
  statfsCacheMs?: number
  /** How often old dedup keys are pruned (also once at open). */
  pruneIntervalMs?: number
  timers?: OutboxTimers
  /** Told about every group commit (records stored, ms spent), for metrics. */
  onCommit?: (records: number, ms: number) => void
}

interface PendingAppend {
  record: NewRecord
  stamp: Stamp
  dedupKey: string | undefined
  resolve(result: 'stored' | 'duplicate'): void
  reject(err: unknown): void
}

const PRUNE_LIMIT = 10_000
/** Dead letters moved back per call; the rest stay due and move on the next. */
const REQUEUE_LIMIT = 10_000

const defaultTimers: OutboxTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  setInterval: (fn, ms) => setInterval(fn, ms).unref(),
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
}

export async function openOutbox(opts: OutboxOptions): Promise<ForwardableOutbox> {
  const log = opts.log.child({ module: 'outbox' })
  const timers = opts.timers ?? defaultTimers
  const disk = diskGauge(opts.dir, { statfs: opts.statfs, cacheMs: opts.statfsCacheMs, now: opts.now })
  const db = new ClassicLevel<string, string>(opts.dir, { keyEncoding: 'utf8', valueEncoding: 'utf8' })
  await db.open()
  // A format from a newer release is refused before anything reads the records; the lock is released, nothing written.
  const { format } = await ensureFormat(db, opts.dir).catch(async (err: unknown) => {
    await db.close()
    throw err
  })
  const recovered = await recoverState(db)
  const { lanes, earliestDead } = recovered
  let { nextSeq, deadLetters } = recovered
  // Every dedup key on disk is in this filter (filled at open by the first prune scan).
  let seenKeys = new BloomFilter()
  let rebuilding: BloomFilter | null = null
  let shed = 0
  let refusing: string | null = null
  let diskFullUntil = -Infinity
  let closed = false
  let pending: PendingAppend[] = []
  let flushScheduled = false
  let chain: Promise<unknown> = Promise.resolve()
  const listeners = new Set<() => void>()
  /**
   * Shedding deletes a prefix of the low lane; the forwarder may hold some of
   * those records from an earlier read. Their removal must not be counted twice,
   * nor a rewrite bring them back.
   */
  let lowShedThrough = ''
  const alreadyShed = (key: string) => key <= lowShedThrough && laneOfKey(key) === 'low'
  /** Counts requeues that put a record below a lane's floor (the one exception to "nothing appears below a committed key"). */
  let floorsLowered = 0

  const commit = (ops: readonly Op[]) => commitSynced(db, ops)

  function serial<T>(job: () => Promise<T>): Promise<T> {
    const run = chain.then(job)
    chain = run.catch(() => undefined)
    return run
  }

  const totalBytes = () => lanes.critical.bytes + lanes.normal.bytes + lanes.low.bytes

  const laneEnd = (lane: Lane) => prefixEnd(lanePrefix(lane))

  /**
   * Reads the first `limit` records of a lane from its floor, and raises the
   * floor to the first key found. Safe without the write chain: sequence
   * numbers are given in commit order, so nothing can appear below a key
   * already committed, and `nextSeq` only moves after its batch is on disk.
   */
  async function readHead(lane: Lane, limit: number): Promise<[string, string][]> {
    const committed = nextSeq
    const lowered = floorsLowered
    const rows = await db.iterator({ gte: lanes[lane].floor, lt: laneEnd(lane), limit }).all()
    const first = rows[0]?.[0] ?? queueKey(lane, committed)
    // A requeue that lowered a floor during this read wrote below what the read saw.
    if (first > lanes[lane].floor && lowered === floorsLowered) lanes[lane].floor = first
    return rows
  }

  async function refreshOldest(lane: Lane): Promise<void> {
    const [first] = await readHead(lane, 1)
    lanes[lane].oldestWall = first === undefined ? null : decodeStamp(first[1]).wall
  }

  async function flush(): Promise<void> {
    const group = pending
    pending = []
    if (group.length === 0) return
    // Only keys the Bloom filter may have seen are looked up on disk: a new event costs no read.
    const withKey = group.filter((g) => g.dedupKey !== undefined && seenKeys.mightContain(g.dedupKey))
    let known: (string | undefined)[] = []
    try {
      known = withKey.length > 0 ? await db.getMany(withKey.map((g) => dedupIndexKey(g.dedupKey!))) : []
    } catch (err) {
      log.error({ err, records: group.length }, 'outbox dedup lookup failed')
      for (const g of group) g.reject(storeError(err))
      return
    }
    const existing = new Set(withKey.filter((_, i) => known[i] !== undefined).map((g) => g.dedupKey))
    const seen = new Set<string>()
    const ops: Op[] = []
    const outcome: ('stored' | 'duplicate')[] = []
    const added: { lane: Lane; bytes: number; wall: number }[] = []
    const storedKeys: string[] = []
    const storedAt = String(opts.now())
    let seq = nextSeq
    for (const g of group) {
      if (g.dedupKey !== undefined) {
        // A resend in the same window as its original counts as a duplicate too.
        if (existing.has(g.dedupKey) || seen.has(g.dedupKey)) {
          outcome.push('duplicate')
          continue
        }
        seen.add(g.dedupKey)
        storedKeys.push(g.dedupKey)
        ops.push({ type: 'put', key: dedupIndexKey(g.dedupKey), value: storedAt })
      }
      const lane = laneOf(g.record)
      const key = queueKey(lane, seq++)
      const value = encodeValue(g.record, g.stamp)
      ops.push({ type: 'put', key, value })
      added.push({ lane, bytes: entryBytes(key, value), wall: g.stamp.wall })
      outcome.push('stored')
    }
    if (added.length > 0) {
      ops.push({ type: 'put', key: SEQ_META_KEY, value: String(seq) })
      const started = performance.now()
      try {
        await commit(ops)
        opts.onCommit?.(added.length, performance.now() - started)
      } catch (err) {
        const e = storeError(err)
        if (e.code === 'EDGE_DISK_FULL') {
          refusing = 'disk full (ENOSPC)'
          diskFullUntil = opts.now() + (opts.statfsCacheMs ?? 1000)
          disk.invalidate()
        }
        log.error({ err, code: e.code, records: group.length }, 'outbox write failed')
        for (const g of group) g.reject(e)
        return
      }
      nextSeq = seq
      for (const k of storedKeys) {
        seenKeys.add(k)
        rebuilding?.add(k)
      }
      if (refusing !== null && opts.now() >= diskFullUntil) refusing = null
      for (const a of added) {
        const l = lanes[a.lane]
        if (l.depth === 0) l.oldestWall = a.wall
        l.depth++
        l.bytes += a.bytes
      }
    }
    group.forEach((g, i) => g.resolve(outcome[i]!))
    if (added.length > 0) {
      for (const listener of listeners) listener()
      if (totalBytes() > opts.maxBytes) await shedLow()
    }
  }

  /** Drops the oldest low-priority records until the outbox is back under budget. */
  async function shedLow(): Promise<void> {
    const excess = totalBytes() - opts.maxBytes
    if (excess <= 0 || lanes.low.depth === 0) return
    const ops: Op[] = []
    let freed = 0
    const it = db.iterator({ gte: lanes.low.floor, lt: laneEnd('low') })
    try {
      while (freed < excess) {
        const chunk = await it.nextv(SCAN_CHUNK)
        if (chunk.length === 0) break
        for (const [key, value] of chunk) {
          if (freed >= excess) break
          ops.push({ type: 'del', key })
          freed += entryBytes(key, value)
        }
      }
    } finally {
      await it.close()
    }
    try {
      await commit(ops)
    } catch (err) {
      log.error({ err, code: storeError(err).code }, 'outbox shedding failed')
      return
    }
    lowShedThrough = ops.at(-1)?.key ?? lowShedThrough
    lanes.low.depth -= ops.length
    lanes.low.bytes -= freed
    shed += ops.length
    await refreshOldest('low')
    log.warn({ shed: ops.length, freedBytes: freed, bytes: totalBytes(), maxBytes: opts.maxBytes }, 'outbox over budget, shed low-priority records')
  }

  /**
   * Deletes dedup keys older than dedupDays and rebuilds the Bloom filter from
   * the rest. The scan runs beside appends (a LevelDB iterator reads a
   * snapshot; keys stored meanwhile go into the new filter too); only the
   * deletes take turns with writes.
   */
  async function pruneDedup(): Promise<void> {
    const cutoff = opts.now() - opts.dedupDays * DAY_MS
    const fresh = new BloomFilter()
    const old: string[] = []
    rebuilding = fresh
    try {
      for await (const [key, at] of db.iterator({ gt: DEDUP_PREFIX, lt: prefixEnd(DEDUP_PREFIX) })) {
        if (Number(at) < cutoff) old.push(key)
        else fresh.add(dedupOfIndexKey(key))
      }
      seenKeys = fresh
    } finally {
      rebuilding = null
    }
    for (let i = 0; i < old.length; i += PRUNE_LIMIT) {
      const ops: Op[] = old.slice(i, i + PRUNE_LIMIT).map((key) => ({ type: 'del', key }))
      await serial(() => commit(ops))
    }
    if (old.length > 0) log.info({ pruned: old.length }, 'pruned old dedup keys')
  }

  await pruneDedup()
  let pruning: Promise<void> = Promise.resolve()
  const pruneTimer = timers.setInterval(() => {
    pruning = pruneDedup().catch((err) => log.error({ err }, 'dedup pruning failed'))
  }, opts.pruneIntervalMs ?? 3_600_000)

  async function write(ops: Op[]): Promise<void> {
    if (closed) throw new MotcuaError('EDGE_STORE_FAILED', 'outbox is closed')
    try {
      await commit(ops)
    } catch (err) {
      throw storeError(err)
    }
  }

  function subtract(entries: readonly OutboxEntry[]): Set<Lane> {
    const touched = new Set<Lane>()
    for (const e of entries) {
      if (alreadyShed(e.key)) continue
      const lane = laneOfKey(e.key)
      lanes[lane].depth--
      lanes[lane].bytes -= e.bytes
      touched.add(lane)
    }
    return touched
  }

  /** Queues an append for the next group commit, unless the disk is at its reserve. */
  function enqueue(record: NewRecord, stamp: Stamp, dedupKey: string | undefined, free: number): Promise<'stored' | 'duplicate'> {
    if (free < opts.minFreeBytes) {
      if (refusing === null) log.error({ free, minFreeBytes: opts.minFreeBytes }, 'disk reserve reached, refusing writes')
      refusing = `disk free ${free} B is below the reserve of ${opts.minFreeBytes} B`
      return Promise.reject(new MotcuaError('EDGE_DISK_FULL', refusing))
    }
    if (refusing !== null && opts.now() >= diskFullUntil) {
      log.info({ free }, 'disk space available again, accepting writes')
      refusing = null
    }
    return new Promise((resolve, reject) => {
      pending.push({ record, stamp, dedupKey, resolve, reject })
      if (flushScheduled) return
      flushScheduled = true
      timers.setTimeout(() => {
        flushScheduled = false
        void serial(flush)
      }, opts.commitWindowMs)
    })
  }

  const outbox: ForwardableOutbox = {
    append(record, stamp, dedupKey) {
      if (closed) return Promise.reject(new MotcuaError('EDGE_STORE_FAILED', 'outbox is closed'))
      if (opts.now() < diskFullUntil) return Promise.reject(new MotcuaError('EDGE_DISK_FULL', refusing ?? undefined))
      // Between two reads of the disk (statfsCacheMs) an append waits for nothing but its commit: it runs for every message.
      const free = disk.freshFreeBytes()
      if (free !== null) return enqueue(record, stamp, dedupKey, free)
      return disk
        .freeBytes()
        // A failing statfs must not stop ratings: the write itself still reports ENOSPC.
        .catch((err: unknown) => {
          log.warn({ err }, 'cannot read free disk space')
          return Infinity
        })
        .then((f) => enqueue(record, stamp, dedupKey, f))
    },

    // Reads need no place on the write chain: LevelDB iterators read a
    // consistent snapshot, and `after` keeps entries being removed out.
    async peek(limit, after = []) {
      const from = new Map<Lane, string>()
      for (const e of after) {
        const lane = laneOfKey(e.key)
        if ((from.get(lane) ?? '') < e.key) from.set(lane, e.key)
      }
      const out: OutboxEntry[] = []
      for (const lane of LANES) {
        if (out.length >= limit) break
        if (lanes[lane].depth === 0) continue
        const past = from.get(lane)
        const rows =
          past === undefined
            ? await readHead(lane, limit - out.length)
            : await db.iterator({ gt: past, lt: laneEnd(lane), limit: limit - out.length }).all()
        for (const [key, value] of rows) out.push(decodeEntry(key, value))
      }
      return out
    },

    remove(entries) {
      return serial(async () => {
        if (entries.length === 0) return
        await write(entries.map((e) => ({ type: 'del', key: e.key })))
        for (const lane of subtract(entries)) await refreshOldest(lane)
      })
    },

    markDead(entries, reason) {
      return serial(async () => {
        if (entries.length === 0) return
        const at = opts.now()
        await write(
          entries.flatMap((e): Op[] => [
            { type: 'del', key: e.key },
            { type: 'put', key: deadKey(e.seq), value: JSON.stringify({ r: e.record, s: e.stamp, reason, at } satisfies DeadLetter) },
          ]),
        )
        deadLetters += entries.length
        for (const e of entries) noteDead(earliestDead, reason, e.stamp.t)
        for (const lane of subtract(entries)) await refreshOldest(lane)
        log.warn({ records: entries.length, reason, seqs: entries.slice(0, 20).map((e) => e.seq) }, 'records moved to dead letters')
      })
    },

    requeueDead(reason, dueBy) {
      // Nothing kept for this reason is due: the common case, answered without a read.
      if (!((earliestDead.get(reason) ?? Infinity) <= dueBy)) return Promise.resolve(0)
      return serial(async () => {
        const ops: Op[] = []
        const moved: { lane: Lane; key: string; bytes: number }[] = []
        let left = Infinity
        for await (const [key, value] of db.iterator({ gte: DEAD_PREFIX, lt: prefixEnd(DEAD_PREFIX) })) {
          const dead = JSON.parse(value) as DeadLetter
          if (dead.reason !== reason || dead.s.t === null) continue
          const lane = laneOf(dead.r)
          const target = queueKey(lane, seqOfKey(key))
          // A low-lane key at or below what shedding deleted would read as shed; it waits for the next open.
          if (alreadyShed(target)) continue
          if (dead.s.t > dueBy || moved.length >= REQUEUE_LIMIT) {
            left = Math.min(left, dead.s.t)
            continue
          }
          const stored = encodeValue(dead.r, dead.s)
          ops.push({ type: 'del', key }, { type: 'put', key: target, value: stored })
          moved.push({ lane, key: target, bytes: entryBytes(target, stored) })
        }
        // Set once the move is on disk: a failed write leaves every one of them due for the next call.
        const settle = () => (left === Infinity ? earliestDead.delete(reason) : earliestDead.set(reason, left))
        if (moved.length === 0) {
          settle()
          return 0
        }
        await write(ops)
        settle()
        deadLetters -= moved.length
        const touched = new Set<Lane>()
        for (const m of moved) {
          const l = lanes[m.lane]
          l.depth++
          l.bytes += m.bytes
          if (m.key < l.floor) {
            l.floor = m.key
            floorsLowered++
          }
          touched.add(m.lane)
        }
        for (const lane of touched) await refreshOldest(lane)
        log.info({ records: moved.length, reason, seqs: moved.slice(0, 20).map((m) => seqOfKey(m.key)) }, 'dead letters due again, queued under their own sequence numbers')
        for (const listener of listeners) listener()
        return moved.length
      })
    },

    rewrite(entries) {
      return serial(async () => {
        const next = entries.map((e) => {
          const value = encodeStored(e.stamp, e.recordJson)
          return { entry: { ...e, bytes: entryBytes(e.key, value) }, value }
        })
        const kept = next.filter(({ entry }) => !alreadyShed(entry.key))
        await write(kept.map(({ entry, value }) => ({ type: 'put', key: entry.key, value })))
        next.forEach(({ entry }, i) => {
          if (!alreadyShed(entry.key)) lanes[laneOfKey(entry.key)].bytes += entry.bytes - entries[i]!.bytes
        })
        return next.map((n) => n.entry)
      })
    },

    onAppend(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },

    stats(): OutboxStats {
      const walls = LANES.map((l) => lanes[l].oldestWall).filter((w): w is number => w !== null)
      const oldest = walls.length > 0 ? Math.min(...walls) : null
      return {
        depth: lanes.critical.depth + lanes.normal.depth + lanes.low.depth,
        bytes: totalBytes(),
        oldestAgeS: oldest === null ? 0 : Math.max(0, (opts.now() - oldest) / 1000),
        shed,
        deadLetters,
        refusing,
      }
    },

    async close() {
      if (closed) return
      timers.clearInterval(pruneTimer)
      await pruning
      // Appends already accepted are written before closing, so none is left hanging.
      await serial(flush)
      closed = true
      await chain
      await db.close()
    },
  }
  log.info({ dir: opts.dir, format, depth: outbox.stats().depth, nextSeq, deadLetters }, 'outbox open')
  return outbox
}
