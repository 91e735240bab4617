/**
 * The outbox's on-disk format version (issue 13). A Pi rolled back to an
 * older release must not misread what a newer one wrote (another key layout,
 * another value encoding): it refuses to open, names the folder and both
 * versions, and leaves every record where it is.
 *
 * The version sits in the LevelDB itself (`m!format`), so it travels with the
 * folder when a technician copies or moves it. Outboxes written before the key
 * existed have none and are format 1; they are stamped at their first open.
 */
import type { ClassicLevel } from 'classic-level'
import { MotcuaError } from '../../common/errors.js'
import { FORMAT_META_KEY } from './keys.js'

/**
 * The format this code writes and the newest it reads. Raise it with any
 * change to the layout in keys.ts or to the stored values, together with a
 * migration from the older formats.
 */
export const OUTBOX_FORMAT = 1
/** What an outbox without the key was written in: the layout before the version existed. */
export const UNVERSIONED_FORMAT = 1

export interface FormatVerdict {
  /** The format the outbox on disk is in. */
  format: number
  /** True when the key is missing and must be written (a fresh or an unversioned outbox). */
  stamp: boolean
}

/**
 * Pure: what the stored key (or its absence) means for this code.
 * `empty` says the LevelDB holds no key at all, i.e. it was just created.
 * Throws EDGE_OUTBOX_FORMAT for a newer or unreadable version.
 */
export function judgeFormat(stored: string | undefined, empty: boolean, dir: string, reads = OUTBOX_FORMAT): FormatVerdict {
  if (stored === undefined) return { format: empty ? reads : UNVERSIONED_FORMAT, stamp: true }
  const format = /^[1-9]\d{0,8}$/.test(stored) ? Number(stored) : NaN
  if (Number.isNaN(format))
    throw new MotcuaError('EDGE_OUTBOX_FORMAT', `outbox at ${dir} has an unreadable format version "${stored.slice(0, 40)}" (this edge reads up to format ${reads}); move the outbox away`)
  if (format > reads)
    throw new MotcuaError('EDGE_OUTBOX_FORMAT', `outbox at ${dir} was written by a newer motcua (format ${format}, this edge reads up to ${reads}); upgrade the edge or move the outbox away`)
  // format < reads needs a migration; there is none yet because there is no older format than 1.
  return { format, stamp: false }
}

/**
 * Reads the version of an opened outbox and stamps it when missing (one
 * synced put). Refuses before anything else reads or writes the database.
 */
export async function ensureFormat(db: ClassicLevel<string, string>, dir: string, reads = OUTBOX_FORMAT): Promise<FormatVerdict> {
  const stored = await db.get(FORMAT_META_KEY)
  const empty = stored === undefined && (await db.keys({ limit: 1 }).all()).length === 0
  const verdict = judgeFormat(stored, empty, dir, reads)
  if (verdict.stamp) await db.put(FORMAT_META_KEY, String(verdict.format), { sync: true })
  return verdict
}
