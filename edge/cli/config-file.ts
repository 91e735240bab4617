/**
 * Rewrites the edge config in place, safely, for provision-device --write and
 * set-pin:
 * - the change must leave a config the edge's own schema accepts, or nothing
 *   is written;
 * - the previous file is kept as FILE.bak;
 * - the new file is written beside the old one, fsynced and renamed over it,
 *   so a power cut (a Pi on a shared socket) leaves the old config or the new
 *   one, never half of one;
 * - mode stays as it was (0600/0640: the file holds hashes and maybe the hub
 *   token), and so does the owner when run as root: `sudo motcua-edge` must
 *   not leave a root-owned 0640 file the edge's own user can no longer read.
 */
import { closeSync, fchmodSync, fchownSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync, type Stats } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { parseDocument, type Document } from 'yaml'
import { ConfigError, validateConfig } from '../../common/config.js'
import { edgeConfigSchema } from '../config/schema.js'
import { CliError, EXIT } from '../../common/cli/exit.js'

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (err) {
    throw new ConfigError(file, [`cannot read file: ${(err as Error).message}`])
  }
}

function parseText(file: string, text: string): Document {
  const doc = parseDocument(text)
  if (doc.errors.length > 0) throw new ConfigError(file, doc.errors.map((e) => `not valid YAML: ${e.message}`))
  return doc
}

/** Runs `look` on the config's document; its refusals name the file. */
export function inspectConfig<T>(file: string, look: (doc: Document) => T): T {
  return onDocument(file, parseText(file, readText(file)), look)
}

function onDocument<T>(file: string, doc: Document, fn: (doc: Document) => T): T {
  try {
    return fn(doc)
  } catch (err) {
    throw err instanceof CliError ? new CliError(err.exitCode, `${file}: ${err.message}`) : err
  }
}

/** Applies `edit` to the config file and replaces it; returns the backup's path and what `edit` returned. */
export function editConfigFile<T>(file: string, edit: (doc: Document) => T): { backup: string; result: T } {
  const original = readText(file)
  const stats = statSync(file)
  const doc = parseText(file, original)
  const result = onDocument(file, doc, edit)
  try {
    validateConfig(file, doc.toJS(), edgeConfigSchema)
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    throw new ConfigError(file, [...err.problems, 'nothing was written'])
  }
  // lineWidth 0: never fold a long line (a site name) the technician wrote on one.
  const text = doc.toString({ lineWidth: 0 })
  const backup = `${file}.bak`
  writeAtomic(backup, original, stats)
  writeAtomic(file, text, stats)
  return { backup, result }
}

function writeAtomic(path: string, text: string, like: Stats): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`)
  const mode = like.mode & 0o7777
  try {
    const fd = openSync(tmp, 'w', mode)
    try {
      writeSync(fd, text)
      // The umask may have narrowed the mode given to open.
      fchmodSync(fd, mode)
      if (process.getuid?.() === 0) fchownSync(fd, like.uid, like.gid)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(tmp, path)
  } catch (err) {
    try {
      unlinkSync(tmp)
    } catch {
      // Not created, or already renamed.
    }
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message
    throw new CliError(EXIT.CANT_WRITE, `cannot write ${path}: ${code}${code === 'EACCES' || code === 'EPERM' ? ' (run it as the user that owns the config, or with sudo)' : ''}`)
  }
  // The rename is durable only once the folder's entry is on disk.
  const dir = openSync(dirname(path), 'r')
  try {
    fsyncSync(dir)
  } finally {
    closeSync(dir)
  }
}
