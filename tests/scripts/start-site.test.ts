/**
 * The real `npm start` in a temporary data folder (2 counters, at most one
 * camera), on loopback: it owns every process it starts whatever stops it,
 * refuses a second instance on the same folder, and logs no warning on a
 * first start. Descendants are read from /proc before each stop and must all
 * be gone after it. Only processes this file started are ever signalled.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { commandLine, descendants, findProcesses, isRunning } from '../../scripts/lib/process-tree.js'
import { LOCK_FILE } from '../../scripts/lib/site-lock.js'
import { INFLUXD_BIN } from '../../testkit/influxd.js'
import { waitFor } from '../../testkit/wait.js'
import { influxQuery, request } from '../hub/helpers.js'

const ROOT = resolve(import.meta.dirname, '../..')
const UP_MS = 90_000
let dir: string
/** Every PID this file started or saw descend from what it started, to clean up after a failed test. */
const ours = new Set<number>()

interface Run {
  proc: ChildProcess
  pid: number
  out(): string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/** The environment of a fresh shell: nothing from vitest, no InfluxDB named. */
function env(cameras: number, logLevel: string): NodeJS.ProcessEnv {
  const { PATH, HOME, LANG, TMPDIR } = process.env
  return { PATH, HOME, LANG, TMPDIR, MOTCUA_DATA: dir, MOTCUA_DEMO_COUNTERS: '2', MOTCUA_DEMO_CAMERAS: String(cameras), LOG_LEVEL: logLevel }
}

const COMMANDS = {
  npm: ['npm', ['start']],
  script: [process.execPath, ['--import', 'tsx', 'scripts/start-site.ts']],
  // npm start in a terminal of its own (a pseudo-terminal that util-linux's script holds open).
  terminal: ['script', ['-qfec', 'npm start', '/dev/null']],
} as const

/** `npm start` (or the script alone) in its own process group, as a terminal runs a foreground job. */
function run(command: keyof typeof COMMANDS, cameras = 0, logLevel = 'warn'): Run {
  const [cmd, args] = COMMANDS[command]
  const proc = spawn(cmd, args, { cwd: ROOT, env: env(cameras, logLevel), detached: true, stdio: ['pipe', 'pipe', 'pipe'] })
  let text = ''
  proc.stdout!.on('data', (b: Buffer) => (text += b.toString()))
  proc.stderr!.on('data', (b: Buffer) => (text += b.toString()))
  ours.add(proc.pid!)
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.once('exit', (code, signal) => r({ code, signal })))
  return { proc, pid: proc.pid!, out: () => text, exited }
}

/** Waits until the demo runs, then reads its processes: one influxd on the folder, and it is this run's. */
async function up(r: Run): Promise<Map<number, string>> {
  let gone = false
  void r.exited.then(() => (gone = true))
  await waitFor(
    () => `the demo to run; its output:\n${r.out()}`,
    () => {
      if (gone) throw new Error('npm start exited')
      return r.out().includes('demo site running')
    },
    { timeoutMs: UP_MS, everyMs: 200 },
  )
  const running = tree(r.pid)
  expect(influxdsIn(running)).toHaveLength(1)
  expect(influxdsOnDir()).toEqual(influxdsIn(running))
  return running
}

/** Descendants now, remembered for the clean-up; with their command lines, for messages. */
function tree(root: number): Map<number, string> {
  const pids = descendants(root)
  pids.forEach((p) => ours.add(p))
  return new Map(pids.map((p) => [p, commandLine(p)]))
}

/** Every process seen before the stop is gone, and so is the lock. */
async function allStopped(pids: Map<number, string>): Promise<void> {
  await waitFor(
    () => `every process to stop; still running: ${[...pids].filter(([p]) => isRunning(p)).map(([p, cmd]) => `${p} ${cmd.slice(0, 80)}`).join('; ')}`,
    () => [...pids.keys()].every((p) => !isRunning(p)),
    { timeoutMs: 30_000, everyMs: 100 },
  )
  expect(influxdsOnDir()).toEqual([])
  expect(existsSync(join(dir, LOCK_FILE))).toBe(false)
}

const influxdsIn = (t: Map<number, string>) => [...t].filter(([, cmd]) => cmd.startsWith(INFLUXD_BIN)).map(([pid]) => pid)
const influxdsOnDir = () => findProcesses((cmd) => cmd.startsWith(INFLUXD_BIN) && cmd.includes(dir))
const nodeScript = (t: Map<number, string>) => [...t].find(([, cmd]) => cmd.includes('scripts/start-site.ts'))?.[0]

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'motcua-start-'))
})
afterEach(() => {
  for (const pid of ours) if (isRunning(pid)) process.kill(pid, 'SIGKILL')
  ours.clear()
})
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('npm start', () => {
  it('starts with no warning, refuses a second start on the same folder, and Ctrl-C stops every process', async () => {
    const first = run('npm', 1)
    const running = await up(first)
    // The first status line: the hub's rollup, the edge and the boxes have all had their first round.
    await waitFor('the first status line', () => /\[\d+s\] pressed/.test(first.out()), { timeoutMs: 30_000, everyMs: 200 })
    expect(first.out().split('\n').filter((l) => /"level":[4-6]\d|backfill failed|warn|error/i.test(l))).toEqual([])
    // The edge's pages and MQTT use TLS with the demo's CA; the button boxes connect over mqtts trusting it.
    const edgeUrl = /Edge \(HTTPS\)\s+(https:\/\/127\.0\.0\.1:\d+)\/healthz/.exec(first.out())?.[1]
    const caFile = /CA to trust\s+(\S+)/.exec(first.out())?.[1]
    expect(first.out()).toMatch(/MQTT \(TLS\)\s+mqtts:\/\/127\.0\.0\.1:\d+\s+wss:\/\/127\.0\.0\.1:\d+/)
    expect(first.out()).toMatch(/Kiosk\s+https:\/\/127\.0\.0\.1:\d+\/kiosk\//)
    const ca = readFileSync(caFile!, 'utf8')
    // Both button boxes and the queue system.
    await waitFor('both button boxes and the queue system connected over mqtts', async () => ((await request(`${edgeUrl}/healthz`, { ca })).body as { connectedDevices: number }).connectedDevices === 3)
    await expect(request(`${edgeUrl}/healthz`)).rejects.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' })
    // Tickets flow (issue 16): the simulated queue system's issued, called and finished tickets reach InfluxDB,
    // and the status line counts the called ones.
    const influxUrl = /InfluxDB\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(first.out())?.[1]
    const ticketEvents = async () => new Set((await influxQuery(influxUrl!, 'motcua', 'SELECT count("ticket") FROM "ticket" GROUP BY "event"').catch(() => [])).map((x) => x.tags?.event))
    await waitFor('issued, called and finished tickets in InfluxDB', async () => (await ticketEvents()).size === 3, { timeoutMs: 60_000, everyMs: 500 })
    await waitFor('a status line counting called tickets', () => /tickets called [1-9]/.test(first.out()), { timeoutMs: 30_000, everyMs: 200 })
    expect(first.out()).toMatch(/Published results\s+https:\/\/127\.0\.0\.1:\d+\/public\//)
    const script = nodeScript(running)
    expect(script).toBeDefined()
    expect([...running.values()].some((c) => c.includes('rtsp_server.py'))).toBe(true)
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true)

    const second = run('script')
    expect((await second.exited).code).not.toBe(0)
    expect(second.out()).toContain(`npm start is already running on ${dir} (PID ${script}`)
    expect(second.out()).not.toContain('demo site running')
    expect(influxdsOnDir()).toEqual(influxdsIn(running))

    // Ctrl-C: the terminal signals the whole foreground group (npm forwards it once more).
    process.kill(-first.pid, 'SIGINT')
    expect(await first.exited).toEqual({ code: 0, signal: null })
    await allStopped(running)
    expect(first.out()).toContain('stopping (SIGINT)')
  }, 200_000)

  it('stops every process when SIGTERM is sent to npm alone', async () => {
    const r = run('npm')
    const running = await up(r)
    process.kill(r.pid, 'SIGTERM')
    await r.exited
    await allStopped(running)
    expect(r.out()).toContain('stopping (SIGTERM)')
  }, 150_000)

  it('stops every process when its terminal closes (SIGHUP, then EIO on every write)', async () => {
    // Components log as they stop: every line meets the closed terminal.
    const r = run('terminal', 0, 'info')
    const running = await up(r)
    // The terminal goes away: the kernel hangs up its session.
    process.kill(r.pid, 'SIGKILL')
    await allStopped(running)
  }, 150_000)

  it('after its script was SIGKILLed, stops the influxd left behind; and stops when npm is killed', async () => {
    const killed = run('npm')
    const left = await up(killed)
    const [leftInfluxd] = influxdsIn(left)
    process.kill(nodeScript(left)!, 'SIGKILL')
    await killed.exited
    // Nothing can stop influxd then: it keeps running, with the lock naming it.
    expect(isRunning(leftInfluxd!)).toBe(true)

    const next = run('npm')
    const running = await up(next)
    expect(next.out()).toContain(`stopping influxd (PID ${leftInfluxd}) left running by an earlier npm start`)
    expect(isRunning(leftInfluxd!)).toBe(false)

    // npm itself killed: the script notices its parent is gone and stops.
    process.kill(next.pid, 'SIGKILL')
    await allStopped(running)
    expect(next.out()).toContain(`stopping (parent process ${next.pid} is gone)`)
  }, 250_000)
})

describe('a script that owns its children (scripts/lib/own-children.ts)', () => {
  for (const how of ['throw', 'reject'] as const) {
    it(`stops them when it crashes (${how}) and exits non-zero`, async () => {
      const proc = spawn(process.execPath, ['--import', 'tsx', 'tests/scripts/fixtures/crashing-owner.ts', how], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
      ours.add(proc.pid!)
      let text = ''
      proc.stdout.on('data', (b: Buffer) => (text += b.toString()))
      proc.stderr.on('data', (b: Buffer) => (text += b.toString()))
      const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)))
      const children = (await waitFor('the children', () => /children (\d+) (\d+)/.exec(text), { timeoutMs: 30_000 })).slice(1).map(Number)
      children.forEach((p) => ours.add(p))
      expect(await exited).toBe(1)
      expect(text).toContain(`crashed: Error: boom`)
      for (const pid of children) expect(isRunning(pid), `child ${pid}`).toBe(false)
    })
  }
})
