import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

/**
 * Debian's onvif-util (libonvif 1.4) finds a camera only through WS-Discovery
 * multicast and has no port option, and its probe would leave the host. So the
 * simulator CLI and onvif-util run together in a fresh network namespace with
 * only loopback, where multicast is routed to lo: the real multicast path,
 * isolated from every other test and from the LAN.
 */
const dir = mkdtempSync(join(tmpdir(), 'camsim-onvif-util-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const SCRIPT = `
set -u
ip link set lo up
ip route add 224.0.0.0/4 dev lo
node -e "
const s = require('dgram').createSocket({ type: 'udp4', reuseAddr: true })
s.on('message', (m) => { const a = /discovery\\/(Hello|Bye)</.exec(m.toString()); if (a) console.log('heard', a[1]) })
s.bind(3702, () => { s.addMembership('239.255.255.250', '127.0.0.1'); console.log('listening') })
setTimeout(() => s.close(), 60000)
" > "$DIR/listener.out" 2>&1 &
LISTENER=$!
for i in $(seq 100); do grep -q listening "$DIR/listener.out" && break; sleep 0.1; done
LOG_LEVEL=silent node --import tsx devices/camera-sim/cli.ts --count 2 > "$DIR/sim.out" 2>&1 &
SIM=$!
trap 'kill $SIM 2>/dev/null; wait $SIM 2>/dev/null' EXIT
for i in $(seq 200); do grep -q '^ready' "$DIR/sim.out" && break; sleep 0.1; done
cat "$DIR/sim.out"
echo '=== all cameras'
timeout 20 stdbuf -o0 onvif-util -a
echo '=== onvif package multicast probe'
timeout 20 node -e "require('onvif').Discovery.probe({ timeout: 2000 }, (e, cams) => console.log('found', JSON.stringify((cams || []).map((c) => c.hostname + ':' + c.port).sort())))"
echo '=== right password'
printf 'get rtsp\\nget profiles\\nget time\\nget video\\nget video options\\nquit\\n' | timeout 20 stdbuf -o0 onvif-util -u admin -p Motcua-cam1 127.0.0.1
echo "=== rc=$?"
echo '=== wrong password'
printf 'quit\\n' | timeout 20 stdbuf -o0 onvif-util -u admin -p not-it 127.0.0.1
echo "=== rc=$?"
kill $SIM; wait $SIM
for i in $(seq 100); do [ "$(grep -c 'heard Bye' "$DIR/listener.out")" -ge 2 ] && break; sleep 0.1; done
kill $LISTENER
echo '=== announcements'
cat "$DIR/listener.out"
`

function runInNamespace(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('unshare', ['-n', 'bash', '-c', SCRIPT], {
      cwd: process.cwd(), env: { ...process.env, DIR: dir }, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
    })
    let out = ''
    child.stdout.on('data', (c: Buffer) => { out += c.toString() })
    child.stderr.on('data', (c: Buffer) => { out += c.toString() })
    const timer = setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL') } catch { /* already gone */ } }, 90_000)
    child.once('error', reject)
    child.once('exit', () => { clearTimeout(timer); resolve(out) })
  })
}

describe('Debian onvif-util against the simulator', () => {
  it('discovers two cameras by multicast (as does the onvif package), logs in with WS-Security, reads profiles, stream URI, time and encoder settings; refuses a wrong password; announces Hello and Bye', async () => {
    const out = await runInNamespace()
    const [simPart, all, probe, right, wrong, announcements] =
      out.split(/=== (?:all cameras|onvif package multicast probe|right password|wrong password|announcements)/)
    const cams = [...(simPart ?? '').matchAll(/^\{.*\}$/gm)].map((m) => JSON.parse(m[0]) as { rtsp: string; onvif: string; name: string })
    expect(cams.map((c) => c.name), out).toEqual(['SimCam-1', 'SimCam-2'])
    // Two cameras share UDP 3702 (SO_REUSEADDR) and both answer the multicast probe of each client.
    expect(all).toContain('Found 2 cameras')
    expect(all).toContain('127.0.0.1 SimCam-1(SimCam-1 SimCam S1)')
    expect(all).toContain('127.0.0.1 SimCam-2(SimCam-2 SimCam S1)')
    expect(probe).toContain(`found ${JSON.stringify(cams.map((c) => new URL(c.onvif).host).sort())}`)
    // onvif-util picks the first camera that answers for 127.0.0.1.
    const rtsp = cams.map((c) => c.rtsp).find((u) => right?.includes(`  ${u}`))
    expect(rtsp, right).toBeDefined()
    expect(right).toContain('found host: 127.0.0.1')
    expect(right).toContain('successfully connected to host')
    expect(right).toMatch(/name:\s+SimCam-1 SimCam S1/)
    expect(right).toMatch(/serial: SIM[0-9A-F]{8}/)
    expect(right).toContain('Token 0: Profile_1')
    expect(right).toMatch(/Time Offset: -?[01] seconds/)
    expect(right).toMatch(/Timezone:\s+ICT-7/)
    expect(right).toMatch(/Resolution: 640 x 360\s+Frame Rate: 15\s+Gov Length: 15\s+Bit Rate:\s+1200/)
    expect(right).toMatch(/Available Resolutions\s+640 x 360/)
    expect(right).toContain('=== rc=0')
    expect(wrong).toContain('found host: 127.0.0.1')
    expect(wrong).toContain('ERROR: get device information - ter:NotAuthorized')
    expect(wrong).toContain('=== rc=1')
    // WS-Discovery Hello when each camera started, Bye when each stopped.
    expect(announcements?.match(/heard Hello/g)).toHaveLength(2)
    expect(announcements?.match(/heard Bye/g)).toHaveLength(2)
  }, 120_000)
})
