/**
 * Runs N simulated ONVIF cameras on free loopback ports and prints their URLs.
 *   tsx devices/camera-sim/cli.ts --count 3 [--host 127.0.0.1] [--user admin] [--password ...]
 *     [--discovery-port 3702] [--no-multicast] [--http-port 80 (count 1 only)]
 * Type a command on stdin to drive them: "<n|all> fault <mode>" or "<n|all> motion|tamper on|off".
 */
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { FAULT_MODES, startCameraSim, type CameraSim, type FaultMode } from './index.js'

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '1' },
    host: { type: 'string', default: '127.0.0.1' },
    user: { type: 'string', default: 'admin' },
    password: { type: 'string', default: 'Motcua-cam1' },
    'discovery-port': { type: 'string', default: '3702' },
    'no-multicast': { type: 'boolean', default: false },
    'http-port': { type: 'string', default: '0' },
  },
})

const count = Math.max(1, Math.min(64, Number(values.count) || 1))
const cams: CameraSim[] = []

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
      identity: { name: `SimCam-${i + 1}`, location: `Quay ${i + 1}` },
      discovery: { port: Number(values['discovery-port']), multicast: !values['no-multicast'] },
    })
    cams.push(cam)
    console.log(JSON.stringify({
      camera: i + 1, name: cam.identity.name, onvif: cam.onvifUrl, rtsp: cam.rtspUrl, snapshot: cam.snapshotUrl,
      discoveryPort: cam.discoveryPort, user: cam.user,
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
    else console.error(`unknown command: ${line}`)
  }
})
