/**
 * Runs simulated counter boxes from the command line:
 *
 *   tsx devices/simulator/cli.ts --url mqtt://127.0.0.1:1883 --config devices.yaml --rate 2
 *   tsx devices/simulator/cli.ts --url wss://edge.local:8084 --config config/edge.yaml --secrets secrets.yaml --ca ca.pem --mode rapid
 *
 * Prints the final statistics as one JSON line; exits 1 if some presses were never acknowledged.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { ConfigError } from '../../common/config.js'
import { createLogger } from '../../common/log.js'
import { SIM_MODES, type SimMode } from './behaviour.js'
import { loadSimSetup } from './devices-file.js'
import { startCounterSim } from './sim.js'

const USAGE = `usage: tsx devices/simulator/cli.ts --url <mqtt|ws url> --config <devices file | edge config> [options]
  --secrets <file>       id: secret map, needed with an edge config
  --rate <n>             presses per minute per box (default 1)
  --mode <mode>          ${SIM_MODES.join(' | ')} (default normal)
  --max-presses <n>      stop after n presses in total
  --duration <s>         stop after s seconds
  --drain <s>            on stop, wait up to s seconds for PUBACKs (default 10)
  --heartbeat <s>        heartbeat period (default 30)
  --ca <file>            CA certificate (PEM) for mqtts:// or wss://; default the
                         edge config's broker.tls.ca (the site's CA)
  --seed <n>             repeatable levels and timings`

function num(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isFinite(n) || n < 0) throw new RangeError(`--${name} expects a non-negative number, got "${value}"`)
  return n
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      config: { type: 'string' },
      secrets: { type: 'string' },
      rate: { type: 'string' },
      mode: { type: 'string' },
      'max-presses': { type: 'string' },
      duration: { type: 'string' },
      drain: { type: 'string' },
      heartbeat: { type: 'string' },
      ca: { type: 'string' },
      seed: { type: 'string' },
      help: { type: 'boolean' },
    },
  })
  if (values.help || !values.url || !values.config) {
    console.error(USAGE)
    return values.help ? 0 : 2
  }
  const mode = (values.mode ?? 'normal') as SimMode
  if (!SIM_MODES.includes(mode)) throw new RangeError(`--mode expects one of ${SIM_MODES.join(', ')}, got "${mode}"`)
  const { caFile, ...setup } = loadSimSetup(values.config, values.secrets)
  const ca = values.ca ?? caFile
  const duration = num('duration', values.duration)
  const heartbeat = num('heartbeat', values.heartbeat)
  const maxPresses = num('max-presses', values['max-presses'])
  const seed = num('seed', values.seed)
  const log = createLogger('simulator')
  const sim = startCounterSim({
    url: values.url,
    ...setup,
    ratePerMinute: num('rate', values.rate) ?? 1,
    mode,
    log,
    drainMs: (num('drain', values.drain) ?? 10) * 1000,
    ...(ca ? { ca: readFileSync(ca) } : {}),
    ...(duration !== undefined ? { durationMs: duration * 1000 } : {}),
    ...(heartbeat !== undefined ? { heartbeatMs: heartbeat * 1000 } : {}),
    ...(maxPresses !== undefined ? { maxPresses } : {}),
    ...(seed !== undefined ? { seed } : {}),
  })
  const progress = setInterval(() => {
    const { sent, acked, pending, connects } = sim.stats()
    log.info({ sent, acked, pending, connects }, 'progress')
  }, 10_000)
  const onSignal = () => void sim.stop({ drainMs: 3000 })
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  const final = await sim.done
  clearInterval(progress)
  console.log(JSON.stringify(final))
  return final.pending === 0 ? 0 : 1
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof ConfigError || err instanceof RangeError ? err.message : err)
    process.exit(2)
  },
)
