import { MotcuaError, type ErrorCode } from '../../common/errors.js'
import type { Stamp } from '../../edge/clock/types.js'
import type { NewRecord, Outbox, OutboxStats } from '../../edge/outbox/types.js'

export interface StoredRecord {
  record: NewRecord
  stamp: Stamp
  dedupKey: string | undefined
}

/**
 * In-memory Outbox for broker tests: keeps what was appended, honours dedup
 * keys like the real one, and can be told to refuse writes (disk full) or to
 * hold them (to observe that PUBACK waits for the store).
 */
export class MemoryOutbox implements Outbox {
  readonly records: StoredRecord[] = []
  /** Appends refused by failWith so far. */
  refused = 0
  private readonly keys = new Set<string>()
  private failing: ErrorCode | null = null
  private closed = false

  /** From now on every append rejects with this code (null: accept again). */
  failWith(code: ErrorCode | null): void {
    this.failing = code
  }

  async append(record: NewRecord, stamp: Stamp, dedupKey?: string): Promise<'stored' | 'duplicate'> {
    await Promise.resolve()
    if (this.closed) throw new MotcuaError('EDGE_STORE_FAILED', 'outbox closed')
    if (this.failing) {
      this.refused++
      throw new MotcuaError(this.failing, 'test double told to refuse')
    }
    if (dedupKey !== undefined) {
      if (this.keys.has(dedupKey)) return 'duplicate'
      this.keys.add(dedupKey)
    }
    this.records.push({ record, stamp, dedupKey })
    return 'stored'
  }

  ofKind<K extends NewRecord['kind']>(kind: K): Extract<NewRecord, { kind: K }>[] {
    return this.records.map((r) => r.record).filter((r): r is Extract<NewRecord, { kind: K }> => r.kind === kind)
  }

  stats(): OutboxStats {
    const oldest = this.records[0]?.stamp.wall
    return {
      depth: this.records.length,
      bytes: this.records.reduce((n, r) => n + JSON.stringify(r.record).length, 0),
      oldestAgeS: oldest === undefined ? 0 : Math.max(0, (Date.now() - oldest) / 1000),
      shed: 0,
      deadLetters: 0,
      refusing: this.failing,
    }
  }

  async close(): Promise<void> {
    this.closed = true
  }
}
