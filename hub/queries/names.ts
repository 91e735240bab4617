/**
 * The names the edges send (issue 15): each site's departments, counters and
 * officers from its latest `directory` points, kept in memory so lookups stay
 * synchronous. Loaded at start, updated at once when this instance writes a
 * directory point, and checked every `refreshMs` for the points other
 * instances wrote: one small query for each site's latest hash, then the
 * bodies of only the sites whose latest directory is not the one known here. Ids stay the keys of every measurement: a name is
 * looked up as of now, and an id that a later directory dropped keeps the
 * last name it had.
 */
import type { Logger } from '../../common/log.js'
import { directoryContent, type DirectoryContent } from '../../protocol/records.js'
import type { Point } from '../influx/line-protocol.js'
import type { PointWriter } from '../influx/writer.js'
import { readIfAny, rowsOf, type InfluxQuery } from './client.js'
import { tagFilters } from './influxql.js'

export const DIRECTORY_MEASUREMENT = 'directory'

export interface SiteNames {
  /** The latest directory the site's edge sent, or undefined before the first. */
  latest(site: string): DirectoryContent | undefined
  /** The name of an id of the given kind as of now (latest directory first, then any earlier one), or undefined. */
  name(site: string, kind: 'department' | 'counter' | 'officer', id: string): string | undefined
  /** Takes a directory in (point time `at`, ms); an older one than the site's latest only adds names of ids it lacks. */
  learn(site: string, content: DirectoryContent, at: number, hash: string): void
  /** Reads the stored directories of every site (or of `sites`); rejects when the database does not answer. */
  load(sites?: readonly string[]): Promise<void>
}

interface Known {
  at: number
  hash: string
  content: DirectoryContent
  names: Record<'department' | 'counter' | 'officer', Map<string, { name: string; at: number }>>
}

export function createSiteNames(o: { db?: Pick<InfluxQuery, 'run'>; now?: () => number; refreshMs?: number; log?: Logger } = {}): SiteNames {
  const sites = new Map<string, Known>()
  const now = o.now ?? Date.now
  const refreshMs = o.refreshMs ?? 60_000
  let loadedAt = -Infinity
  let loading: Promise<void> | null = null

  const learn = (site: string, content: DirectoryContent, at: number, hash: string) => {
    let k = sites.get(site)
    if (!k) {
      k = { at: -Infinity, hash, content, names: { department: new Map(), counter: new Map(), officer: new Map() } }
      sites.set(site, k)
    }
    if (at >= k.at) {
      k.at = at
      k.hash = hash
      k.content = content
    }
    const put = (kind: keyof Known['names'], list: readonly { id: string; name: string }[]) => {
      for (const e of list) {
        const had = k.names[kind].get(e.id)
        if (!had || had.at <= at) k.names[kind].set(e.id, { name: e.name, at })
      }
    }
    put('department', content.departments)
    put('counter', content.counters)
    put('officer', content.officers)
  }

  const load = async (only?: readonly string[]) => {
    if (!o.db || only?.length === 0) return
    loadedAt = now()
    const where = only ? ` WHERE ${tagFilters({ site: only })}` : ''
    // A new database has no directory yet: nothing to learn, not an error.
    const series = await readIfAny(o.db, `SELECT "hash", "body" FROM "${DIRECTORY_MEASUREMENT}"${where} GROUP BY "site"`)
    for (const s of series) {
      const site = s.tags?.site
      if (!site) continue
      for (const row of rowsOf(s)) {
        const content = parseBody(row.body)
        if (content) learn(site, content, Number(row.time), String(row.hash))
      }
    }
  }

  /** The sites whose latest stored directory is not the one known here. */
  const changedSites = async (): Promise<string[]> => {
    loadedAt = now()
    const series = await readIfAny(o.db!, `SELECT last("hash") AS "hash" FROM "${DIRECTORY_MEASUREMENT}" GROUP BY "site"`)
    return series.flatMap((s) => {
      const site = s.tags?.site
      const hash = s.values[0]?.[s.columns.indexOf('hash')]
      return site && hash !== sites.get(site)?.hash ? [site] : []
    })
  }

  /** Another instance may have written a directory: look when the last look is old, without making the caller wait. */
  const refresh = () => {
    if (!o.db || loading || now() - loadedAt < refreshMs) return
    loading = changedSites()
      .then(load)
      .catch((err: unknown) => o.log?.warn({ err }, 'site directories not read; using the names known here'))
      .finally(() => (loading = null))
  }

  return {
    latest(site) {
      refresh()
      return sites.get(site)?.content
    },
    name(site, kind, id) {
      refresh()
      return sites.get(site)?.names[kind].get(id)?.name
    },
    learn,
    load,
  }
}

function parseBody(raw: unknown): DirectoryContent | null {
  if (typeof raw !== 'string') return null
  try {
    const r = directoryContent.safeParse(JSON.parse(raw))
    return r.success ? r.data : null
  } catch {
    return null
  }
}

/** Passes every write through and, once the database accepted it, teaches `names` the directory points in it. */
export function learningWriter(writer: PointWriter, names: SiteNames): PointWriter {
  return {
    ping: () => writer.ping(),
    close: () => writer.close(),
    async write(points: readonly Point[]) {
      await writer.write(points)
      for (const p of points) {
        if (p.measurement !== DIRECTORY_MEASUREMENT) continue
        const content = parseBody(p.fields.body)
        if (content && p.tags.site) names.learn(p.tags.site, content, Number(BigInt(p.timestampNs) / 1_000_000n), String(p.fields.hash))
      }
    },
  }
}
