import { execFile } from 'node:child_process'
import { resolve } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)
const SHIM = resolve(import.meta.dirname, '../../scripts/lib/quiet-debug.cjs')
// What a bundled package does with `debug`: make a logger, call it, and say what it got.
const PROBE = `
const createDebug = require(${JSON.stringify(SHIM)})
const log = createDebug('motcua-probe')
log('parsed %d packets', 3)
process.stdout.write(JSON.stringify({ real: createDebug === require('debug'), enabled: log.enabled, extended: typeof log.extend('x') }))
`

async function probe(env: Record<string, string>): Promise<{ out: { real: boolean; enabled: boolean; extended: string }; stderr: string }> {
  const { stdout, stderr } = await run(process.execPath, ['-e', PROBE], { cwd: resolve(import.meta.dirname, '../..'), env: { PATH: process.env.PATH ?? '', ...env } })
  return { out: JSON.parse(stdout) as { real: boolean; enabled: boolean; extended: string }, stderr }
}

describe('the build\'s `debug` (scripts/lib/quiet-debug.cjs)', () => {
  it('hands out loggers that do nothing when DEBUG is unset', async () => {
    const { out, stderr } = await probe({})
    expect(out).toEqual({ real: false, enabled: false, extended: 'function' })
    expect(stderr).toBe('')
  })

  it('is the real package when DEBUG is set, so DEBUG=… still shows a package\'s log', async () => {
    const { out, stderr } = await probe({ DEBUG: 'motcua-probe' })
    expect(out).toEqual({ real: true, enabled: true, extended: 'function' })
    expect(stderr).toContain('motcua-probe parsed 3 packets')
  })
})
