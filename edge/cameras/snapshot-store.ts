/**
 * JPEG snapshots on the edge's disk, named `{camera}_{UTC time}_{reason}.jpg`,
 * with a cap on the number of files: the oldest (by the time in the name) go
 * first, and on their age: pictures of citizens and officers are kept no
 * longer than a supervisor needs to look into an event (Decree 13/2023;
 * docs/retention.md), checked at open, at each save and every hour. Writes
 * are atomic (temp file + rename) so a viewer never reads half a picture.
 */
import { mkdir, readdir, rename, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

const NAME = /^([a-z0-9][a-z0-9-]{0,31})_(\d{8}T\d{9}Z)_([a-z]+)\.jpg$/

export function snapshotName(camera: string, atMs: number, reason: string): string {
  const ts = new Date(atMs).toISOString().replace(/[-:]/g, '').replace('.', '')
  return `${camera}_${ts}_${reason}.jpg`
}

/** The parts of a snapshot file name, or null for anything else (so a request cannot name another file). */
export function parseSnapshotName(name: string): { camera: string; ts: string; reason: string } | null {
  const m = NAME.exec(name)
  return m ? { camera: m[1]!, ts: m[2]!, reason: m[3]! } : null
}

/** Default age limit: a month to look into a motion or tamper event (docs/retention.md). */
export const SNAPSHOT_MAX_AGE_MS = 30 * 86_400_000

/** Epoch ms of a snapshot name's `20261122T002200123Z`. */
export const timeOf = (ts: string) =>
  Date.UTC(+ts.slice(0, 4), +ts.slice(4, 6) - 1, +ts.slice(6, 8), +ts.slice(9, 11), +ts.slice(11, 13), +ts.slice(13, 15), +ts.slice(15, 18))

export class SnapshotStore {
  private readonly latestByCamera = new Map<string, string>()
  private chain: Promise<unknown> = Promise.resolve()
  private ageTimer: NodeJS.Timeout | null = null

  constructor(readonly dir: string, private readonly maxFiles: number, private readonly maxAgeMs = SNAPSHOT_MAX_AGE_MS, private readonly now: () => number = Date.now) {}

  /** Creates the directory and learns the latest snapshot of each camera from what is on disk. */
  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true })
    for (const name of (await this.list()).reverse()) {
      const p = parseSnapshotName(name)
      if (p && !this.latestByCamera.has(p.camera)) this.latestByCamera.set(p.camera, name)
    }
    await this.prune()
    // A camera with no event for a month still has its old pictures removed.
    this.ageTimer ??= setInterval(() => void (this.chain = this.chain.then(() => this.prune()).catch(() => undefined)), 3_600_000)
    this.ageTimer.unref()
  }

  close(): void {
    if (this.ageTimer) clearInterval(this.ageTimer)
    this.ageTimer = null
  }

  latest(camera: string): string | null {
    return this.latestByCamera.get(camera) ?? null
  }

  /** Absolute path of a stored snapshot, or null when the name is not one of ours. */
  pathOf(name: string): string | null {
    return parseSnapshotName(name) ? join(this.dir, name) : null
  }

  save(camera: string, reason: string, jpeg: Buffer, atMs: number): Promise<string> {
    const name = snapshotName(camera, atMs, reason)
    const run = this.chain.then(async () => {
      const tmp = join(this.dir, `.${name}.tmp`)
      await writeFile(tmp, jpeg)
      await rename(tmp, join(this.dir, name))
      this.latestByCamera.set(camera, name)
      await this.prune()
      return name
    })
    this.chain = run.catch(() => undefined)
    return run
  }

  /** Snapshot names, oldest first. */
  async list(): Promise<string[]> {
    const names = (await readdir(this.dir)).filter((n) => parseSnapshotName(n))
    return names.sort((a, b) => {
      const ta = parseSnapshotName(a)!.ts
      const tb = parseSnapshotName(b)!.ts
      return ta < tb ? -1 : ta > tb ? 1 : a < b ? -1 : a > b ? 1 : 0
    })
  }

  private async prune(): Promise<void> {
    const names = await this.list()
    const oldest = this.now() - this.maxAgeMs
    const expired = names.findIndex((n) => timeOf(parseSnapshotName(n)!.ts) >= oldest)
    for (const name of names.slice(0, Math.max(0, names.length - this.maxFiles, expired < 0 ? names.length : expired))) {
      await unlink(join(this.dir, name)).catch(() => undefined)
      const p = parseSnapshotName(name)
      if (p && this.latestByCamera.get(p.camera) === name) this.latestByCamera.delete(p.camera)
    }
  }
}
