/**
 * `npm start`: a complete local site on this machine — an InfluxDB (a child
 * influxd with its data under data/demo/, unless MOTCUA_INFLUX_URL names one),
 * the hub over HTTPS with a local CA, one edge whose pages and MQTT use TLS
 * with the same CA (as a real site's do: motcua-edge make-certs), and simulated button boxes
 * pressing like a real hall, faster. It owns its children
 * (lib/own-children.ts): Ctrl-C, SIGTERM (to it or to npm), SIGHUP, npm going
 * away or a crash stop every one of them. One instance per data folder
 * (lib/site-lock.ts): a second start on the same folder is refused.
 *
 * Run as `node --import tsx` (package.json), so that npm's signals reach
 * this process itself, not a loader in between.
 *
 * Environment: MOTCUA_DATA (default data/demo), MOTCUA_INFLUX_URL (an
 * InfluxDB 1.x to use instead of the child), MOTCUA_DEMO_RATE (citizens per
 * minute per counter, default 3), MOTCUA_DEMO_COUNTERS (default 12),
 * MOTCUA_DEMO_CAMERAS (simulated ONVIF cameras, default 2),
 * LOG_LEVEL (component logs, default warn).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join, resolve } from 'node:path'
import { stringify } from 'yaml'
import { createLogger } from '../common/log.js'
import { hashPassword, newSecret } from '../common/secrets.js'
import { loadEdgeConfig } from '../edge/config/load.js'
import { startEdge, type RunningEdge } from '../edge/main.js'
import { hubConfigSchema } from '../hub/config/schema.js'
import { startHub, type RunningHub } from '../hub/main.js'
import { startCameraSim, type CameraSim } from '../devices/camera-sim/index.js'
import { startCounterSim, type CounterSim } from '../devices/simulator/sim.js'
import { startQueueSim, type QueueSim } from '../devices/queue-sim/sim.js'
import { makeTestPki, type TestPki } from '../testkit/certs.js'
import { INFLUXD_BIN, startInfluxd, type Influxd } from '../testkit/influxd.js'
import { DEMO_PRESSING, makeDemoSite, type DemoSite } from './lib/demo-site.js'
import { ownChildren } from './lib/own-children.js'
import { findProcesses } from './lib/process-tree.js'
import { lockSite, SiteLockHeld, type SiteLock } from './lib/site-lock.js'

const root = resolve(import.meta.dirname, '..')
const dataDir = resolve(root, process.env.MOTCUA_DATA ?? 'data/demo')
const rate = Number(process.env.MOTCUA_DEMO_RATE ?? DEMO_PRESSING.ratePerMinute)
const counters = Number(process.env.MOTCUA_DEMO_COUNTERS ?? 12)
const logLevel = process.env.LOG_LEVEL ?? 'warn'
const DATABASE = 'motcua'

/**
 * Component logs go to stdout through process.stdout, whose errors
 * own-children.ts ignores: pino's own writer retries EIO forever when it
 * flushes at exit, so a closed terminal (SIGHUP) would hang the stop.
 */
const toStdout = { write: (line: string) => void process.stdout.write(line) }
const logger = (name: string) => createLogger(name, logLevel, toStdout)

/** The preferred port if it is free, else any free port: a second demo or a busy 8080 must not stop the start. */
async function portOr(preferred: number): Promise<number> {
  const tryListen = (port: number) =>
    new Promise<number>((ok, fail) => {
      const s = createServer()
      s.once('error', fail)
      s.listen(port, '127.0.0.1', () => {
        const got = (s.address() as { port: number }).port
        s.close(() => ok(got))
      })
    })
  return tryListen(preferred).catch(() => tryListen(0))
}

type Camera = { id: string; name: string; onvif: string; username: string; password: string; counter?: string }

async function loadOrCreateSite(hubUrl: string, pki: TestPki, cameras: Camera[]): Promise<{ site: DemoSite; edgeFile: string }> {
  const siteFile = join(dataDir, 'site.json')
  const edgeFile = join(dataDir, 'edge.yaml')
  const ports = { mqtt: await portOr(1883), ws: await portOr(8083), http: await portOr(8080) }
  let site: DemoSite
  if (existsSync(siteFile)) {
    site = JSON.parse(readFileSync(siteFile, 'utf8')) as DemoSite
  } else {
    site = await makeDemoSite({ counters, hubUrl, outboxDir: 'outbox' })
    writeFileSync(siteFile, JSON.stringify(site, null, 2), { mode: 0o600 })
  }
  // Ports, the hub address and the CA can change between runs; secrets and the outbox stay.
  // The edge serves its pages and MQTT over TLS with the demo's CA, as a site does with its own.
  const tls = { cert: pki.serverCert, key: pki.serverKey, ca: pki.caCert }
  const edge = {
    ...site.edge,
    broker: { host: '127.0.0.1', mqttPort: ports.mqtt, wsPort: ports.ws, tls },
    http: { host: '127.0.0.1', port: ports.http, tls },
    hub: { url: hubUrl, tokenFile: 'edge-token', ca: pki.caCert },
    cameras,
    cameraOptions: { discovery: false, snapshotDir: 'snapshots' },
    // The demo's console has someone to handle complaint cases, so the kiosks offer them (docs/complaints.md).
    complaints: true,
  }
  writeFileSync(join(dataDir, 'edge-token'), site.edgeToken + '\n', { mode: 0o600 })
  writeFileSync(edgeFile, `# Generated by npm start for the demo site; edit ${siteFile} to change it.\n${stringify(edge)}`, { mode: 0o600 })
  return { site, edgeFile }
}

async function countRatings(influxUrl: string): Promise<number | null> {
  try {
    const q = new URLSearchParams({ db: DATABASE, q: 'SELECT count(score) FROM rating' })
    const res = await fetch(`${influxUrl}/query?${q}`, { signal: AbortSignal.timeout(3000) })
    const body = (await res.json()) as { results?: { series?: { values?: [string, number][] }[] }[] }
    return body.results?.[0]?.series?.[0]?.values?.[0]?.[1] ?? 0
  } catch {
    return null
  }
}

/** The data folder's lock, or the reason this start must not go on (printed, exit 1). */
function takeDataFolder(): SiteLock {
  mkdirSync(dataDir, { recursive: true })
  try {
    return lockSite(dataDir)
  } catch (err) {
    console.error(err instanceof SiteLockHeld ? err.message : `cannot lock ${dataDir}: ${(err as Error).message}`)
    process.exit(1)
  }
}

/** An influxd this start did not record (left by an older version, or started by hand) must not get a second server on its data. */
function refuseStrayInfluxd(influxDir: string): void {
  const conf = join(influxDir, 'influxdb.conf')
  const strays = findProcesses((cmd) => cmd.startsWith(INFLUXD_BIN) && cmd.includes(conf))
  if (!strays.length) return
  throw new Error(`influxd (PID ${strays.join(', ')}) is already running on ${influxDir}, left by an earlier start; stop it (kill ${strays.join(' ')}) and start again`)
}

async function main(): Promise<void> {
  const lock = takeDataFolder()
  const stops: (() => Promise<void>)[] = []
  const { shutdown } = ownChildren({
    async stop() {
      for (const stop of stops.reverse()) await stop().catch((err: Error) => console.error(`stop failed: ${err.message}`))
    },
    atExit: () => lock.release(),
  })

  try {
    let influxUrl = process.env.MOTCUA_INFLUX_URL
    if (!influxUrl) {
      const influxDir = join(dataDir, 'influxdb')
      mkdirSync(influxDir, { recursive: true })
      refuseStrayInfluxd(influxDir)
      const influxd: Influxd = await startInfluxd({ dataDir: influxDir })
      lock.noteInfluxd(influxd.pid())
      stops.push(async () => {
        await influxd.stop()
        lock.noteInfluxd(undefined)
      })
      influxUrl = influxd.url
    }

    const pki = makeTestPki(join(dataDir, 'pki'), 'motcua-demo')
    const hubPort = await portOr(8443)
    const hubUrl = `https://127.0.0.1:${hubPort}`
    // Simulated ONVIF cameras (devices/camera-sim), so the supervisor page and the console's camera wall show video.
    const cameraCount = Number(process.env.MOTCUA_DEMO_CAMERAS ?? 2)
    const cams: CameraSim[] = []
    for (let i = 0; i < cameraCount; i++) cams.push(await startCameraSim({ discovery: false, log: logger('camera-sim') }))
    stops.push(async () => void (await Promise.all(cams.map((c) => c.stop()))))
    const cameras: Camera[] = cams.map((c, i) => ({
      id: i === 0 ? 'cam-sanh' : `cam-q${String(i).padStart(2, '0')}`,
      name: i === 0 ? 'Sảnh chính' : `Quầy ${i}`,
      onvif: c.onvifUrl,
      username: c.user,
      password: c.password,
      ...(i === 0 ? {} : { counter: `q${String(i).padStart(2, '0')}` }),
    }))
    const { site, edgeFile } = await loadOrCreateSite(hubUrl, pki, cameras)

    const consolePassword = newSecret().slice(0, 16)
    const hubConfig = hubConfigSchema.parse({
      http: { host: '127.0.0.1', port: hubPort, tls: { cert: pki.serverCert, key: pki.serverKey } },
      influx: { version: 1, url: influxUrl, database: DATABASE },
      edges: [site.hubEdge],
      // A console administrator for this run only (docs/console.md); the password is printed below.
      users: [{ username: 'quantri', name: 'Quản trị (demo)', role: 'admin', passwordHash: await hashPassword(consolePassword) }],
      sessionSecret: newSecret(),
    })
    const hub: RunningHub = await startHub(hubConfig, { log: logger('hub') })
    stops.push(() => hub.stop())

    const edgeConfig = loadEdgeConfig(edgeFile)
    const edge: RunningEdge = await startEdge(edgeConfig, { log: logger('edge') })
    stops.push(() => edge.stop())

    const boxes = site.devices.filter((d) => d.kind === 'button')
    const sim: CounterSim = startCounterSim({
      url: `mqtts://127.0.0.1:${edge.ports.mqtt}`,
      ca: pki.caPem,
      site: site.siteId,
      devices: boxes.map((d) => ({ id: d.id, counter: d.counter!, secret: d.secret, kind: 'button' as const })),
      ratePerMinute: rate,
      mode: DEMO_PRESSING.mode,
      log: logger('simulator'),
    })
    stops.push(async () => void (await sim.stop({ drainMs: 3000 })))
    // The hall's queue system (devices/queue-sim): tickets issued, called and finished at every counter, so queue
    // KPIs, the kiosks' "please rate" prompts and the misuse filter's ticket check have tickets to work on.
    const queueDevice = site.devices.find((d) => d.kind === 'queue')!
    const queue: QueueSim = startQueueSim({
      url: `mqtts://127.0.0.1:${edge.ports.mqtt}`,
      ca: pki.caPem,
      site: site.siteId,
      device: { id: queueDevice.id, secret: queueDevice.secret },
      counters: boxes.map((d) => d.counter!),
      ratePerMinute: rate,
      log: logger('queue-sim'),
    })
    stops.push(async () => void (await queue.stop({ drainMs: 3000 })))

    const kiosk = site.devices.find((d) => d.kind === 'kiosk')!
    const edgeHttp = `https://127.0.0.1:${edge.ports.http}`
    console.log(`
motcua — trạm demo đang chạy / demo site running (${site.siteId}, ${boxes.length} quầy/counters)

  InfluxDB        ${influxUrl}  (database "${DATABASE}")
                  curl -G '${influxUrl}/query' --data-urlencode 'db=${DATABASE}' \\
                    --data-urlencode 'q=SELECT counter, officer, level, score FROM rating ORDER BY time DESC LIMIT 10'
  Hub (HTTPS)     ${hub.url}/healthz   ${hub.url}/metrics
  Console         ${hub.url}/console/   user quantri, password ${consolePassword} (new every run)
  CA to trust     ${pki.caCert}  (the hub's and the edge's; new every run: import it into the browser as an authority)
  Edge (HTTPS)    ${edgeHttp}/healthz   ${edgeHttp}/metrics
  MQTT (TLS)      mqtts://127.0.0.1:${edge.ports.mqtt}   wss://127.0.0.1:${edge.ports.ws}
  Kiosk           ${edgeHttp}/kiosk/?device=${kiosk.id}#secret=${kiosk.secret}
  Supervisor      ${edgeHttp}/supervisor/   user ${site.supervisor.username}, password ${site.supervisor.password} (${cams.length} simulated cameras)
  Officer PINs    ${site.officers.slice(0, 3).map((o) => `${o.name} ${o.pin}`).join(', ')} … (all in ${join(dataDir, 'site.json')})

  Simulated button boxes: a citizen about ${rate}×/minute per counter, busier mid-morning (a day in 32 min). Ctrl-C to stop.
  Simulated queue system (${queueDevice.id}): tickets issued, called and finished at every counter; a called ticket prompts the counter's kiosk.
  Published results  ${hub.url}/public/   lobby display ${hub.url}/public/lobby/${site.siteId}   (no sign-in)
`)
    const started = Date.now()
    const timer = setInterval(async () => {
      const s = sim.stats()
      const stored = await countRatings(influxUrl!)
      const fwd = edge.forwarder?.status()
      const q = queue.stats()
      console.log(
        `[${Math.round((Date.now() - started) / 1000)}s] pressed ${s.sent}, acknowledged ${s.acked}, in InfluxDB ${stored ?? '?'} ` +
          `(all runs), tickets called ${q.called}, waiting ${q.waiting}, forwarder ${fwd?.lastErrorCode ?? 'ok'}`,
      )
    }, 10_000)
    stops.push(async () => clearInterval(timer))
  } catch (err) {
    console.error(`start failed: ${(err as Error).message}`)
    await shutdown(1, 'start failed')
  }
}

await main()
