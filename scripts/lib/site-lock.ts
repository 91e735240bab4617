/**
 * One `npm start` per data folder. The running instance holds a lock file
 * naming its PID (with its start time and boot, so a reused PID is not taken
 * for it) and the influxd it started. A second start on the same folder is
 * refused with a message that says who holds it; a lock whose holder is gone
 * (killed with SIGKILL, a power cut) is taken over, and the influxd it left
 * running is stopped first, so that influxd's data folder never has two
 * servers.
 */
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { bootId, isRunning, startTicks, stopProcessesSync } from './process-tree.js'

export const LOCK_FILE = 'start.lock'

/** One process for good: a PID alone may be reused after the process is gone. */
interface ProcessId {
  pid: number
  startTicks: number
}

export interface LockOwner extends ProcessId {
  boot: string
  since: string
  /** The influxd this instance started, while it runs. */
  influxd?: ProcessId
}

export class SiteLockHeld extends Error {
  constructor(
    readonly owner: LockOwner,
    readonly dataDir: string,
  ) {
    const since = new Date(owner.since).toLocaleTimeString('en-GB')
    super(
      `npm start is already running on ${dataDir} (PID ${owner.pid}, since ${since}); this one stops here.\n` +
        `Stop that one first (Ctrl-C in its terminal, or kill ${owner.pid}), ` +
        `or give this one another data folder: MOTCUA_DATA=data/other npm start`,
    )
  }
}

export interface SiteLock {
  file: string
  /** Records the influxd this instance runs, so a takeover after a crash can stop it. */
  noteInfluxd(pid: number | undefined): void
  /** Removes the lock if it is still this instance's. Synchronous, for exit handlers; safe to call twice. */
  release(): void
}

/** Whether the process recorded during boot `boot` still runs (not another one that got its PID since). */
const alive = (id: ProcessId, boot: string) => boot === bootId() && startTicks(id.pid) === id.startTicks && isRunning(id.pid)

function readOwner(file: string): { text: string; owner: LockOwner | null } | null {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return null
  }
  try {
    const owner = JSON.parse(text) as LockOwner
    return { text, owner: Number.isInteger(owner.pid) && typeof owner.boot === 'string' ? owner : null }
  } catch {
    return { text, owner: null }
  }
}

/** Writes the whole file under another name, then gives it the lock's name only if no lock exists: never a half-written lock. */
function createExclusive(file: string, text: string): boolean {
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, text, { mode: 0o644 })
  try {
    linkSync(tmp, file)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw err
  } finally {
    unlinkSync(tmp)
  }
}

/**
 * Moves a stale lock out of the way, unless another starter replaced it
 * meanwhile (then it is put back): two starters taking over the same stale
 * lock never remove each other's fresh one.
 */
function removeStale(file: string, staleText: string): void {
  const aside = `${file}.${process.pid}.stale`
  try {
    renameSync(file, aside)
  } catch {
    return
  }
  if (readFileSync(aside, 'utf8') !== staleText) {
    try {
      linkSync(aside, file)
    } catch {
      // A third starter got there first; its lock stands.
    }
  }
  unlinkSync(aside)
}

/** Takes the data folder's lock, or throws SiteLockHeld naming the running instance. */
export function lockSite(dataDir: string, log: (line: string) => void = console.log): SiteLock {
  const file = join(dataDir, LOCK_FILE)
  const me: LockOwner = { pid: process.pid, startTicks: startTicks(process.pid) ?? 0, boot: bootId(), since: new Date().toISOString() }
  let mine = JSON.stringify(me)
  for (let attempt = 0; !createExclusive(file, mine); attempt++) {
    if (attempt >= 5) throw new Error(`cannot take the lock ${file}: it keeps changing; remove it if no npm start is running`)
    const found = readOwner(file)
    if (!found) continue
    const { owner, text } = found
    if (owner && alive(owner, owner.boot)) throw new SiteLockHeld(owner, dataDir)
    // Left by an instance that did not stop properly; its influxd may still be running on our data.
    if (owner?.influxd && alive(owner.influxd, owner.boot)) {
      log(`stopping influxd (PID ${owner.influxd.pid}) left running by an earlier npm start (PID ${owner.pid}) that did not stop properly`)
      stopProcessesSync([owner.influxd.pid], 10_000)
    }
    removeStale(file, text)
  }
  let held = true
  return {
    file,
    noteInfluxd(pid) {
      const ticks = pid === undefined ? null : startTicks(pid)
      const next: LockOwner = { ...me, ...(pid !== undefined && ticks !== null ? { influxd: { pid, startTicks: ticks } } : {}) }
      const tmp = `${file}.${process.pid}.tmp`
      writeFileSync(tmp, JSON.stringify(next), { mode: 0o644 })
      renameSync(tmp, file)
      mine = JSON.stringify(next)
    },
    release() {
      if (!held) return
      held = false
      if (readOwner(file)?.text === mine) unlinkSync(file)
    },
  }
}
