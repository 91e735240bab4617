/**
 * The production build and the Debian packages (scripts/build.ts,
 * scripts/package.ts): the amd64 edge and hub packages are built (not
 * compressed, to keep this quick), their control files, conffiles and units
 * checked with dpkg-deb and systemd-analyze, and the edge is run from the
 * package's own tree, with the package's own Node, outside this checkout:
 * no tsx, no esbuild, no node_modules of ours.
 */
import { execFile, spawn } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { promisify } from 'node:util'
import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { verifyPassword } from '../../common/secrets.js'
import { topics } from '../../protocol/topics.js'
import { buildDist } from '../../scripts/build.js'
import { buildDeb, stageDeb, type DebTarget } from '../../scripts/package.js'
import { COMMANDS as HUB_COMMANDS } from '../../hub/cli/run.js'
import { testSite } from '../support/edge-site.js'
import { freePort } from '../../testkit/ports.js'

const run = promisify(execFile)
const VERSION = '0.1.0-test'
let dir: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'motcua-package-'))
  await buildDist()
}, 180_000)

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

/** systemd-analyze on a copy of the unit whose paths point into the staged tree (the binaries must exist). */
async function verifyUnit(stage: string, pkg: string): Promise<{ verify: string; exposure: number }> {
  const unit = readFileSync(join(stage, 'lib/systemd/system', `${pkg}.service`), 'utf8')
  const copy = join(dir, `${pkg}-check`, `${pkg}.service`)
  rmSync(join(dir, `${pkg}-check`), { recursive: true, force: true })
  cpSync(join(stage, 'lib/systemd/system'), join(dir, `${pkg}-check`), { recursive: true })
  writeFileSync(copy, unit.replaceAll(`/usr/lib/${pkg}`, join(stage, 'usr/lib', pkg)))
  const v = await run('systemd-analyze', ['verify', '--man=no', copy]).then((r) => r.stdout + r.stderr)
  const s = await run('systemd-analyze', ['security', '--offline=yes', copy]).then((r) => r.stdout)
  const exposure = Number(/Overall exposure level for \S+: ([\d.]+)/.exec(s)?.[1])
  return { verify: v, exposure }
}

describe.each<DebTarget>([
  { program: 'edge', arch: 'amd64' },
  { program: 'hub', arch: 'amd64' },
])('the $program package ($arch)', (target) => {
  const pkg = `motcua-${target.program}`

  it('has its control fields, its config as a conffile, a bundled Node 20 and a hardened unit that systemd accepts', async () => {
    const deb = buildDeb(target, VERSION, join(dir, 'deb'), { compress: false })
    expect(deb.endsWith(`${pkg}_${VERSION}_${target.arch}.deb`)).toBe(true)
    const info = (await run('dpkg-deb', ['-f', deb, 'Package', 'Version', 'Architecture', 'Depends'])).stdout
    expect(info).toContain(`Package: ${pkg}\n`)
    expect(info).toContain(`Version: ${VERSION}\n`)
    expect(info).toContain(`Architecture: ${target.arch}\n`)
    expect(info).not.toMatch(/nodejs/)
    const files = (await run('dpkg-deb', ['-c', deb], { maxBuffer: 16e6 })).stdout
    for (const path of [`./usr/lib/${pkg}/node`, `./usr/lib/${pkg}/${target.program}.js`, `./usr/bin/${pkg}`, `./lib/systemd/system/${pkg}.service`, `./etc/motcua/${target.program}.yaml`])
      expect(files).toContain(path)
    expect(files).not.toMatch(/node_modules\/(tsx|esbuild)\//)
    expect((await run('dpkg-deb', ['--ctrl-tarfile', deb]).then(() => run('sh', ['-c', `dpkg-deb -I ${deb} conffiles`]))).stdout.trim()).toBe(`/etc/motcua/${target.program}.yaml`)

    const stage = join(dir, `stage-${target.program}`)
    stageDeb(target, VERSION, stage)
    expect((await run(join(stage, 'usr/lib', pkg, 'node'), ['--version'])).stdout.trim()).toMatch(/^v20\./)
    const unit = readFileSync(join(stage, 'lib/systemd/system', `${pkg}.service`), 'utf8')
    for (const line of ['Restart=always', 'NoNewPrivileges=yes', 'ProtectSystem=strict', `ReadWritePaths=/var/lib/motcua/${target.program}`, 'PrivateTmp=yes', 'ProtectHome=yes', 'CapabilityBoundingSet=\n', 'User=motcua'])
      expect(unit).toContain(line)
    const { verify, exposure } = await verifyUnit(stage, pkg)
    expect(verify).toBe('')
    // systemd's own scale: 0 is fully locked down, 10 is a unit with no sandboxing; below 4 is "OK".
    expect(exposure).toBeLessThan(4)
  }, 180_000)
})

describe('the built edge, run from its package tree', () => {
  it('starts with its own Node outside the checkout, stores a rating before PUBACK, and its command shows it waiting', async () => {
    const stage = join(dir, 'edge-tree')
    stageDeb({ program: 'edge', arch: 'amd64' }, VERSION, stage)
    const lib = join(stage, 'usr/lib/motcua-edge')
    const { config, devices } = testSite()
    const file = join(dir, 'edge.yaml')
    // Fixed ports, as on a real box: the technician's command finds the edge through its config.
    const http = { host: '127.0.0.1', port: await freePort() }
    const broker = { host: '127.0.0.1', mqttPort: await freePort(), wsPort: await freePort() }
    writeFileSync(file, stringify({ ...config, http, broker, hub: { url: 'https://127.0.0.1:9/', token: 'package-test-token-0123' }, outbox: { dir: join(dir, 'outbox') } }))
    // A bare environment: what the service has, not this shell's PATH or NODE_OPTIONS.
    const env = { PATH: '/usr/bin:/bin', LOG_LEVEL: 'warn' }
    // DEBUG still reaches the bundled packages' own loggers (the build silences them only without it).
    const edge = spawn(join(lib, 'node'), [join(lib, 'edge.js'), file], { cwd: dir, env: { ...env, DEBUG: 'mqtt-packet:parser' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    edge.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    const exited = new Promise<number | null>((resolve) => edge.once('exit', (code) => resolve(code)))
    try {
      const ports = await new Promise<{ mqtt: number; http: number }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`edge did not start: ${stderr}`)), 60_000)
        createInterface({ input: edge.stdout }).on('line', (line) => {
          if (!line.includes('"edge listening"')) return
          clearTimeout(timer)
          resolve((JSON.parse(line) as { ports: { mqtt: number; http: number } }).ports)
        })
      })
      const box = devices.b1!
      const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${ports.mqtt}`, { clientId: box.id, username: box.id, password: box.secret, reconnectPeriod: 0 })
      await client.publishAsync(topics.rating(config.site.id, box.counter!), JSON.stringify({ v: 1, id: 'pkg-rating-1', ts: Date.now(), scale: 4, level: 1 }), { qos: 1 })
      await client.endAsync()
      // The hub is unreachable, so the rating waits in the outbox (the command may also say the edge is degraded).
      const out = await run(join(lib, 'node'), [join(lib, 'edge-cli.js'), 'outbox', '--config', file], { cwd: dir, env }).catch((err: { stdout: string; stderr: string; code: number }) => err)
      // The rating and the edge's own records (device and health status) wait for the hub.
      const waiting = Number(/^outbox\s+(\d+) records waiting/m.exec(`${out.stdout}${out.stderr}`)?.[1])
      expect(waiting).toBeGreaterThanOrEqual(1)
      expect(stderr).toMatch(/mqtt-packet:parser .*publish/)
      edge.kill('SIGTERM')
      expect(await exited).toBe(0)
    } finally {
      if (edge.exitCode === null) edge.kill('SIGKILL')
    }
  }, 120_000)
})

describe('the built hub command, run from its package tree', () => {
  it('hashes a console password read from stdin, refuses a short one, and its wrapper sends commands to it and a config to the hub', async () => {
    const stage = join(dir, 'hub-tree')
    stageDeb({ program: 'hub', arch: 'amd64' }, VERSION, stage)
    const lib = join(stage, 'usr/lib/motcua-hub')
    const env = { PATH: '/usr/bin:/bin' }
    const hashOf = (password: string) =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const p = spawn(join(lib, 'node'), [join(lib, 'hub-cli.js'), 'hash-password'], { cwd: dir, env, stdio: ['pipe', 'pipe', 'pipe'] })
        let out = ''
        let err = ''
        p.stdout.on('data', (c: Buffer) => (out += c.toString()))
        p.stderr.on('data', (c: Buffer) => (err += c.toString()))
        p.once('exit', (code) => resolve({ code, out, err }))
        p.stdin.end(`${password}\n`)
      })
    const ok = await hashOf('mat-khau-thanh-tra-2026')
    expect(ok.code).toBe(0)
    expect(await verifyPassword('mat-khau-thanh-tra-2026', ok.out.trim())).toBe(true)
    expect(ok.out).not.toContain('mat-khau')
    const short = await hashOf('short')
    expect([short.code, short.out]).toEqual([65, ''])
    expect(short.err).toContain('at least 10 characters')
    const wrapper = readFileSync(join(stage, 'usr/bin/motcua-hub'), 'utf8')
    // Every operator command goes to hub-cli.js (the list grows with hub/cli), anything else runs the hub.
    expect(HUB_COMMANDS).toEqual(expect.arrayContaining(['audit-verify', 'hash-password']))
    expect(wrapper).toContain(`\n  ${HUB_COMMANDS.join('|')}|-h|--help) exec /usr/lib/motcua-hub/node /usr/lib/motcua-hub/hub-cli.js "$@" ;;\n`)
    // The hub in the foreground as the service runs it: the unit's node flags (the heap's bound).
    expect(wrapper).toMatch(/\nexec \/usr\/lib\/motcua-hub\/node --max-old-space-size=1024 \/usr\/lib\/motcua-hub\/hub\.js "\$@"\n$/)
  }, 60_000)
})
