/**
 * LevelDB key layout of the outbox. Keys sort bytewise, so sequence numbers
 * are fixed-width hex. Each shedding priority has its own lane: the forwarder
 * drains `critical` first and shedding scans only the `low` lane.
 *
 *   q!{lane}!{seq}      queued record     Stamp JSON, tab, NewRecord JSON
 *   x!{seq}             dead letter       {"r", "s", "reason", "at"}
 *   d!{dedupKey}        dedup index       wall-clock ms when stored (pruned by age)
 *   m!seq               next sequence number
 *   m!format            on-disk format version (format.ts); none = format 1
 */
import { RECORD_PRIORITY } from '../../protocol/records.js'
import type { Stamp } from '../clock/types.js'
import type { NewRecord, OutboxEntry } from './types.js'

export type Lane = 'critical' | 'normal' | 'low'
export const LANES: readonly Lane[] = ['critical', 'normal', 'low']
const LANE_CODE: Record<Lane, string> = { critical: 'c', normal: 'n', low: 'l' }

export const SEQ_META_KEY = 'm!seq'
export const FORMAT_META_KEY = 'm!format'
export const DEAD_PREFIX = 'x!'
export const DEDUP_PREFIX = 'd!'

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0')

export const laneOf = (record: NewRecord): Lane => RECORD_PRIORITY[record.kind]
export const lanePrefix = (lane: Lane) => `q!${LANE_CODE[lane]}!`
export const laneOfKey = (key: string): Lane => (key[2] === 'c' ? 'critical' : key[2] === 'n' ? 'normal' : 'low')
export const queueKey = (lane: Lane, seq: number) => lanePrefix(lane) + hex(seq, 14)
export const deadKey = (seq: number) => DEAD_PREFIX + hex(seq, 14)
/** A dead letter's value: the record, its stamp, why it was refused and when (wall ms). */
export interface DeadLetter {
  r: NewRecord
  s: Stamp
  reason: string
  at: number
}
export const dedupKey = (key: string) => DEDUP_PREFIX + key
/** Exclusive upper bound for every key that starts with `prefix` ('!' + 1 = '"'). */
export const prefixEnd = (prefix: string) => prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1)

export const seqOfKey = (key: string) => parseInt(key.slice(key.lastIndexOf('!') + 1), 16)
export const dedupOfIndexKey = (key: string) => key.slice(DEDUP_PREFIX.length)

/**
 * Stamp JSON, a tab, record JSON. JSON.stringify never emits a raw tab, so
 * the first tab splits the two; keeping the record's JSON apart lets a 5,000
 * record batch be sent without parsing and re-serializing every record.
 */
export const encodeStored = (stamp: Stamp, recordJson: string) => `${JSON.stringify(stamp)}\t${recordJson}`
export const encodeValue = (record: NewRecord, stamp: Stamp) => encodeStored(stamp, JSON.stringify(record))
/**
 * Splits a stored value. The record is parsed only when `record` is read:
 * the forwarder sends `recordJson` as it is, and parsing 5,000 records per
 * batch it never looks at was the largest cost of draining a backlog.
 */
export function decodeEntry(key: string, text: string): OutboxEntry {
  const tab = text.indexOf('\t')
  const recordJson = text.slice(tab + 1)
  let record: NewRecord | undefined
  const entry = { key, seq: seqOfKey(key), recordJson, stamp: JSON.parse(text.slice(0, tab)) as Stamp, bytes: entryBytes(key, text) }
  return Object.defineProperty(entry, 'record', {
    enumerable: true,
    get: () => (record ??= JSON.parse(recordJson) as NewRecord),
  }) as OutboxEntry
}
/** Only the stamp, for the cheap reads (oldest record's age). */
export const decodeStamp = (text: string) => JSON.parse(text.slice(0, text.indexOf('\t'))) as Stamp
/** An entry's share of the disk budget: LevelDB stores key and value; ids and JSON are ASCII. */
export const entryBytes = (key: string, value: string) => key.length + value.length
