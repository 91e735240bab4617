/** hub/main.ts as a program: config from argv, listens, stops cleanly on SIGTERM, refuses a bad config. */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashSecret } from '../../common/secrets.js'
import { startInfluxd, type Influxd } from '../../testkit/influxd.js'
import { freePort } from '../../testkit/ports.js'
import { waitFor } from '../../testkit/wait.js'
import { batchOf, influxCount, ratings, request } from './helpers.js'

const TSX = new URL('../../node_modules/.bin/tsx', import.meta.url).pathname
const MAIN = new URL('../../hub/main.ts', import.meta.url).pathname

let influx: Influxd
let dir: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'motcua-hub-main-'))
  influx = await startInfluxd()
})

afterAll(async () => {
  await influx?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

function run(args: string[], env: Record<string, string> = {}) {
  const proc = spawn(TSX, [MAIN, ...args], { env: { ...process.env, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  proc.stdout.on('data', (b: Buffer) => (out += b.toString()))
  proc.stderr.on('data', (b: Buffer) => (out += b.toString()))
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)))
  return { proc, exited, output: () => out }
}

describe('tsx hub/main.ts', () => {
  it('serves with the config named on the command line and exits 0 on SIGTERM', async () => {
    const port = await freePort()
    const file = join(dir, 'hub.yaml')
    writeFileSync(file, [
      'http: { host: 127.0.0.1, port: ' + port + ' }',
      `influx: { version: 1, url: "${influx.url}", database: motcua_main }`,
      'edges:',
      `  - { site: ttpv-can-tho, tokenHash: "${hashSecret('main-test-token-123')}" }`,
    ].join('\n'))
    const hub = run([file])
    try {
      await waitFor(() => `the hub healthy (${hub.output()})`, async () => (await request(`http://127.0.0.1:${port}/healthz`)).status === 200, { timeoutMs: 30_000, everyMs: 100 })
      const res = await request(`http://127.0.0.1:${port}/v1/batches`, { token: 'main-test-token-123', body: batchOf('ttpv-can-tho', ratings(1, 5)) })
      expect(res.status).toBe(200)
      expect(await influxCount(influx.url, 'motcua_main', 'rating')).toBe(5)
    } finally {
      hub.proc.kill('SIGTERM')
    }
    expect(await hub.exited).toBe(0)
    expect(hub.output()).toMatch(/"msg":"hub stopped"/)
    expect(hub.output()).not.toContain('main-test-token-123')
  })

  it('exits 78 (EX_CONFIG, like the edge) naming the file and key when the config is invalid (path from MOTCUA_HUB_CONFIG)', async () => {
    const file = join(dir, 'bad.yaml')
    writeFileSync(file, 'influx: { version: 3, url: nope }\nedges: []\n')
    const hub = run([], { MOTCUA_HUB_CONFIG: file })
    expect(await hub.exited).toBe(78)
    expect(hub.output()).toContain('HUB_CONFIG_INVALID')
    expect(hub.output()).toContain('bad.yaml')
    expect(hub.output()).toMatch(/edges/)
  })
})
