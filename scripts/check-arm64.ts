/**
 * `npm run check:arm64` (root): the arm64 edge package proven without a Pi.
 *
 * A Debian 12 arm64 root (debootstrap, minbase; built once under qemu-user
 * emulation and cached in /var/tmp) gets the arm64 .deb of one version by
 * `apt-get install ./…deb`. Its edge runs under emulation, with the package's
 * own Node and the arm64 LevelDB binary, while a button box on the host
 * presses and no hub answers; the edge is SIGKILLed mid-stream (a power cut).
 * Then its config is edited by hand, a newer version of the package is
 * installed over it, the hub (with its influxd) starts on the host, and the
 * newer edge runs, is SIGKILLed mid-stream once more and restarted. Checked:
 * every rating that got PUBACK is in InfluxDB exactly once, nothing else is,
 * the hand-edited config and the edge's token survived the upgrade, and the
 * older outbox was forwarded by the newer edge.
 *
 * Needs root (chroot, mounts, binfmt_misc); installs debootstrap and
 * qemu-user-static when missing. Loopback only.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import mqtt from 'mqtt'
import { stringify } from 'yaml'
import { createLogger } from '../common/log.js'
import { newSecret } from '../common/secrets.js'
import { hubConfigSchema } from '../hub/config/schema.js'
import { startHub } from '../hub/main.js'
import { EVENT_ID_PATTERN } from '../protocol/ids.js'
import type { ErrorReplyMessage } from '../protocol/messages.js'
import { topics } from '../protocol/topics.js'
import { makeTestPki } from '../testkit/certs.js'
import { startInfluxd } from '../testkit/influxd.js'
import { freePort } from '../testkit/ports.js'
import { buildDist } from './build.js'
import { buildDeb } from './package.js'
import { makeDemoSite } from './lib/demo-site.js'

const CACHE = process.env.MOTCUA_ARM64_CACHE ?? '/var/tmp/motcua-arm64-root.tar'
const ROOT = process.env.MOTCUA_ARM64_ROOT ?? '/var/tmp/motcua-arm64-check'
const OUT = '/var/tmp/motcua-arm64-debs'
const BINFMT_RULE = '/usr/lib/binfmt.d/qemu-aarch64.conf'
const say = (s: string) => console.log(`check:arm64: ${s}`)
const sh = (cmd: string, args: string[], opts: { quiet?: boolean } = {}) => execFileSync(cmd, args, { stdio: opts.quiet ? 'pipe' : 'inherit', encoding: 'utf8' })
const started = Date.now()
const since = () => `${((Date.now() - started) / 1000).toFixed(0)} s`

function hostTools(): void {
  if (process.getuid?.() !== 0) throw new Error('needs root: chroot, mounts and binfmt_misc')
  const missing = ['debootstrap', 'qemu-user-static'].filter((p) => {
    try {
      return sh('dpkg-query', ['-W', '-f=${db:Status-Status}', p], { quiet: true }) !== 'installed'
    } catch {
      return true
    }
  })
  if (missing.length) {
    say(`installing ${missing.join(', ')}`)
    sh('apt-get', ['update', '-qq'])
    sh('apt-get', ['install', '-y', '-qq', ...missing])
  }
  if (!existsSync('/proc/sys/fs/binfmt_misc/register')) sh('mount', ['-t', 'binfmt_misc', 'binfmt_misc', '/proc/sys/fs/binfmt_misc'])
  if (!existsSync('/proc/sys/fs/binfmt_misc/qemu-aarch64')) registerAarch64()
}

/**
 * qemu-user-static ships its handler as a systemd-binfmt rule, applied only
 * where systemd runs (not in a CI container), and binfmt-support's
 * update-binfmts may be absent; so the rule's line goes to the kernel as
 * systemd-binfmt would write it. Its F flag opens the interpreter now, so it
 * works inside the chroot too.
 */
function registerAarch64(): void {
  const rule = readFileSync(BINFMT_RULE, 'utf8').split('\n').find((line) => line.startsWith(':qemu-aarch64:'))
  if (!rule) throw new Error(`${BINFMT_RULE} has no qemu-aarch64 line`)
  writeFileSync('/proc/sys/fs/binfmt_misc/register', rule)
  if (!existsSync('/proc/sys/fs/binfmt_misc/qemu-aarch64')) throw new Error('the kernel did not take the qemu-aarch64 binfmt rule')
  say(`registered qemu-aarch64 with binfmt_misc from ${BINFMT_RULE}`)
}

function mirror(): string {
  const sources = execFileSync('sh', ['-c', "grep -hoE '^URIs: *\\S+' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1 | awk '{print $2}'"], { encoding: 'utf8' }).trim()
  return sources || 'http://deb.debian.org/debian'
}

const mounted: string[] = []
function freshRoot(): void {
  if (!existsSync(CACHE)) {
    say('building a Debian 12 arm64 root under emulation (once; about 10 minutes)')
    const tmp = `${CACHE}.d`
    rmSync(tmp, { recursive: true, force: true })
    sh('debootstrap', ['--arch=arm64', '--variant=minbase', 'bookworm', tmp, mirror()], { quiet: true })
    sh('tar', ['-C', tmp, '-cf', CACHE, '.'])
    rmSync(tmp, { recursive: true, force: true })
  }
  rmSync(ROOT, { recursive: true, force: true })
  mkdirSync(ROOT, { recursive: true })
  sh('tar', ['-C', ROOT, '-xf', CACHE])
  for (const m of ['proc', 'dev']) {
    sh('mount', ['--rbind', `/${m}`, join(ROOT, m)])
    sh('mount', ['--make-rslave', join(ROOT, m)])
    mounted.push(join(ROOT, m))
  }
  copyFileSync('/etc/resolv.conf', join(ROOT, 'etc/resolv.conf'))
  // The hub's test certificate names localhost.
  writeFileSync(join(ROOT, 'etc/hosts'), '127.0.0.1 localhost\n::1 localhost\n')
}

function cleanup(): void {
  for (const m of mounted.reverse()) execFileSync('umount', ['-l', m], { stdio: 'ignore' })
  rmSync(ROOT, { recursive: true, force: true })
}

const inRoot = (args: string[]) => ['/usr/bin/env', '-i', 'PATH=/usr/sbin:/usr/bin:/sbin:/bin', 'DEBIAN_FRONTEND=noninteractive', 'LANG=C.UTF-8', ...args]

function install(deb: string): void {
  copyFileSync(deb, join(ROOT, 'tmp/motcua-edge.deb'))
  sh('chroot', [ROOT, ...inRoot(['apt-get', 'install', '-y', '-q', '--no-install-recommends', '-o', 'Dpkg::Options::=--force-confold', '/tmp/motcua-edge.deb'])], { quiet: true })
  const version = sh('chroot', [ROOT, ...inRoot(['dpkg-query', '-W', '-f=${Version} ${Architecture}', 'motcua-edge'])], { quiet: true })
  say(`installed motcua-edge ${version} (${since()})`)
}

interface EmulatedEdge {
  child: ChildProcess
  exited: Promise<void>
}

/** Runs the packaged edge as the service would (user motcua, its config), under emulation. */
async function runEdge(): Promise<EmulatedEdge> {
  const child = spawn('chroot', ['--userspec=motcua:motcua', ROOT, ...inRoot(['LOG_LEVEL=warn', '/usr/lib/motcua-edge/node', '--max-semi-space-size=1', '/usr/lib/motcua-edge/edge.js', '/etc/motcua/edge.yaml'])], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)))
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()))
  await new Promise<void>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`emulated edge did not start in 120 s: ${stderr}`)), 120_000)
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.includes('"edge listening"')) return
      clearTimeout(timer)
      ok()
    })
    child.once('exit', (code) => fail(new Error(`emulated edge exited with ${code}: ${stderr}`)))
  })
  return { child, exited }
}

async function main(): Promise<void> {
  hostTools()
  await buildDist()
  const old = buildDeb({ program: 'edge', arch: 'arm64' }, '0.1.0~check1', OUT, { compress: false })
  const newer = buildDeb({ program: 'edge', arch: 'arm64' }, '0.1.0~check2', OUT, { compress: false })
  say(`built ${old} and ${newer} (${since()})`)
  freshRoot()
  const influx = await startInfluxd()
  const log = createLogger('check-arm64', 'warn')
  let edge: EmulatedEdge | null = null
  try {
    install(old)
    const pki = makeTestPki(join(ROOT, 'etc/motcua/pki'))
    const hubPort = await freePort()
    const ports = { mqtt: await freePort(), ws: await freePort(), http: await freePort() }
    const site = await makeDemoSite({ counters: 2, hubUrl: `https://localhost:${hubPort}`, hubCa: '/etc/motcua/pki/ca.crt', tokenFile: '/etc/motcua/edge-token', outboxDir: '/var/lib/motcua/edge/outbox', ports, host: '127.0.0.1' })
    copyFileSync(pki.caCert, join(ROOT, 'etc/motcua/pki/ca.crt'))
    const token = readFileSync(join(ROOT, 'etc/motcua/edge-token'), 'utf8').trim()
    const config = join(ROOT, 'etc/motcua/edge.yaml')
    writeFileSync(config, stringify({ ...site.edge, hub: { ...(site.edge.hub as object), backoffMaxMs: 2000 }, cameras: [], cameraOptions: { discovery: false, snapshotDir: '/var/lib/motcua/edge/snapshots' } }))
    execFileSync('chmod', ['-R', 'a+rX', join(ROOT, 'etc/motcua/pki')])

    const box = site.devices.find((d) => d.kind === 'button')!
    const acked: string[] = []
    /** Error replies on the box's down/{device}/error topic: a refused press is acknowledged too, and stored nowhere. */
    const refused: string[] = []
    let seq = 0
    /**
     * Event ids the protocol accepts (8–64 characters, docs/protocol.md): the edge
     * refuses anything else with an error reply and still sends PUBACK, so a
     * PUBACK alone does not prove a rating was stored ("arm64-1" … "arm64-9" were
     * refused as too short, and their absence from InfluxDB looked like loss).
     */
    const eventId = (n: number) => {
      const id = `arm64-${String(n).padStart(4, '0')}`
      if (!EVENT_ID_PATTERN.test(id)) throw new Error(`check bug: event id ${id} breaks the protocol's pattern ${EVENT_ID_PATTERN}`)
      return id
    }
    /** Presses n ratings one after another; with killAfter, the edge is SIGKILLed while that press is on the wire. */
    const press = async (n: number, killAfter?: number, edge?: EmulatedEdge) => {
      const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${ports.mqtt}`, { clientId: box.id, username: box.id, password: box.secret, reconnectPeriod: 0 })
      client.on('error', () => undefined)
      const errorTopic = topics.down(site.siteId, box.counter!, box.id, 'error')
      client.on('message', (topic, body) => {
        if (topic !== errorTopic) return
        const reply = JSON.parse(body.toString()) as ErrorReplyMessage
        refused.push(`${reply.id ?? '(no id)'}: ${reply.code} ${reply.message}`)
      })
      const [granted] = await client.subscribeAsync(errorTopic, { qos: 1 })
      if (granted?.qos !== 1) throw new Error(`the edge refused the box's subscription to ${errorTopic}`)
      // A QoS 1 publish whose connection dies is kept for a resend that never comes: count it as not acknowledged.
      const closed = new Promise<false>((resolve) => client.once('close', () => resolve(false)))
      let alive = true
      try {
        for (let i = 0; i < n; i++) {
          const id = eventId(++seq)
          const payload = JSON.stringify({ v: 1, id, ts: Date.now(), scale: 4, level: 1 + (seq % 4) })
          const puback = new Promise<boolean>((resolve) => client.publish(topics.rating(site.siteId, box.counter!), payload, { qos: 1 }, (err) => resolve(!err)))
          if (i === killAfter) edge!.child.kill('SIGKILL')
          if (!(await Promise.race([puback, closed]))) {
            alive = false
            break
          }
          acked.push(id)
        }
        // An error reply may trail its PUBACK: one more round trip, then a moment, before the refusals are read.
        if (alive) {
          await client.unsubscribeAsync(errorTopic)
          await new Promise((r) => setTimeout(r, 500))
        }
      } finally {
        client.end(true)
      }
      if (refused.length) throw new Error(`the edge refused ${refused.length} presses (acknowledged, so never stored): ${refused.slice(0, 3).join('; ')}`)
    }

    // 1. The older version, no hub: everything it acknowledges waits in its outbox; then a power cut.
    edge = await runEdge()
    say(`arm64 edge ${'0.1.0~check1'} running under emulation, hub down (${since()})`)
    await press(40, 30, edge)
    await edge.exited
    say(`power cut after ${acked.length} acknowledged ratings (${since()})`)

    // 2. A technician's edit, then the upgrade.
    appendFileSync(config, '# edited on site before the upgrade\n')
    install(newer)
    if (!readFileSync(config, 'utf8').includes('# edited on site before the upgrade')) throw new Error('the upgrade replaced the edited config')
    if (readFileSync(join(ROOT, 'etc/motcua/edge-token'), 'utf8').trim() !== token) throw new Error('the upgrade replaced the edge token')

    // 3. The hub is back; the newer edge forwards the older outbox, and survives one more power cut.
    const hub = await startHub(hubConfigSchema.parse({
      http: { host: '127.0.0.1', port: hubPort, tls: { cert: pki.serverCert, key: pki.serverKey } },
      influx: { version: 1, url: influx.url, database: 'motcua' },
      edges: [{ site: site.siteId, tokenHash: `sha256:${execFileSync('sh', ['-c', `printf %s "$(cat ${join(ROOT, 'etc/motcua/edge-token')})" | sha256sum`], { encoding: 'utf8' }).split(' ')[0]}` }],
      sessionSecret: newSecret(),
    }), { log })
    try {
      edge = await runEdge()
      await press(40, 25, edge)
      await edge.exited
      edge = await runEdge()
      await press(20)
      say(`${acked.length} ratings acknowledged in all; waiting for them in InfluxDB (${since()})`)
      const deadline = Date.now() + 180_000
      let stored: string[] = []
      while (Date.now() < deadline) {
        const q = new URLSearchParams({ db: 'motcua', q: 'SELECT event_id FROM rating' })
        const body = (await (await fetch(`${influx.url}/query?${q}`)).json()) as { results: { series?: { values: [string, string][] }[] }[] }
        stored = body.results[0]?.series?.[0]?.values.map((v) => v[1]) ?? []
        if (acked.every((id) => stored.includes(id))) break
        await new Promise((r) => setTimeout(r, 1000))
      }
      const missing = acked.filter((id) => !stored.includes(id))
      const doubled = stored.length - new Set(stored).size
      const unknown = stored.filter((id) => !/^arm64-\d{4}$/.test(id))
      if (missing.length || doubled || unknown.length) throw new Error(`exactly-once broken: ${missing.length} missing (${missing.slice(0, 5).join(', ')}), ${doubled} doubled, ${unknown.length} unknown`)
      say(`OK: ${acked.length} acknowledged, ${stored.length} in InfluxDB, none missing or doubled, across two power cuts and an upgrade (${since()})`)
      edge.child.kill('SIGTERM')
      await edge.exited
    } finally {
      await hub.stop()
    }
  } finally {
    if (edge && edge.child.exitCode === null && edge.child.signalCode === null) {
      edge.child.kill('SIGKILL')
      await edge.exited
    }
    await influx.stop()
    cleanup()
  }
}

try {
  await main()
  process.exit(0)
} catch (err) {
  console.error(`check:arm64: FAILED: ${(err as Error).message}`)
  process.exit(1)
}
