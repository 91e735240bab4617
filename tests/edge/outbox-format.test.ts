process.env.LOG_LEVEL ??= 'silent'
import { execFile } from 'node:child_process'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { ClassicLevel } from 'classic-level'
import { afterAll, describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { MotcuaError } from '../../common/errors.js'
import { OUTBOX_FORMAT, judgeFormat } from '../../edge/outbox/format.js'
import { FORMAT_META_KEY } from '../../edge/outbox/keys.js'
import { openOutbox, type OutboxOptions } from '../../edge/outbox/leveldb-outbox.js'
import { testSite } from '../support/edge-site.js'
import { T0, rating, silentLog, syncedStamp, tempDir } from './outbox-fixtures.js'

const dirs: string[] = []
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

function options(): OutboxOptions {
  const dir = tempDir('outbox-format')
  dirs.push(dir)
  return {
    dir, commitWindowMs: 2, maxBytes: 1e9, minFreeBytes: 0, dedupDays: 30, log: silentLog, now: () => T0,
    statfs: async () => ({ bavail: 1e9, bsize: 4096 }),
  }
}

/** The LevelDB opened without the outbox code, as a previous or a later release would. */
async function raw<T>(dir: string, use: (db: ClassicLevel<string, string>) => Promise<T>): Promise<T> {
  const db = new ClassicLevel<string, string>(dir, { keyEncoding: 'utf8', valueEncoding: 'utf8', createIfMissing: false })
  await db.open()
  try {
    return await use(db)
  } finally {
    await db.close()
  }
}
/** Every key and value on disk. */
const rawRows = (dir: string) => raw(dir, (db) => db.iterator().all())

/** An outbox holding three queued ratings. */
async function filledOutbox(): Promise<OutboxOptions> {
  const opts = options()
  const box = await openOutbox(opts)
  for (let i = 0; i < 3; i++) await box.append(rating(i), syncedStamp(T0 + i), `kiosk-1:${i}`)
  await box.close()
  return opts
}

describe('outbox format version (real LevelDB)', () => {
  it('a fresh outbox is stamped with the current format', async () => {
    const opts = options()
    await (await openOutbox(opts)).close()
    expect(new Map(await rawRows(opts.dir)).get(FORMAT_META_KEY)).toBe(String(OUTBOX_FORMAT))
  })

  it('an outbox from the previous release (no version key) opens with its records and is stamped format 1', async () => {
    const opts = await filledOutbox()
    await raw(opts.dir, (db) => db.del(FORMAT_META_KEY))
    expect(new Map(await rawRows(opts.dir)).has(FORMAT_META_KEY)).toBe(false)

    const box = await openOutbox(opts)
    expect(box.stats().depth).toBe(3)
    expect((await box.peek(10)).map((e) => e.record)).toEqual([rating(0), rating(1), rating(2)])
    await box.close()
    expect(new Map(await rawRows(opts.dir)).get(FORMAT_META_KEY)).toBe('1')
  })

  it('an outbox written by a newer release is refused with EDGE_OUTBOX_FORMAT, its data untouched and its lock released', async () => {
    const opts = await filledOutbox()
    const newer = OUTBOX_FORMAT + 1
    await raw(opts.dir, (db) => db.put(FORMAT_META_KEY, String(newer)))
    const before = await rawRows(opts.dir)

    const err = await openOutbox(opts).then(
      () => expect.fail('a newer outbox was opened'),
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(MotcuaError)
    expect((err as MotcuaError).code).toBe('EDGE_OUTBOX_FORMAT')
    expect((err as MotcuaError).message).toContain(
      `outbox at ${opts.dir} was written by a newer motcua (format ${newer}, this edge reads up to ${OUTBOX_FORMAT}); upgrade the edge or move the outbox away`,
    )
    // rawRows opens the LevelDB again: the refused open did not keep its lock.
    expect(await rawRows(opts.dir)).toEqual(before)
  })

  it('an unreadable version is refused too, not guessed', async () => {
    const opts = await filledOutbox()
    await raw(opts.dir, (db) => db.put(FORMAT_META_KEY, 'two'))
    await expect(openOutbox(opts)).rejects.toMatchObject({ code: 'EDGE_OUTBOX_FORMAT', message: expect.stringContaining('unreadable format version "two"') })
  })

  it('judgeFormat: missing key on an empty store is the current format, on a used store format 1; newer and malformed throw', () => {
    expect(judgeFormat(undefined, true, '/d', 3)).toEqual({ format: 3, stamp: true })
    expect(judgeFormat(undefined, false, '/d', 3)).toEqual({ format: 1, stamp: true })
    expect(judgeFormat('2', false, '/d', 3)).toEqual({ format: 2, stamp: false })
    expect(() => judgeFormat('4', false, '/d', 3)).toThrow('format 4, this edge reads up to 3')
    for (const bad of ['', '0', '-1', '1.5', ' 1', '1e3']) expect(() => judgeFormat(bad, false, '/d', 3), bad).toThrow('unreadable format version')
  })

  it('the edge program exits 65 (not restarted by systemd) and says why when its outbox is newer', async () => {
    const opts = await filledOutbox()
    await raw(opts.dir, (db) => db.put(FORMAT_META_KEY, String(OUTBOX_FORMAT + 1)))
    const { config } = testSite({ outbox: { dir: opts.dir } })
    const etc = tempDir('outbox-format-etc')
    dirs.push(etc)
    const file = join(etc, 'edge.yaml')
    writeFileSync(file, stringify(config))
    const run = promisify(execFile)(process.execPath, ['--import', 'tsx', 'edge/main.ts', file], { timeout: 60_000, env: { ...process.env, LOG_LEVEL: 'silent' } })
    const err = (await run.then(() => expect.fail('the edge started'), (e: unknown) => e)) as { code: number; stderr: string }
    // 65, not 1: the systemd unit does not restart it (packaging/edge/motcua-edge.service).
    expect(err.code).toBe(65)
    expect(err.stderr).toContain(`EDGE_OUTBOX_FORMAT the outbox on disk is in a format this edge cannot read: outbox at ${opts.dir} was written by a newer motcua`)
    expect((await rawRows(opts.dir)).filter(([k]) => k.startsWith('q!'))).toHaveLength(3)
  })
})
