process.env.LOG_LEVEL ??= 'silent'
import { execFileSync, spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import mqtt from 'mqtt'
import { afterAll, describe, expect, it } from 'vitest'
import { parse, parseDocument, stringify } from 'yaml'
import { createLogger } from '../../common/log.js'
import { verifyPin } from '../../common/secrets.js'
import { addDevice, setOfficerPinHash } from '../../edge/cli/config-edit.js'
import { describeConfig } from '../../edge/cli/check.js'
import { CliError, EXIT } from '../../common/cli/exit.js'
import { publicUrl } from '../../edge/cli/format.js'
import { formatHealth, healthUrl, type HealthBody } from '../../edge/cli/health.js'
import type { CliIo } from '../../common/cli/io.js'
import { runCli } from '../../edge/cli/run.js'
import { checkPin, isGuessable } from '../../edge/cli/set-pin.js'
import { loadEdgeConfig } from '../../edge/config/load.js'
import { provisionDevice } from '../../edge/config/provision.js'
import { startEdge, type RunningEdge } from '../../edge/main.js'
import { topics } from '../../protocol/topics.js'
import { request } from '../hub/helpers.js'
import { testSite } from '../support/edge-site.js'

const root = join(import.meta.dirname, '..', '..')
const tmp = mkdtempSync(join(tmpdir(), 'motcua-edge-cli-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))
const silent = createLogger('test', 'silent')

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/** The real command, as a technician runs it: its own process, stdin piped. */
function cli(args: string[], opts: { stdin?: string; env?: Record<string, string> } = {}): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env }
  if (!opts.env?.MOTCUA_EDGE_CONFIG) delete env.MOTCUA_EDGE_CONFIG
  const child = spawn(process.execPath, ['--import', 'tsx', 'edge/cli/main.ts', ...args], { cwd: root, env, stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()))
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
  child.stdin.end(opts.stdin ?? '')
  // An "it ends at all" bound: a command that hangs fails the test instead of the suite.
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    }),
  )
}

/**
 * The same command in this process (runCli with piped-stdin semantics): for
 * the variants of a flow whose process boundary a spawned run already covers.
 */
async function inProcess(argv: string[], stdin = ''): Promise<Run> {
  const out: string[] = []
  const err: string[] = []
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), env: {}, interactive: false, readSecretLine: async () => stdin.split('\n')[0]! }
  const code = await runCli(argv, io)
  const text = (lines: string[]) => lines.map((l) => `${l}\n`).join('')
  return { code, stdout: text(out), stderr: text(err) }
}

let n = 0
/** A valid site config as a technician's file: with comments, mode 0640. */
function siteFile(overrides: Record<string, unknown> = {}, mode = 0o640): { file: string; site: ReturnType<typeof testSite> } {
  const dir = mkdtempSync(join(tmp, `site-${n++}-`))
  const site = testSite(overrides)
  const doc = parseDocument(stringify(site.config))
  doc.commentBefore = ' Trung tâm Cần Thơ — edge config (kept by the province IT team)'
  const officers = doc.get('officers', true) as { commentBefore?: string }
  officers.commentBefore = ' officers sign in on the kiosk with their PIN'
  const file = join(dir, 'edge.yaml')
  writeFileSync(file, doc.toString({ lineWidth: 0 }))
  chmodSync(file, mode)
  return { file, site }
}

const secretOf = (stdout: string) => stdout.trim().split('\n').at(-1)!
const rating = (id: string) => JSON.stringify({ v: 1, id, ts: Date.now(), scale: 4, level: 3 })

describe('motcua-edge check (real CLI)', () => {
  it('summarises a valid config without its secrets, found through --config or MOTCUA_EDGE_CONFIG', async () => {
    const { file, site } = siteFile({ hub: { url: 'https://edge:hunter22@hub.example.vn/ingest?token=abc123', token: 'tok-0123456789abcdef' } })
    const [byFlag, byEnv] = await Promise.all([cli(['check', '--config', file]), cli(['check'], { env: { MOTCUA_EDGE_CONFIG: file } })])
    expect(byFlag.stderr).toBe('')
    expect(byFlag.code).toBe(0)
    expect(byEnv).toEqual(byFlag)
    expect(byFlag.stdout).toContain(`${file}: valid`)
    expect(byFlag.stdout).toContain('site      ct-center (Trung tâm Phục vụ hành chính công Cần Thơ)')
    expect(byFlag.stdout).toContain('devices   4: 2 kiosk, 1 button, 1 queue')
    expect(byFlag.stdout).toContain('hub       https://hub.example.vn/ingest (token in the config)')
    for (const secret of ['hunter22', 'abc123', 'tok-0123456789abcdef', 'sha256:', ...Object.values(site.devices).map((d) => d.secret)])
      expect(byFlag.stdout).not.toContain(secret)
  })

  it('refuses a broken config like the edge does: exit 78, naming the file and the key', async () => {
    const { file } = siteFile()
    writeFileSync(file, readFileSync(file, 'utf8').replace('department: health\n', 'department: nowhere\n'))
    const run = await cli(['check', '--config', file])
    expect(run.code).toBe(78)
    expect(run.stdout).toBe('')
    expect(run.stderr).toContain(`EDGE_CONFIG_INVALID ${file}: invalid configuration`)
    expect(run.stderr).toContain('counters.1.department: expected one of the departments\' ids, got "nowhere"')

    const missing = await inProcess(['check', '--config', join(tmp, 'no-such.yaml')])
    expect(missing.code).toBe(78)
    expect(missing.stderr).toContain(`${join(tmp, 'no-such.yaml')}: invalid configuration`)
  })
})

describe('motcua-edge provision-device --write (real CLI, real edge)', () => {
  it('adds the device in place (comments, mode, backup kept); the edge then lets it in with the printed secret', async () => {
    const { file } = siteFile()
    const before = readFileSync(file, 'utf8')
    const run = await cli(['provision-device', 'kiosk-3', '--kind', 'kiosk', '--counter', 'q3', '--write', '--config', file])
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    const secret = secretOf(run.stdout)
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(run.stdout).toContain(`added device kiosk-3 (kiosk, counter q3) to ${file}`)

    const after = readFileSync(file, 'utf8')
    expect(after).not.toContain(secret)
    expect(after).toContain('# Trung tâm Cần Thơ — edge config (kept by the province IT team)')
    expect(after).toContain('# officers sign in on the kiosk with their PIN')
    // Only the new entry was added: the rest of the file reads as before.
    expect(after.replace(/ {2}- id: kiosk-3\n {4}kind: kiosk\n {4}counter: q3\n {4}secretHash: sha256:[0-9a-f]{64}\n/, '')).toBe(before)
    expect(readFileSync(`${file}.bak`, 'utf8')).toBe(before)
    expect(statSync(file).mode & 0o777).toBe(0o640)
    expect(statSync(`${file}.bak`).mode & 0o777).toBe(0o640)

    const again = await inProcess(['provision-device', 'kiosk-3', '--kind', 'kiosk', '--counter', 'q3', '--write', '--config', file])
    expect(again.code).toBe(EXIT.DATA)
    expect(again.stderr).toContain(`${file}: device "kiosk-3" is already there`)
    expect(again.stdout).toBe('')
    expect(readFileSync(file, 'utf8')).toBe(after)

    const edge = await startEdge(loadEdgeConfig(file), { forward: false, log: silent })
    try {
      const url = `mqtt://127.0.0.1:${edge.ports.mqtt}`
      const client = await mqtt.connectAsync(url, { clientId: 'kiosk-3', username: 'kiosk-3', password: secret, reconnectPeriod: 0 })
      await client.publishAsync(topics.rating('ct-center', 'q3'), rating('evt-cli-0001'), { qos: 1 })
      await client.endAsync()
      // The same id with another secret is still refused: the edge checks the hash the CLI wrote.
      await expect(mqtt.connectAsync(url, { clientId: 'kiosk-3', username: 'kiosk-3', password: `${secret}x`, reconnectPeriod: 0 })).rejects.toThrow(/Not authorized|Bad username or password/)
    } finally {
      await edge.stop()
    }
  })

  it('without --write prints the entry to paste and the secret, and changes no file', async () => {
    const { file } = siteFile()
    const before = readFileSync(file, 'utf8')
    const run = await inProcess(['provision-device', 'queue-2', '--kind', 'queue', '--config', file])
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/ {2}- id: queue-2\n {4}kind: queue\n {4}secretHash: sha256:[0-9a-f]{64}\n/)
    expect(readFileSync(file, 'utf8')).toBe(before)
  })
})

describe('motcua-edge set-pin (real CLI)', () => {
  it('stores a hash the edge verifies, reading the PIN from stdin; comments survive; bad PINs and unknown officers change nothing', async () => {
    const { file } = siteFile({}, 0o600)
    const run = await cli(['set-pin', 'le-van-c', '--config', file], { stdin: '4826\n' })
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout).toContain(`set a PIN of officer le-van-c in ${file}`)
    expect(run.stdout).not.toContain('4826')
    const text = readFileSync(file, 'utf8')
    expect(text).toContain('# officers sign in on the kiosk with their PIN')
    expect(text).not.toContain('4826')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const officer = loadEdgeConfig(file).officers.find((o) => o.id === 'le-van-c')!
    expect(await verifyPin('4826', officer.pinHash!)).toBe(true)
    expect(await verifyPin('4827', officer.pinHash!)).toBe(false)

    const [short, letters, nobody] = await Promise.all([
      cli(['set-pin', 'le-van-c', '--config', file], { stdin: '123\n' }),
      inProcess(['set-pin', 'le-van-c', '--config', file], '12ab'),
      inProcess(['set-pin', 'nobody', '--config', file], '5555'),
    ])
    expect([short.code, letters.code, nobody.code]).toEqual([EXIT.DATA, EXIT.DATA, EXIT.DATA])
    expect(short.stderr).toContain('a PIN is 4 to 8 digits; nothing was written')
    expect(nobody.stderr).toContain(`${file}: no officer "nobody"; its officers are nguyen-van-a, tran-thi-b, le-van-c`)
    expect(readFileSync(file, 'utf8')).toBe(text)

    const replaced = await inProcess(['set-pin', 'le-van-c', '--config', file], '97315')
    expect(replaced.stdout).toContain('replaced the PIN of officer le-van-c')
    expect(await verifyPin('97315', loadEdgeConfig(file).officers.find((o) => o.id === 'le-van-c')!.pinHash!)).toBe(true)
    expect(readFileSync(`${file}.bak`, 'utf8')).toBe(text)
  })
})

describe('motcua-edge health and outbox (real CLI, real edge with its LevelDB)', () => {
  /** Starts the edge from `overrides`, and writes the config the CLI reads: the edge's HTTP port, on the wildcard address. */
  async function runningSite(overrides: Record<string, unknown>): Promise<{ edge: RunningEdge; file: string; devices: ReturnType<typeof testSite>['devices'] }> {
    const dir = mkdtempSync(join(tmp, `live-${n++}-`))
    const { config, devices } = testSite({ outbox: { dir: join(dir, 'outbox'), ...(overrides.outbox as object) } })
    const edge = await startEdge(config, { forward: false, log: silent })
    const file = join(dir, 'edge.yaml')
    writeFileSync(file, stringify({ ...config, http: { host: '0.0.0.0', port: edge.ports.http } }))
    return { edge, file, devices }
  }

  it('prints the outbox depth and the health of a running edge; says so when the edge does not answer', async () => {
    const { edge, file, devices } = await runningSite({})
    try {
      const k1 = devices.k1!
      const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${edge.ports.mqtt}`, { clientId: k1.id, username: k1.id, password: k1.secret, reconnectPeriod: 0 })
      await client.publishAsync(topics.rating('ct-center', 'q1'), rating('evt-cli-0002'), { qos: 1 })
      await client.publishAsync(topics.rating('ct-center', 'q1'), rating('evt-cli-0003'), { qos: 1 })
      const [outbox, health, json] = await Promise.all([
        cli(['outbox', '--config', file]),
        cli(['health', '--config', file]),
        inProcess(['health', '--json', '--config', file]),
      ])
      await client.endAsync()
      // Two ratings after the two records every first start stores: its duty restart and its directory of names.
      expect(outbox.code).toBe(0)
      expect(outbox.stdout).toMatch(/^outbox {5}4 records waiting \(\d+(\.\d)? k?B\), the oldest for \d+ s; 0 shed, 0 dead letters\n$/)
      expect(health.code).toBe(0)
      expect(health.stdout).toContain('edge ct-center: ok\n')
      expect(health.stdout).toContain('1 device connected')
      expect(health.stdout).toContain('outbox     4 records waiting')
      expect(health.stdout).toContain('forwarder  off (this edge does not send to the hub)')
      expect(JSON.parse(json.stdout)).toMatchObject({ status: 'ok', site: 'ct-center', outbox: { depth: 4 }, forwarder: null, cameras: null })
    } finally {
      await edge.stop()
    }
    const down = await inProcess(['health', '--config', file])
    expect(down.code).toBe(EXIT.UNAVAILABLE)
    expect(down.stderr).toContain(`the edge does not answer at ${healthUrl({ host: '127.0.0.1', port: edge.ports.http })} (ECONNREFUSED); is it running?`)
  })

  it('exits 1 and lists the reasons when the edge is degraded (its outbox refuses: disk reserve reached)', async () => {
    const { edge, file, devices } = await runningSite({ outbox: { minFreeBytes: Number.MAX_SAFE_INTEGER } })
    try {
      const k1 = devices.k1!
      const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${edge.ports.mqtt}`, { clientId: k1.id, username: k1.id, password: k1.secret, reconnectPeriod: 0 })
      // Refused: aedes closes the connection without PUBACK.
      const closed = new Promise<void>((resolve) => client.once('close', () => resolve()))
      client.publish(topics.rating('ct-center', 'q1'), rating('evt-cli-0004'), { qos: 1 })
      await closed
      await client.endAsync(true)
      const health = await cli(['health', '--config', file])
      expect(health.code).toBe(EXIT.DEGRADED)
      expect(health.stdout).toContain('edge ct-center: DEGRADED\n  OUTBOX_REFUSING: outbox refuses new records: disk free')
      expect(health.stdout).toContain('  EDGE_DISK_FULL: a device message could not be stored')
      expect(health.stdout).toContain('           refusing new records: disk free')
    } finally {
      await edge.stop()
    }
  })
})

describe('motcua-edge make-certs (real CLI, real openssl, real TLS)', () => {
  it('makes the site CA and the edge certificate (keys 0600) that openssl verifies and a client trusting only the CA accepts; the printed config runs an edge over TLS', async () => {
    const { file, site } = siteFile()
    const made = await cli(['make-certs', '--config', file, '--host', 'edge.local', '--ip', '192.168.1.10'])
    expect(made.stderr).toBe('')
    expect(made.code).toBe(0)
    const tls = join(dirname(file), 'tls')
    expect(made.stdout).toContain(`# the site's certificates, in ${tls}:`)
    expect(made.stdout).toContain("every kiosk tablet and the supervisor's browser must trust it")
    expect(made.stdout).toContain('edge.local, localhost, 192.168.1.10, 127.0.0.1, ::1; valid until')
    for (const key of ['ca.key', 'edge.key']) expect((statSync(join(tls, key)).mode & 0o777).toString(8), key).toBe('600')
    const verify = (cert: string) => execFileSync('openssl', ['verify', '-CAfile', join(tls, 'ca.pem'), cert], { encoding: 'utf8' })
    expect(verify(join(tls, 'edge.pem'))).toBe(`${join(tls, 'edge.pem')}: OK\n`)

    // What it printed to put in the config, pasted as printed.
    const printed = parse(made.stdout.split('\n').filter((l) => l && !l.startsWith('#')).join('\n')) as { http: { tls: object }; broker: { tls: object } }
    expect(printed.http.tls).toEqual({ cert: 'tls/edge.pem', key: 'tls/edge.key', ca: 'tls/ca.pem' })
    const raw = { ...site.config, outbox: { dir: join(dirname(file), 'outbox') }, http: { host: '127.0.0.1', port: 0, tls: printed.http.tls }, broker: { ...site.config.broker, tls: printed.broker.tls } }
    writeFileSync(file, stringify(raw))
    const edge = await startEdge(loadEdgeConfig(file), { forward: false, log: silent })
    try {
      const url = `https://localhost:${edge.ports.http}/healthz`
      const caPem = readFileSync(join(tls, 'ca.pem'), 'utf8')
      expect((await request(url, { ca: caPem })).status).toBe(200)
      await expect(request(url)).rejects.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' })
      // motcua-edge health checks the edge against http.tls.ca.
      writeFileSync(file, stringify({ ...raw, http: { ...raw.http, port: edge.ports.http } }))
      const health = await inProcess(['health', '--config', file])
      expect(health.stdout).toContain('edge ct-center: ok')
    } finally {
      await edge.stop()
    }

    // A second run (a new address) keeps the CA the tablets already trust.
    const caBefore = readFileSync(join(tls, 'ca.pem'), 'utf8')
    const again = await inProcess(['make-certs', '--config', file, '--host', 'edge.local', '--ip', '192.168.1.11'])
    expect(again.code).toBe(0)
    expect(again.stdout).toContain('(kept from before: devices that trust it keep working)')
    expect(readFileSync(join(tls, 'ca.pem'), 'utf8')).toBe(caBefore)
    expect(verify(join(tls, 'edge.pem'))).toContain(': OK')
  })

  it('refuses to run without a name or address, and refuses a bad one', async () => {
    const { file } = siteFile()
    for (const [args, text] of [
      [[], 'make-certs needs the names and addresses'],
      [['--ip', 'edge.local'], '--ip "edge.local" is not an IPv4 or IPv6 address'],
      [['--host', '10.0.0.5'], '--host "10.0.0.5" is not a host name (an address goes in --ip)'],
      [['--host', 'bad name'], '--host "bad name" is not a host name'],
    ] as const) {
      const run = await inProcess(['make-certs', '--config', file, ...args])
      expect(run.code, args.join(' ')).toBe(EXIT.USAGE)
      expect(run.stderr, args.join(' ')).toContain(text)
    }
    expect(existsSync(join(dirname(file), 'tls'))).toBe(false)
  })
})

describe('motcua-edge pure parts', () => {
  const io = () => {
    const out: string[] = []
    const err: string[] = []
    const fake: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), env: {}, interactive: false, readSecretLine: async () => '' }
    return { fake, out, err }
  }

  it('usage: --help, no command, unknown command or option, an option another command takes', async () => {
    const cases: [string[], number, string][] = [
      [['--help'], 0, 'usage: motcua-edge <command>'],
      [[], EXIT.USAGE, 'no command given'],
      [['reboot'], EXIT.USAGE, 'unknown command "reboot"'],
      [['check', '--verbose'], EXIT.USAGE, "Unknown option '--verbose'"],
      [['check', '--write'], EXIT.USAGE, 'check does not take --write'],
      [['set-pin'], EXIT.USAGE, 'set-pin takes one argument'],
      [['provision-device', 'k-1', '--kind', 'toaster'], EXIT.USAGE, '--kind must be one of kiosk, button, queue'],
      [['provision-device', 'k-1', '--kind', 'kiosk'], EXIT.USAGE, 'a kiosk must name its counter (--counter)'],
    ]
    for (const [argv, code, text] of cases) {
      const { fake, out, err } = io()
      expect(await runCli(argv, fake), argv.join(' ')).toBe(code)
      expect([...out, ...err].join('\n'), argv.join(' ')).toContain(text)
    }
  })

  it('PINs: 4–8 digits, blanks around ignored; simple runs are flagged', () => {
    expect(checkPin(' 0482 ')).toBe('0482')
    for (const bad of ['', '123', '123456789', '12 34', '１２３４', '12a4']) expect(() => checkPin(bad), bad).toThrow(CliError)
    expect(['1111', '1234', '98765', '0123'].map(isGuessable)).toEqual([true, true, true, true])
    expect(['1357', '4826', '1123'].map(isGuessable)).toEqual([false, false, false])
  })

  it('config edits keep the document: a device into a missing, empty or bare list; a PIN set or replaced', () => {
    const { entry } = provisionDevice('btn-9', 'button', 'q1')
    for (const text of ['site: {id: a}\n', 'site: {id: a}\ndevices: []\n', 'site: {id: a}\ndevices:\n']) {
      const doc = parseDocument(text)
      addDevice(doc, entry)
      expect(doc.toJS().devices, text).toEqual([entry])
      expect(doc.toString(), text).toContain('devices:\n  - id: btn-9\n')
    }
    const doc = parseDocument('officers:\n  - id: a # Anh\n    name: A\n  - { id: b, name: B }\n')
    expect(setOfficerPinHash(doc, 'b', 'scrypt:x:y')).toEqual({ replaced: false })
    expect(setOfficerPinHash(doc, 'b', 'scrypt:z:w')).toEqual({ replaced: true })
    expect(doc.toString()).toBe('officers:\n  - id: a # Anh\n    name: A\n  - { id: b, name: B, pinHash: scrypt:z:w }\n')
    expect(() => addDevice(parseDocument('devices: {}\n'), entry)).toThrow('devices: expected a list')
  })

  it('health: where to ask, and what a degraded edge with cameras and a failing forwarder looks like', () => {
    expect(healthUrl({ host: '0.0.0.0', port: 8080 })).toBe('http://127.0.0.1:8080/healthz')
    expect(healthUrl({ host: '::', port: 8080 })).toBe('http://[::1]:8080/healthz')
    expect(healthUrl({ host: '10.0.0.5', port: 80 })).toBe('http://10.0.0.5:80/healthz')
    expect(healthUrl({ host: '0.0.0.0', port: 8443, tls: { cert: 'c', key: 'k' } })).toBe('https://127.0.0.1:8443/healthz')
    expect(() => healthUrl({ host: '0.0.0.0', port: 0 })).toThrow('http.port is 0')
    const now = 1_800_000_000_000
    const body: HealthBody = {
      status: 'degraded',
      reasons: [{ code: 'OUTBOX_BACKLOG', message: '5400 records waiting, the oldest for 130 min' }],
      site: 'ct-center', uptimeS: 9000, connectedDevices: 3,
      outbox: { depth: 5400, bytes: 2_300_000, oldestAgeS: 7800, shed: 0, deadLetters: 1, refusing: null },
      forwarder: { running: true, lastSuccessAt: now - 7_800_000, lastErrorCode: 'EDGE_HUB_UNREACHABLE', lastErrorAt: now - 5000, consecutiveFailures: 12, nextAttemptAt: now + 30_000, delivered: 880, deadLettered: 1 },
      cameras: [{ id: 'cam-1', state: 'online', detail: 'ok' }, { id: 'cam-2', state: 'auth_failed', detail: 'credentials refused' }],
    }
    expect(formatHealth(body, now)).toEqual([
      'edge ct-center: DEGRADED',
      '  OUTBOX_BACKLOG: 5400 records waiting, the oldest for 130 min',
      'up         2 h 30 min, 3 devices connected',
      'outbox     5400 records waiting (2.3 MB), the oldest for 2 h 10 min; 0 shed, 1 dead letter',
      'forwarder  retrying: 12 failures in a row (EDGE_HUB_UNREACHABLE), next try in 30 s; last delivery 2 h 10 min ago',
      'cameras    1 of 2 online',
      '  cam-1: online',
      '  cam-2: auth_failed (credentials refused)',
    ])
  })

  it('check: the hub URL is shown without credentials or query; counters without a device are named', () => {
    expect(publicUrl('https://u:p@hub.example.vn:8443/x?token=1#f')).toBe('https://hub.example.vn:8443/x')
    const { config } = testSite()
    const lines = describeConfig('/etc/motcua/edge.yaml', config)
    expect(lines).toContain('note      1 counter without a kiosk or button box: q3')
    expect(lines.join('\n')).not.toContain(config.hub.token!)
    // testSite listens on loopback only; on the network a plain listener is named, as the edge's warning at start does.
    expect(lines.filter((l) => l.includes('has no TLS'))).toEqual([])
    const open = describeConfig('/etc/motcua/edge.yaml', { ...config, http: { host: '0.0.0.0', port: 8080 } })
    expect(open.filter((l) => l.includes('has no TLS'))).toEqual([
      'note      http on 0.0.0.0:8080 has no TLS: supervisor passwords and session cookies, live camera video, and the kiosk page (open to tampering) cross the network in clear (set http.tls: motcua-edge make-certs)',
    ])
  })
})
