/**
 * Runs N simulated ONVIF cameras on free loopback ports and prints their URLs.
 *   tsx devices/camera-sim/cli.ts --count 3 [--host 127.0.0.1] [--user admin] [--password ...]
 *     [--discovery-port 3702] [--no-multicast] [--http-port 80 (count 1 only)]
 *     [--quirks reply-to,renew-message-id,tamper-state,slots=8 | cgi-firmware] [--name IPCAM (every camera)]
 * Type a command on stdin to drive them: "<n|all> fault <mode>", "<n|all> motion|tamper on|off",
 * or "<n|all> stats" (one JSON line per camera: its event subscriptions).
 */
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { FAULT_MODES, parseQuirks, startCameraSim, type CameraSim, type FaultMode } from './index.js'

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '1' },
    host: { type: 'string', default: '127.0.0.1' },
    user: { type: 'string', default: 'admin' },
    password: { type: 'string', default: 'Motcua-cam1' },
    'discovery-port': { type: 'string', default: '3702' },
    'no-multicast': { type: 'boolean', default: false },
    'http-port': { type: 'string', default: '0' },
    quirks: { type: 'string', default: '' },
    name: { type: 'string' },
  },
})

const count = Math.max(1, Math.min(64, Number(values.count) || 1))
const cams: CameraSim[] = []
let quirks: ReturnType<typeof parseQuirks>
try {
  quirks = parseQuirks(values.quirks)
} catch (err) {
  console.error((err as Error).message)
  process.exit(64)
}

async function shutdown(code: number): Promise<never> {
  await Promise.allSettled(cams.map((c) => c.stop()))
  process.exit(code)
}
process.on('SIGINT', () => void shutdown(0))
process.on('SIGTERM', () => void shutdown(0))

try {
  for (let i = 0; i < count; i++) {
    const cam = await startCameraSim({
      host: values.host,
      user: values.user,
      password: values.password,
      httpPort: count === 1 ? Number(values['http-port']) : 0,
      // --name: every camera the same, as identical cameras come out of the box.
      identity: { name: values.name ?? `SimCam-${i + 1}`, location: `Quay ${i + 1}` },
      discovery: { port: Number(values['discovery-port']), multicast: !values['no-multicast'] },
      quirks,
    })
    cams.push(cam)
    console.log(JSON.stringify({
      camera: i + 1, name: cam.identity.name, onvif: cam.onvifUrl, rtsp: cam.rtspUrl, snapshot: cam.snapshotUrl,
      discoveryPort: cam.discoveryPort, user: cam.user, endpoint: cam.identity.endpointUuid,
    }))
  }
  console.log('ready')
} catch (err) {
  console.error(err)
  await shutdown(1)
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const [which, cmd, arg] = line.trim().split(/\s+/)
  const targets = which === 'all' ? cams : cams.filter((_c, i) => String(i + 1) === which)
  for (const cam of targets) {
    if (cmd === 'fault' && FAULT_MODES.includes(arg as FaultMode)) void cam.setFault(arg as FaultMode)
    else if (cmd === 'motion' || cmd === 'tamper') cam.trigger(cmd, arg !== 'off')
    else if (cmd === 'stats') console.log(JSON.stringify({ camera: cams.indexOf(cam) + 1, subscriptions: cam.subscriptions() }))
    else console.error(`unknown command: ${line}`)
  }
})
