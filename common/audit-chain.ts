/**
 * Tamper evidence for the audit log, pure, shared by the hub (its console's
 * entries) and the edge (its supervisor page's, forwarded as records). Every
 * hub instance run and every edge run keeps its own chain (they write side
 * by side, with no lock between them): entry n
 * carries the chain's id, its sequence number and the hash of entry n-1, and
 * its own hash covers all of that and every stored value. Changing, removing
 * or inserting an entry breaks the chain at that entry. Removing a chain's
 * last entries leaves no gap inside the database: the hub logs every entry's
 * hash (`audit entry stored`), so the journal is the outside witness of each
 * chain's head.
 */
import { createHash, randomBytes } from 'node:crypto'
import type { Logger } from './log.js'

/** The stored values of one audit entry, as written and as read back. */
export interface AuditValues {
  /** When it happened, ms: the point's time for the hub's entries, the `at_ms` field for the edge's (whose point time the edge's clock may still correct). */
  atMs: number
  action: string
  user: string
  role: string
  site: string
  camera: string
  viewing: string
  detail: string
  client: string
  durationS: number | null
}

export interface ChainLink {
  chain: string
  seq: number
  prev: string
  hash: string
}

export const GENESIS = ''

/** Text as line protocol stores it (newlines become spaces), so a hash covers what is read back. */
export const oneLine = (s: string) => s.replace(/\r\n|[\r\n]/g, ' ')

/** The role an edge's supervisor-page entry carries on the hub's audit log (accounts of the edge, not of the console). */
export const EDGE_SUPERVISOR_ROLE = 'edge_supervisor'

export function linkHash(values: AuditValues, chain: string, seq: number, prev: string): string {
  const v = values
  // A JSON array: unambiguous field boundaries whatever the strings hold.
  const canonical = JSON.stringify([chain, seq, prev, v.atMs, v.action, v.user, v.role, v.site, v.camera, v.viewing, v.detail, v.client, v.durationS])
  return createHash('sha256').update(canonical).digest('hex')
}

export interface StoredEntry extends AuditValues {
  chain: string | null
  seq: number | null
  prev: string | null
  hash: string | null
}

export interface BrokenLink {
  chain: string | null
  seq: number | null
  atMs: number
  reason: 'unchained' | 'changed' | 'missing_before' | 'out_of_order'
}

export interface ChainReport {
  entries: number
  chains: { chain: string; first: number; last: number; head: string }[]
  /** The earliest broken link, or null when every chain holds. */
  broken: BrokenLink | null
}

/**
 * Checks every chain in `entries` (any order). A chain must start at seq 0
 * with the genesis hash (or, for a span that starts after the log does, at
 * whatever its first entry links to) and go on without a gap; each stored
 * hash must match the values.
 */
export function verifyChains(entries: readonly StoredEntry[], opts: { fromStart: boolean } = { fromStart: true }): ChainReport {
  const problems: BrokenLink[] = []
  const byChain = new Map<string, StoredEntry[]>()
  for (const e of entries) {
    if (e.chain === null || e.seq === null || e.prev === null || e.hash === null) {
      problems.push({ chain: e.chain, seq: e.seq, atMs: e.atMs, reason: 'unchained' })
      continue
    }
    const list = byChain.get(e.chain) ?? []
    list.push(e)
    byChain.set(e.chain, list)
  }
  const chains: ChainReport['chains'] = []
  for (const [chain, list] of byChain) {
    list.sort((a, b) => a.seq! - b.seq!)
    let prev = opts.fromStart ? GENESIS : list[0]!.prev!
    let expected = opts.fromStart ? 0 : list[0]!.seq!
    for (const e of list) {
      const at = { chain, seq: e.seq, atMs: e.atMs }
      if (e.seq !== expected || e.prev !== prev) {
        problems.push({ ...at, reason: e.seq! < expected ? 'out_of_order' : 'missing_before' })
        break
      }
      if (linkHash(e, chain, e.seq, e.prev) !== e.hash) {
        problems.push({ ...at, reason: 'changed' })
        break
      }
      prev = e.hash
      expected++
    }
    chains.push({ chain, first: list[0]!.atMs, last: list.at(-1)!.atMs, head: list.at(-1)!.hash! })
  }
  problems.sort((a, b) => a.atMs - b.atMs)
  chains.sort((a, b) => a.first - b.first)
  return { entries: entries.length, chains, broken: problems[0] ?? null }
}

export interface ChainLinkTo {
  chain: string
  seq: number
  prev: string
}

/**
 * Appends entries to one chain, one after another. `store` durably keeps the
 * entry linked at `link` and returns its hash; only then does the chain move
 * on, so a refused entry leaves no gap. Every stored hash goes to the log:
 * the journal is the witness of the chain's head. The returned function
 * rejects when the entry could not be stored.
 */
export function chainWriter<E>(o: { chain: string; log: Logger; store(e: E, link: ChainLinkTo): Promise<string>; describe(e: E): Record<string, unknown> }): (e: E) => Promise<void> {
  let seq = 0
  let prev = GENESIS
  let tail: Promise<unknown> = Promise.resolve()
  return (e) => {
    const run = tail.then(async () => {
      let hash: string
      try {
        hash = await o.store(e, { chain: o.chain, seq, prev })
      } catch (err) {
        o.log.error({ err, ...o.describe(e) }, 'audit entry not stored')
        throw err
      }
      o.log.info({ chain: o.chain, seq, hash, ...o.describe(e) }, 'audit entry stored')
      prev = hash
      seq++
    })
    tail = run.catch(() => undefined)
    return run
  }
}

export interface Viewing {
  id: string
  /** Stores the viewing's end with its duration, once; a failure is logged by the writer, not thrown at a closing socket (the start is on record). */
  end(): Promise<void>
}

/** Stores a viewing's start (rejecting when it cannot: then nothing may be shown) and returns its end. */
export async function openViewing(now: () => number, write: (viewing: string, durationS?: number) => Promise<void>): Promise<Viewing> {
  const id = randomBytes(9).toString('base64url')
  const started = now()
  await write(id)
  let ended: Promise<void> | null = null
  return { id, end: () => (ended ??= write(id, (now() - started) / 1000).catch(() => undefined)) }
}
