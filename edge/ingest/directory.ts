/**
 * The site's directory for the hub (issue 15): departments, counters and
 * officers with their names, from the config. Sent at start when its content
 * changed since the last one stored, so a restart sends nothing and a rename
 * is sent once. The hash of the last one stored is kept in a small file
 * beside the outbox (a hash in the outbox's dedup index would refuse a
 * directory that goes back to an earlier content, and the hub would keep the
 * later one). An unchanged directory is sent again once it is
 * REFRESH_DAYS old, so the hub's retention sweep (hub/retention/) never
 * deletes a site's only directory while the edge runs unchanged for years.
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Logger } from '../../common/log.js'
import { DAY_MS } from '../../common/time.js'
import { contentOf, directoryRecord, type DirectoryContent } from '../../protocol/records.js'
import type { Clock } from '../clock/types.js'
import type { EdgeConfig } from '../config/schema.js'
import type { Outbox } from '../outbox/types.js'

type SiteConfig = Pick<EdgeConfig, 'site' | 'departments' | 'counters' | 'officers' | 'devices'>

/** The directory's content (pure), in the config's order. */
export function directoryOf(config: SiteConfig): DirectoryContent {
  const kiosks = new Set(config.devices.filter((d) => d.kind === 'kiosk' && d.counter).map((d) => d.counter))
  return contentOf({
    siteName: config.site.name,
    departments: config.departments.map((d) => ({ id: d.id, name: d.name })),
    counters: config.counters.map((c) => ({ id: c.id, name: c.name, department: c.department, officer: c.officer ?? null, kiosk: kiosks.has(c.id) })),
    officers: config.officers.map((o) => ({ id: o.id, name: o.name, department: o.department ?? null, signIn: o.pinHash !== undefined })),
  })
}

export const directoryHash = (content: DirectoryContent): string => createHash('sha256').update(JSON.stringify(contentOf(content))).digest('hex')

/** The file that remembers the hash of the last directory stored in the outbox at `outboxDir`. */
export const directoryMarkerFile = (outboxDir: string) => `${outboxDir.replace(/[/\\]+$/, '')}.directory`

/** Far inside any retention the hub keeps raw points for (3 years by default), and only one record a month. */
export const REFRESH_DAYS = 30

/** The hash and wall-clock ms of the last directory stored; a file from before the time was kept reads as sent at 0. */
function readMarker(file: string): { hash: string; at: number } | null {
  if (!existsSync(file)) return null
  const [hash, at] = readFileSync(file, 'utf8').trim().split(/\s+/)
  return hash ? { hash, at: Number(at) || 0 } : null
}

/** Written to a temporary file and renamed: a power cut leaves the old hash or the new one, never half of one. */
function writeMarker(file: string, hash: string, at: number): void {
  mkdirSync(dirname(file), { recursive: true })
  const tmp = `${file}.tmp`
  writeFileSync(tmp, `${hash} ${at}\n`, { flush: true })
  renameSync(tmp, file)
}

/**
 * Stores the directory in the outbox unless the last one stored had the same
 * content. Resolves 'sent', 'unchanged', or 'invalid' (too large for the hub:
 * logged, nothing sent, the hub keeps showing ids). The marker is written
 * only after the outbox stored the record: a crash in between sends the same
 * directory again, which the hub takes as the same names.
 */
export async function sendDirectory(o: {
  config: SiteConfig
  outbox: Outbox
  clock: Clock
  /** Null: no memory of the last one (an outbox double in tests), so it is sent at every start. */
  markerFile: string | null
  log: Logger
}): Promise<'sent' | 'unchanged' | 'invalid'> {
  const content = directoryOf(o.config)
  const hash = directoryHash(content)
  const last = o.markerFile ? readMarker(o.markerFile) : null
  if (last?.hash === hash && o.clock.now() - last.at < REFRESH_DAYS * DAY_MS) return 'unchanged'
  const stamp = o.clock.stamp()
  const record = { kind: 'directory' as const, hash, ...content }
  const checked = directoryRecord.safeParse({ ...record, seq: 0, t: stamp.wall, clock: 'synced' })
  if (!checked.success) {
    o.log.error({ problems: checked.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`) }, 'site directory not sent to the hub')
    return 'invalid'
  }
  await o.outbox.append(record, stamp)
  if (o.markerFile) writeMarker(o.markerFile, hash, stamp.wall)
  o.log.info({ hash: hash.slice(0, 12), counters: content.counters.length, officers: content.officers.length }, 'site directory stored for the hub')
  return 'sent'
}

/**
 * Sends the directory now if it changed or is old, and checks again every
 * day (an edge may run for years without a restart). Returns stop().
 */
export async function startDirectory(o: Parameters<typeof sendDirectory>[0] & { everyMs?: number }): Promise<() => void> {
  const send = () => sendDirectory(o).catch((err: unknown) => o.log.error({ err }, 'site directory not stored for the hub'))
  await send()
  const timer = setInterval(() => void send(), o.everyMs ?? DAY_MS).unref()
  return () => clearInterval(timer)
}
