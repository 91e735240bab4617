/**
 * Runs N simulated rating boxes against an MQTT broker (the edge, or any
 * broker in a test) and reports what each sent and what was acknowledged,
 * so fault tests can compare acknowledged presses with what reached InfluxDB.
 */
import { createLogger, stripCredentials, type Logger } from '../../common/log.js'
import { DEFAULT_SCALE, type ScaleSize } from '../../protocol/scales.js'
import { seededRandom } from '../../common/random.js'
import { SIM_MODES, type SimMode } from './behaviour.js'
import { CounterBox, type BoxStats, type SimDevice } from './box.js'
import type { BoxLedger } from './ledger.js'

export type { SimDevice, BoxStats, SimMode }

/** The edge's default reason ids (edge/config/schema.ts). */
const DEFAULT_REASONS = ['wait', 'attitude', 'guidance', 'documents']

export interface CounterSimOptions {
  /** mqtt://, mqtts://, ws:// or wss:// */
  url: string
  site: string
  devices: SimDevice[]
  /** Presses per minute per box (mean of a Poisson process). Default 1. */
  ratePerMinute?: number
  scale?: ScaleSize
  mode?: SimMode
  /** PEM of the CA that signed the broker's certificate (mqtts://, wss://). */
  ca?: string | Buffer
  log?: Logger
  reasons?: readonly string[]
  /** Stop by itself after this many presses in total, over all boxes (resends not counted). */
  maxPresses?: number
  /** Stop by itself after this long. */
  durationMs?: number
  /** On a self-stop, how long to wait for outstanding PUBACKs. Default 10 s. */
  drainMs?: number
  heartbeatMs?: number
  /** Device clock offset in `clock-off` mode. Default 5 years behind. */
  clockOffsetMs?: number
  /** Share of acknowledged presses resent in `duplicate` mode. Default 0.3. */
  duplicateRatio?: number
  /** Mean time between forced drops in `reconnect-storm` mode. Default 1.5 s. */
  stormIntervalMs?: number
  /** A press without PUBACK for this long is published again with its id. Default 5 s. */
  resendAfterMs?: number
  /** Makes levels, reasons and timings repeatable (event ids stay unique per run). */
  seed?: number
  now?: () => number
}

export interface SimStats {
  mode: SimMode
  running: boolean
  sent: number
  acked: number
  pending: number
  duplicatesSent: number
  retries: number
  heartbeats: number
  connects: number
  errorReplies: number
  publishErrors: number
  boxes: BoxStats[]
}

export interface CounterSim {
  stats(): SimStats
  /** Event ids the broker acknowledged (PUBACK), over all boxes. */
  acked(): Set<string>
  /** Event ids of every press sent, acknowledged or not. */
  sent(): Set<string>
  /** Event ids the edge answered with an error reply. */
  rejected(): Set<string>
  /** Event ids deliberately sent again (`duplicate` mode). */
  resent(): Set<string>
  /** Cuts one box's power: its socket closes without DISCONNECT and the broker publishes its last-will. */
  kill(deviceId: string): void
  /**
   * Power-cycles one box: kill, then boot again with a new boot tag, keeping
   * its ledger and resending its unacknowledged presses with their ids, as the
   * NVS ring buffer of docs/button-box.md does.
   */
  restart(deviceId: string): void
  /** Stops pressing, waits up to drainMs (default 0) for outstanding PUBACKs, then disconnects every box. */
  stop(opts?: { drainMs?: number }): Promise<SimStats>
  /** Resolves once the simulator has stopped, by itself or through stop(). */
  done: Promise<SimStats>
}

const YEAR_MS = 365.25 * 24 * 3600 * 1000

export function startCounterSim(opts: CounterSimOptions): CounterSim {
  const mode = opts.mode ?? 'normal'
  if (!SIM_MODES.includes(mode)) throw new RangeError(`unknown mode "${mode}"`)
  if (opts.devices.length === 0) throw new RangeError('no devices to simulate')
  const log = (opts.log ?? createLogger('simulator')).child({ module: 'simulator' })
  const now = opts.now ?? Date.now
  let remaining = opts.maxPresses ?? Infinity
  let stopping: Promise<SimStats> | undefined
  let resolveDone: (s: SimStats) => void = () => undefined
  const done = new Promise<SimStats>((resolve) => {
    resolveDone = resolve
  })

  const takePress = (): boolean => {
    if (stopping || remaining <= 0) return false
    remaining--
    if (remaining === 0) setImmediate(() => void stop({ drainMs: opts.drainMs ?? 10_000 }))
    return true
  }

  const makeBox = (device: SimDevice, i: number, ledger?: BoxLedger) =>
    new CounterBox({
      url: opts.url,
      site: opts.site,
      device,
      scale: opts.scale ?? DEFAULT_SCALE,
      reasons: opts.reasons ?? DEFAULT_REASONS,
      ratePerMinute: opts.ratePerMinute ?? 1,
      mode,
      ...(opts.ca ? { ca: opts.ca } : {}),
      log,
      now,
      random: opts.seed === undefined ? Math.random : seededRandom(opts.seed + i),
      heartbeatMs: opts.heartbeatMs ?? 30_000,
      clockOffsetMs: opts.clockOffsetMs ?? -5 * YEAR_MS,
      duplicateRatio: opts.duplicateRatio ?? 0.3,
      stormIntervalMs: opts.stormIntervalMs ?? 1500,
      resendAfterMs: opts.resendAfterMs ?? 5000,
      takePress,
      ...(ledger ? { ledger } : {}),
    })
  const boxes = opts.devices.map((device, i) => makeBox(device, i))
  const indexOf = (deviceId: string): number => {
    const i = opts.devices.findIndex((d) => d.id === deviceId)
    if (i < 0) throw new RangeError(`no simulated device "${deviceId}"`)
    return i
  }
  const durationTimer =
    opts.durationMs === undefined ? undefined : setTimeout(() => void stop({ drainMs: opts.drainMs ?? 10_000 }), opts.durationMs)
  log.info({ url: stripCredentials(opts.url), site: opts.site, boxes: boxes.length, mode }, 'simulator started')

  const collect = (pick: (l: BoxLedger) => Set<string>) => new Set(boxes.flatMap((b) => [...pick(b.ledger)]))

  function stats(): SimStats {
    const per = boxes.map((b) => b.stats())
    const sum = (f: (s: BoxStats) => number) => per.reduce((a, s) => a + f(s), 0)
    return {
      mode,
      running: stopping === undefined,
      sent: sum((s) => s.sent),
      acked: sum((s) => s.acked),
      pending: sum((s) => s.pending),
      duplicatesSent: sum((s) => s.duplicatesSent),
      retries: sum((s) => s.retries),
      heartbeats: sum((s) => s.heartbeats),
      connects: sum((s) => s.connects),
      errorReplies: sum((s) => Object.values(s.errorReplies).reduce((a, n) => a + n, 0)),
      publishErrors: sum((s) => s.publishErrors),
      boxes: per,
    }
  }

  function stop(o: { drainMs?: number } = {}): Promise<SimStats> {
    stopping ??= (async () => {
      clearTimeout(durationTimer)
      for (const b of boxes) b.stopPressing()
      await waitDrained(boxes, o.drainMs ?? 0)
      await Promise.all(boxes.map((b) => b.stop()))
      const final = stats()
      log.info({ sent: final.sent, acked: final.acked, pending: final.pending }, 'simulator stopped')
      resolveDone(final)
      return final
    })()
    return stopping
  }

  return {
    stats,
    acked: () => collect((l) => l.acked),
    sent: () => collect((l) => l.sent),
    rejected: () => collect((l) => l.rejected),
    resent: () => collect((l) => l.resent),
    kill(deviceId) {
      boxes[indexOf(deviceId)]?.kill()
    },
    restart(deviceId) {
      const i = indexOf(deviceId)
      const old = boxes[i]
      const device = opts.devices[i]
      if (!old || !device || stopping) return
      old.kill()
      boxes[i] = makeBox(device, i, old.ledger)
    },
    stop,
    done,
  }
}

/** Polls (bounded by drainMs) until every box has its presses acknowledged. */
async function waitDrained(boxes: CounterBox[], drainMs: number): Promise<void> {
  const deadline = Date.now() + drainMs
  while (Date.now() < deadline && boxes.some((b) => b.pending() > 0)) {
    await new Promise((r) => setTimeout(r, 20))
  }
}
