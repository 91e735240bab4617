/**
 * The edge against cameras that nobody here wrote, on the real processes: the
 * edge program (edge/main.ts, spawned with a config file, read through its
 * /healthz, /metrics and log) and the ONVIF simulator (with its GStreamer
 * RTSP server) in each quirk mode a field camera showed
 * (devices/camera-sim/quirks.ts):
 *
 * - a Renew refused without wsa:MessageID (the edge used to re-subscribe once
 *   a minute for ever), with short subscription lifetimes so renewals come
 *   within the test;
 * - one subscription slot, so any subscription the edge leaves behind shows
 *   as a refused CreatePullPointSubscription (the edge gives them back on
 *   shutdown and before re-subscribing);
 * - tamper on TamperDetector/Tamper as `State`, and as `IsTamper` with `1`/`0`;
 * - ProbeMatches with a wsa:ReplyTo/Address header before the endpoint: two
 *   cameras of the same model, alike in every scope, are found as two, by the
 *   edge's own code and by the edge program over real multicast.
 *
 * And /healthz naming a camera that stays down past `health.cameraDownS`.
 */
process.env.LOG_LEVEL ??= 'silent'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { createLogger } from '../../common/log.js'
import { hashPassword } from '../../common/secrets.js'
import { startCameraSim, type CameraSim } from '../../devices/camera-sim/index.js'
import { probeCameras } from '../../edge/cameras/discovery.js'
import { startCameraSubsystem } from '../../edge/cameras/subsystem.js'
import { metricSample } from '../../testkit/metrics.js'
import { waitFor } from '../../testkit/wait.js'
import { testSite } from '../support/edge-site.js'
import { MemoryOutbox } from '../support/memory-outbox.js'
import { ManualClock } from '../support/manual-clock.js'

const ANONYMOUS = 'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous'
const tmp = mkdtempSync(join(tmpdir(), 'motcua-cam-quirks-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

interface LogLine { msg: string; camera?: string; event?: string; state?: boolean; endpoint?: string; xaddrs?: string[]; level?: number }
interface CameraInHealth { id: string; state: string; since: number; forS: number; detail: string; events: string; eventFailures: number }
interface Health { status: string; reasons: { code: string; message: string }[]; cameras: CameraInHealth[] | null }

/** The edge program on a config file; its JSON log lines are kept. */
class EdgeProcess {
  readonly lines: LogLine[] = []
  private child: ChildProcess | null = null
  private exited: Promise<number | null> = Promise.resolve(null)
  http = 0

  constructor(private readonly configFile: string) {}

  async start(): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'edge/main.ts', this.configFile], {
      cwd: process.cwd(), env: { ...process.env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.child = child
    let stderr = ''
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()))
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)))
    const ready = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`edge did not start: ${stderr}`)), 60_000)
      createInterface({ input: child.stdout! }).on('line', (line) => {
        let msg: LogLine & { ports?: { http: number } }
        try {
          msg = JSON.parse(line) as typeof msg
        } catch {
          return
        }
        this.lines.push(msg)
        if (msg.msg === 'edge listening') {
          clearTimeout(timer)
          resolve(msg.ports!.http)
        }
      })
    })
    this.http = await ready
  }

  /** SIGTERM, as systemd stops it; resolves to the exit code. */
  async stop(): Promise<number | null> {
    this.child?.kill('SIGTERM')
    const code = await this.exited
    this.child = null
    return code
  }

  kill(): void {
    if (this.child && this.child.exitCode === null) this.child.kill('SIGKILL')
  }

  async health(): Promise<Health & { httpStatus: number }> {
    const res = await fetch(`http://127.0.0.1:${this.http}/healthz`)
    return { ...((await res.json()) as Health), httpStatus: res.status }
  }

  async metrics(): Promise<string> {
    return (await fetch(`http://127.0.0.1:${this.http}/metrics`)).text()
  }

  camera = async (id: string) => (await this.health()).cameras?.find((c) => c.id === id)
  logged = (msg: string, camera?: string) => this.lines.filter((l) => l.msg === msg && (camera === undefined || l.camera === camera))
}

const metric = (text: string, name: string, labels: string) => metricSample(text, `${name}{${labels}}`)

describe('the edge program against the simulator in each quirk mode', () => {
  let renewCam: CameraSim
  let slotCam: CameraSim
  let edge: EdgeProcess

  beforeAll(async () => {
    ;[renewCam, slotCam] = await Promise.all([
      // Lifetimes of 6 s: the edge renews every 3 s, so renewals come within the test.
      startCameraSim({ discovery: false, quirks: { renewNeedsMessageId: true, maxLifetimeMs: 6000, tamper: 'tamper-detector', booleanDigits: true } }),
      // The edge asks for 2 min; one slot: a subscription left behind blocks the next for that long.
      startCameraSim({ discovery: false, quirks: { maxPullPoints: 1, tamper: 'tamper-detector-state' } }),
    ])
    const { config } = testSite({
      cameras: [
        { id: 'cam-renew', name: 'Quầy 1', onvif: renewCam.onvifUrl, username: renewCam.user, password: renewCam.password },
        { id: 'cam-slots', name: 'Quầy 2', onvif: slotCam.onvifUrl, username: slotCam.user, password: slotCam.password },
      ],
      cameraOptions: { discovery: false, checkIntervalS: 3, snapshotDir: join(tmp, 'snapshots'), snapshotMaxFiles: 20, snapshotMaxAgeDays: 30, liveWarm: false },
      health: { cameraDownS: 3 },
    })
    const file = join(tmp, 'edge.yaml')
    // The hub on a closed port: forwarding fails, well within the 10 min before that degrades health.
    writeFileSync(file, stringify({ ...config, outbox: { dir: join(tmp, 'outbox') } }))
    edge = new EdgeProcess(file)
    await edge.start()
  })

  afterAll(async () => {
    edge?.kill()
    await Promise.all([renewCam?.stop(), slotCam?.stop()])
  })

  it('renews with wsa:MessageID, so a camera that demands it keeps its one subscription', async () => {
    await waitFor('both cameras online and subscribed', async () => {
      const cams = (await edge.health()).cameras ?? []
      return cams.length === 2 && cams.every((c) => c.state === 'online' && c.events === 'subscribed')
    }, { timeoutMs: 40_000 })
    await waitFor('three renewals', () => renewCam.subscriptions().renewed >= 3)
    expect(renewCam.subscriptions()).toMatchObject({ live: 1, renewRefused: 0, refusedFull: 0, expired: 0 })
    expect(edge.logged('camera event subscription failed')).toEqual([])
    expect(metric(await edge.metrics(), 'motcua_edge_camera_event_failures_total', 'camera="cam-renew"')).toBe(0)
    expect(metric(await edge.metrics(), 'motcua_edge_camera_events_subscribed', 'camera="cam-renew"')).toBe(1)
  })

  it('reads tamper on TamperDetector/Tamper as IsTamper with 1/0 and as State', async () => {
    for (const [cam, id] of [[renewCam, 'cam-renew'], [slotCam, 'cam-slots']] as const) {
      cam.trigger('tamper', true)
      await waitFor(`${id} tampered`, async () => metric(await edge.metrics(), 'motcua_edge_camera_tamper', `camera="${id}"`) === 1)
      cam.trigger('tamper', false)
      await waitFor(`${id} no longer tampered`, async () => metric(await edge.metrics(), 'motcua_edge_camera_tamper', `camera="${id}"`) === 0)
      expect(edge.logged('camera event', id).map((l) => [l.event, l.state])).toEqual([['tamper', true], ['tamper', false]])
    }
  })

  it('turns /healthz degraded naming a camera down past health.cameraDownS, with since when, and ok when it is back', async () => {
    const before = Date.now()
    await slotCam.setFault('offline')
    const down = await waitFor('degraded naming cam-slots', async () => {
      const h = await edge.health()
      return h.httpStatus === 503 && h.reasons.some((r) => r.code === 'CAMERA_DOWN' && r.message.startsWith('camera cam-slots offline for ')) ? h : null
    })
    const cam = down.cameras!.find((c) => c.id === 'cam-slots')!
    expect(cam).toMatchObject({ state: 'offline', events: 'off' })
    expect(cam.since).toBeGreaterThanOrEqual(before - 1000)
    expect(cam.forS).toBeGreaterThanOrEqual(3)
    expect(down.reasons.filter((r) => r.code === 'CAMERA_DOWN')).toHaveLength(1)
    const text = await edge.metrics()
    expect(metric(text, 'motcua_edge_camera_state', 'camera="cam-slots",state="offline"')).toBe(1)
    expect(metric(text, 'motcua_edge_camera_state', 'camera="cam-slots",state="online"')).toBe(0)
    expect(metric(text, 'motcua_edge_camera_state', 'camera="cam-renew",state="online"')).toBe(1)
    expect(metric(text, 'motcua_edge_camera_state_since_seconds', 'camera="cam-slots"')).toBe(cam.since / 1000)
    // Neither body nor metrics carry a camera's password or name (names are the site's words; ids are enough).
    const body = JSON.stringify(down) + text
    for (const secret of [slotCam.password, renewCam.password, 'Quầy']) expect(body).not.toContain(secret)

    await slotCam.setFault('none')
    await waitFor('ok again, cam-slots subscribed', async () => {
      const h = await edge.health()
      return h.httpStatus === 200 && h.cameras?.find((c) => c.id === 'cam-slots')?.events === 'subscribed'
    }, { timeoutMs: 40_000 })
  })

  it('gives its subscriptions back on shutdown, so a restarted edge subscribes at once to a camera with one slot', async () => {
    expect(slotCam.subscriptions().live).toBe(1)
    const unsubscribed = slotCam.subscriptions().unsubscribed
    expect(await edge.stop()).toBe(0)
    expect(slotCam.subscriptions()).toMatchObject({ live: 0, unsubscribed: unsubscribed + 1 })
    expect(renewCam.subscriptions().live).toBe(0)

    await edge.start()
    // Left behind, the old subscription would hold the only slot for its 2 min and every Create would be refused.
    await waitFor('cam-slots subscribed by the restarted edge', async () => (await edge.camera('cam-slots'))?.events === 'subscribed', { timeoutMs: 40_000 })
    expect(slotCam.subscriptions()).toMatchObject({ live: 1, refusedFull: 0 })
    expect(await edge.stop()).toBe(0)
    expect(slotCam.subscriptions().live).toBe(0)
  })
})

describe('WS-Discovery: two cameras of the same model, with a ReplyTo header before the endpoint', () => {
  it('are found as two by the edge\'s probe and reported as two unconfigured cameras', async () => {
    // Alike in everything a camera says about itself but its endpoint and address, as two units of one model are.
    const identity = { manufacturer: 'IPC', model: '631GA', name: 'IPCAM', hardwareId: '631GA', location: 'china', firmwareVersion: '1.0' }
    const cams = await Promise.all([0, 1].map(() => startCameraSim({ discovery: { port: 0, multicast: false }, identity, quirks: { replyToHeader: true } })))
    try {
      const targets = cams.map((c) => ({ host: '127.0.0.1', port: c.discoveryPort }))
      const found = await probeCameras({ targets, timeoutMs: 1000 })
      expect(found.map((f) => f.endpoint).sort()).toEqual(cams.map((c) => c.identity.endpointUuid).sort())
      expect(found.map((f) => f.endpoint)).not.toContain(ANONYMOUS)
      expect(found[0]!.scopes.sort()).toEqual(found[1]!.scopes.sort())
      expect(found.every((f) => f.types.includes('dn:NetworkVideoTransmitter'))).toBe(true)

      const sub = await startCameraSubsystem({
        config: { site: { id: 'ct-center', name: 'x' }, cameras: [], cameraOptions: { discovery: false, checkIntervalS: 3, snapshotDir: join(tmp, 'snap-d'), snapshotMaxFiles: 5, snapshotMaxAgeDays: 30, liveWarm: false } },
        outbox: new MemoryOutbox(), clock: new ManualClock(), log: createLogger('test', 'silent'), publishRetained: () => undefined, discoveryTargets: targets,
      })
      try {
        const unconfigured = await sub.discover()
        expect(unconfigured.map((u) => u.xaddrs[0]).sort()).toEqual(cams.map((c) => c.onvifUrl).sort())
      } finally {
        await sub.stop()
      }
    } finally {
      await Promise.all(cams.map((c) => c.stop()))
    }
  })

  it('are found as two by the edge program over real multicast (simulator CLI and edge in a network namespace)', async () => {
    const { config } = testSite({
      cameras: [],
      supervisors: [{ username: 'giamsat', name: 'Giám sát', passwordHash: await hashPassword('pw-giam-sat') }],
      cameraOptions: { discovery: true, snapshotDir: join(tmp, 'snap-ns') },
    })
    writeFileSync(join(tmp, 'edge-ns.yaml'), stringify({ ...config, outbox: { dir: join(tmp, 'outbox-ns') } }))
    const script = `
set -u
ip link set lo up
ip route add 224.0.0.0/4 dev lo
LOG_LEVEL=silent node --import tsx devices/camera-sim/cli.ts --count 2 --name IPCAM --quirks reply-to > "$DIR/sim.out" 2>&1 &
SIM=$!
trap 'kill $SIM 2>/dev/null; wait $SIM 2>/dev/null' EXIT
for i in $(seq 300); do grep -q '^ready' "$DIR/sim.out" && break; sleep 0.1; done
LOG_LEVEL=info node --import tsx edge/main.ts "$DIR/edge-ns.yaml" > "$DIR/edge.out" 2>&1 &
EDGE=$!
for i in $(seq 600); do [ "$(grep -c 'unconfigured camera found' "$DIR/edge.out")" -ge 2 ] && break; sleep 0.1; done
kill -TERM $EDGE; wait $EDGE
echo "=== edge exit $?"
cat "$DIR/sim.out"
echo '=== edge log'
cat "$DIR/edge.out"
`
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn('unshare', ['-n', 'bash', '-c', script], { cwd: process.cwd(), env: { ...process.env, DIR: tmp }, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
      let text = ''
      child.stdout.on('data', (c: Buffer) => (text += c.toString()))
      child.stderr.on('data', (c: Buffer) => (text += c.toString()))
      const timer = setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL') } catch { /* gone */ } }, 110_000)
      child.once('error', reject)
      child.once('exit', () => { clearTimeout(timer); resolve(text) })
    })
    const [simPart, edgeLog] = out.split('=== edge log')
    const sims = [...(simPart ?? '').matchAll(/^\{"camera".*\}$/gm)].map((m) => JSON.parse(m[0]) as { name: string; endpoint: string; onvif: string })
    expect(sims.map((s) => s.name), out).toEqual(['IPCAM', 'IPCAM'])
    const found = (edgeLog ?? '').split('\n').flatMap((l) => {
      try {
        const j = JSON.parse(l) as LogLine
        return j.msg === 'unconfigured camera found on the network' ? [j] : []
      } catch {
        return []
      }
    })
    expect(found.map((f) => f.endpoint).sort(), out).toEqual(sims.map((s) => s.endpoint).sort())
    expect(found.map((f) => f.xaddrs![0]).sort()).toEqual(sims.map((s) => s.onvif).sort())
    expect(out).toContain('=== edge exit 0')
  }, 120_000)
})
