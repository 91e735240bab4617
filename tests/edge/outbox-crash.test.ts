process.env.LOG_LEVEL ??= 'silent'
import { spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openOutbox } from '../../edge/outbox/leveldb-outbox.js'
import { T0, silentLog, tempDir } from './outbox-fixtures.js'

const dir = tempDir('outbox-crash')
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const CHILD = join(import.meta.dirname, 'outbox-child.ts')

/** Runs the child (node itself, not the tsx wrapper, so SIGKILL hits the process holding the database) until it has acknowledged `killAfter` appends, SIGKILLs it, and returns the acknowledged ids. */
function appendThenKill(first: number, killAfter: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, String(first)], { stdio: ['ignore', 'pipe', 'pipe'] })
    const acked: string[] = []
    let buffered = ''
    let errors = ''
    const guard = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.stderr.on('data', (b: Buffer) => (errors += b.toString()))
    child.stdout.on('data', (b: Buffer) => {
      buffered += b.toString()
      const lines = buffered.split('\n')
      buffered = lines.pop()!
      for (const line of lines) {
        const [result, id] = line.split(' ')
        if (result === 'stored' && id) acked.push(id)
      }
      if (acked.length >= killAfter) child.kill('SIGKILL')
    })
    child.once('exit', (_code, signal) => {
      clearTimeout(guard)
      if (signal === 'SIGKILL' && acked.length >= killAfter) resolve(acked)
      else reject(new Error(`child ended (${signal}) after ${acked.length} acks:\n${errors}`))
    })
  })
}

describe('outbox after SIGKILL', () => {
  it('gives back every acknowledged append exactly once, over several crashes', async () => {
    const acked: string[] = []
    const rounds = [
      { first: 0, killAfter: 400 },
      { first: 100_000, killAfter: 1500 },
      { first: 200_000, killAfter: 50 },
      { first: 300_000, killAfter: 3000 },
    ]
    for (const round of rounds) acked.push(...(await appendThenKill(round.first, round.killAfter)))

    const box = await openOutbox({ dir, commitWindowMs: 1, maxBytes: 1e9, minFreeBytes: 0, dedupDays: 30, log: silentLog, now: () => T0 })
    const entries = await box.peek(1e6)
    const ids = entries.map((e) => (e.record.kind === 'rating' ? e.record.eventId : ''))
    const stored = new Set(ids)
    expect(stored.size).toBe(ids.length) // nothing twice
    expect(acked.filter((id) => !stored.has(id))).toEqual([]) // nothing acknowledged lost
    const seqs = entries.map((e) => e.seq)
    expect(new Set(seqs).size).toBe(seqs.length)
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
    expect(box.stats().depth).toBe(entries.length)
    await box.close()
  })
})
