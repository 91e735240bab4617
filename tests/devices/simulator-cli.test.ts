process.env.LOG_LEVEL ??= 'silent'
import { execFile, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { hashSecret, verifySecret } from '../../common/secrets.js'
import { edgeConfigSchema } from '../../edge/config/schema.js'
import { parseTopic } from '../../protocol/topics.js'
import { loadSimSetup } from '../../devices/simulator/devices-file.js'
import { waitFor } from '../../testkit/wait.js'
import { startTestBroker, type TestBroker } from './simulator-broker.js'

const ROOT = resolve(import.meta.dirname, '../..')
const TSX = join(ROOT, 'node_modules/.bin/tsx')
const run = promisify(execFile)
const tsx = (args: string[]) => run(TSX, args, { cwd: ROOT, timeout: 60_000, env: { ...process.env, LOG_LEVEL: 'silent' } })

let dir: string
let broker: TestBroker
const hashes = new Map<string, string>()

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'motcua-sim-cli-'))
  // The broker knows only the hashes, as the edge does.
  broker = await startTestBroker((username, password) => {
    const hash = hashes.get(username)
    return hash !== undefined && verifySecret(password, hash)
  })
})
afterAll(async () => {
  await broker?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('provisioning and the simulator CLI', () => {
  it('provisions devices into an edge config and a secrets file that the simulator CLI logs in with', async () => {
    const secrets = join(dir, 'secrets.yaml')
    const entries: string[] = []
    for (const [id, counter] of [['btn-q01', 'q01'], ['kiosk-q02', 'q02']] as const) {
      const kind = id.startsWith('btn') ? 'button' : 'kiosk'
      const { stdout } = await tsx(['scripts/provision-device.ts', id, '--kind', kind, '--counter', counter, '--secrets-file', secrets])
      entries.push(stdout.split('\n').filter((l) => l.startsWith('  ')).join('\n'))
      expect(stdout).not.toContain((parseYaml(readFileSync(secrets, 'utf8')) as Record<string, string>)[id])
    }
    expect(statSync(secrets).mode & 0o777).toBe(0o600)
    const edgeYaml = `site: { id: test-site, name: Test }
departments: [{ id: tu-phap, name: Tư pháp }]
counters:
  - { id: q01, name: Quầy 1, department: tu-phap }
  - { id: q02, name: Quầy 2, department: tu-phap }
devices:
${entries.join('\n')}
  - { id: queue-1, kind: queue, secretHash: "sha256:${'0'.repeat(64)}" }
hub: { url: "https://hub.example", token: "0123456789abcdef" }
`
    const edgeFile = join(dir, 'edge.yaml')
    writeFileSync(edgeFile, edgeYaml)
    const edge = edgeConfigSchema.parse(parseYaml(edgeYaml))
    for (const d of edge.devices) hashes.set(d.id, d.secretHash)

    const setup = loadSimSetup(edgeFile, secrets)
    expect(setup.devices.map((d) => d.id)).toEqual(['btn-q01', 'kiosk-q02'])
    expect(setup.caFile).toBeUndefined()
    // An edge with TLS: the simulator trusts its site CA (broker.tls.ca, relative to the edge config) unless --ca says otherwise.
    const tlsFile = join(dir, 'edge-tls.yaml')
    writeFileSync(tlsFile, `${edgeYaml}broker: { tls: { cert: tls/edge.pem, key: tls/edge.key, ca: tls/ca.pem } }\n`)
    expect(loadSimSetup(tlsFile, secrets).caFile).toBe(join(dir, 'tls', 'ca.pem'))

    const { stdout } = await tsx([
      'devices/simulator/cli.ts', '--url', broker.mqttUrl, '--config', edgeFile, '--secrets', secrets,
      '--rate', '600', '--max-presses', '6', '--seed', '5',
    ])
    const final = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { sent: number; acked: number; pending: number }
    expect(final).toMatchObject({ sent: 6, acked: 6, pending: 0 })
    const ratings = broker.received.filter((r) => parseTopic(r.topic)?.kind === 'rating')
    expect(ratings).toHaveLength(6)
  })

  it('refuses an edge config without the secrets file, and a secrets file that misses a device', async () => {
    const edgeFile = join(dir, 'edge.yaml')
    expect(() => loadSimSetup(edgeFile)).toThrow(/secrets file/)
    const partial = join(dir, 'partial.yaml')
    writeFileSync(partial, 'btn-q01: abc\n')
    expect(() => loadSimSetup(edgeFile, partial)).toThrow(/kiosk-q02: no secret/)
    await expect(tsx(['devices/simulator/cli.ts', '--url', broker.mqttUrl, '--config', edgeFile])).rejects.toMatchObject({ code: 2 })
  })

  it('provisions an edge token whose hash the hub config accepts', async () => {
    const tokenFile = join(dir, 'hub-token')
    const { stdout } = await tsx(['scripts/provision-device.ts', '--edge', 'test-site', '--token-file', tokenFile])
    const entry = parseYaml(stdout) as { site: string; tokenHash: string }[]
    const token = readFileSync(tokenFile, 'utf8').trim()
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(entry[0]?.site).toBe('test-site')
    expect(verifySecret(token, entry[0]?.tokenHash ?? '')).toBe(true)
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600)
    expect(stdout).not.toContain(token)
  })

  it('stops on SIGTERM, waits for its PUBACKs and prints the final stats', async () => {
    const file = join(dir, 'devices.yaml')
    writeFileSync(file, 'site: test-site\ndevices:\n  - { id: btn-q01, counter: q01, kind: button, secret: s1 }\n')
    hashes.set('btn-q01', hashSecret('s1'))
    const child = spawn(TSX, ['devices/simulator/cli.ts', '--url', broker.wsUrl, '--config', file, '--rate', '600'], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')))
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    try {
      const before = broker.received.length
      await waitFor('three ratings from the CLI', () => broker.received.slice(before).filter((r) => parseTopic(r.topic)?.kind === 'rating').length >= 3, { timeoutMs: 30_000 })
      child.kill('SIGTERM')
      expect(await exited).toBe(0)
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL')
    }
    const final = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as { sent: number; acked: number; running: boolean }
    expect(final.sent).toBeGreaterThanOrEqual(3)
    expect(final.acked).toBe(final.sent)
    expect(final.running).toBe(false)
  })
})
