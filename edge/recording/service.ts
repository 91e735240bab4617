/**
 * Recording on the edge (issue 17): one SegmentWriter per recording camera
 * attached to its live channel, the index in LevelDB, clips kept around
 * dissatisfied ratings, tamper, motion and supervisors' requests, and the ring
 * swept on a timer. Ratings have priority over video: recording stops while
 * the disk has less free than `minFreeBytes` (validated far above the
 * outbox's reserve), first deleting the oldest unclaimed video, and starts
 * again when space returns. Implements the RecordingService the tunnel serves.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from '../../common/log.js'
import { DAY_MS } from '../../common/time.js'
import type { EdgeConfig } from '../config/schema.js'
import type { LiveService } from '../live/service.js'
import { diskGauge, type StatfsFn } from '../outbox/disk.js'
import type { NewRecord } from '../outbox/types.js'
import { clipStream, planClip } from './clip.js'
import { recoverCamera, type RecoveryReport } from './recover.js'
import { planRetention, type RecordingMode, type RetentionPlan } from './retention.js'
import { RecordingStore, type StoredClip } from './store.js'
import type { KeptClip, RecordedSpan, RecordingService } from './types.js'
import { CONTIGUOUS_MS, SegmentWriter } from './writer.js'

/** Recording starts again once free space is this much above the reserve, so it does not flap at the threshold. */
const RESUME_FACTOR = 1.1
/** Longest range a supervisor can keep in one go. */
const MAX_MANUAL_MS = 60 * 60_000

export interface RecordingDeps {
  cameras: EdgeConfig['cameras']
  options: EdgeConfig['recordingOptions']
  live: Pick<LiveService, 'watch'>
  log: Logger
  now(): number
  /** Test seams. */
  statfs?: StatfsFn
  /** Disk check and retry of cameras not attached yet (default 2 s). */
  checkMs?: number
  /** Ring sweep (default 30 s; at once when the disk runs short). */
  sweepMs?: number
  ffprobePath?: string
}

export interface RecordingCameraStatus {
  mode: RecordingMode
  attached: boolean
  segments: number
  lastSegmentAt: number | null
}

export interface RecordingStatus {
  /** Why nothing is written now, or null. */
  paused: 'disk' | 'budget' | null
  freeBytes: number | null
  keptBytes: number
  cameras: Record<string, RecordingCameraStatus>
}

export interface Recording extends RecordingService {
  /** Every record the broker stored: a dissatisfied rating at a covered counter keeps a clip. */
  onRecord(record: NewRecord): void
  onCameraEvent(camera: string, event: 'motion' | 'tamper', state: boolean): void
  /** Runs the ring once now (also on a timer). */
  sweep(): Promise<RetentionPlan>
  status(): RecordingStatus
  /** What start-up recovery found per camera. */
  readonly recovered: Record<string, RecoveryReport>
  stop(): Promise<void>
}

const modeOf = (cam: EdgeConfig['cameras'][number] | undefined): RecordingMode => cam?.recording ?? 'off'

export async function startRecording(d: RecordingDeps): Promise<Recording> {
  const log = d.log.child({ module: 'recording' })
  const opts = d.options
  const videoDir = (camera: string) => join(opts.dir, 'video', camera)
  await mkdir(join(opts.dir, 'video'), { recursive: true })
  const store = new RecordingStore(join(opts.dir, 'index'))
  await store.open()
  const byId = new Map(d.cameras.map((c) => [c.id, c]))
  const recording = d.cameras.filter((c) => modeOf(c) !== 'off')

  const recovered: Record<string, RecoveryReport> = {}
  for (const cam of d.cameras) recovered[cam.id] = await recoverCamera({ camera: cam.id, dir: videoDir(cam.id), store, log, ffprobePath: d.ffprobePath })

  const gauge = diskGauge(opts.dir, { statfs: d.statfs, now: d.now })
  let paused: RecordingStatus['paused'] = null
  let keptBytes = store.allSegments().reduce((n, s) => n + s.bytes, 0)
  let stopped = false

  const policy = {
    mode: (camera: string) => modeOf(byId.get(camera)),
    ringMs: opts.ringDays * DAY_MS,
    // Unclaimed video of a camera recording around events waits long enough for an event to claim its pre-roll.
    eventBufferMs: (opts.preRollS + opts.segmentS) * 1000 + 60_000,
    maxBytes: opts.maxBytes,
  }

  function setPaused(next: RecordingStatus['paused'], free: number): void {
    if (next === paused) return
    if (next) log.warn({ reason: next, freeBytes: free, minFreeBytes: opts.minFreeBytes, keptBytes, maxBytes: opts.maxBytes }, 'recording stopped')
    else log.info({ freeBytes: free }, 'recording started again')
    paused = next
  }

  let sweeping: Promise<RetentionPlan> | null = null
  function sweep(): Promise<RetentionPlan> {
    sweeping ??= runSweep().finally(() => {
      sweeping = null
    })
    return sweeping
  }

  async function runSweep(): Promise<RetentionPlan> {
    gauge.invalidate()
    const free = await gauge.freeBytes()
    const resumeAt = opts.minFreeBytes * RESUME_FACTOR
    const plan = planRetention({ segments: store.allSegments(), clips: store.clips(), now: d.now(), policy, needBytes: Math.max(0, resumeAt - free) })
    for (const s of plan.deleteSegments) await rm(join(videoDir(s.camera), `${s.from}.mp4`), { force: true })
    await store.deleteSegments(plan.deleteSegments)
    await store.deleteClips(plan.deleteClips)
    keptBytes = plan.keptBytes
    if (plan.deleteSegments.length > 0 || plan.deleteClips.length > 0)
      log.info({ segments: plan.deleteSegments.length, clips: plan.deleteClips.length }, 'recording ring swept')
    gauge.invalidate()
    decide(await gauge.freeBytes())
    return plan
  }

  /** Paused below the reserve or with the budget full of kept video; started again with room to spare. */
  function decide(free: number): void {
    if (free < opts.minFreeBytes) return setPaused('disk', free)
    if (keptBytes >= opts.maxBytes) return setPaused('budget', free)
    if (paused !== 'disk' || free >= opts.minFreeBytes * RESUME_FACTOR) setPaused(null, free)
  }

  async function checkDisk(): Promise<void> {
    const free = await gauge.freeBytes()
    if (free < opts.minFreeBytes * RESUME_FACTOR) await sweep()
    else decide(free)
  }

  const writers = new Map<string, { writer: SegmentWriter; detach: (() => void) | null }>()
  for (const cam of recording) {
    const writer = new SegmentWriter({
      camera: cam.id, dir: videoDir(cam.id), segmentMs: opts.segmentS * 1000, now: d.now, log,
      canWrite: () => paused === null && !stopped,
      onSegment: async (r) => {
        await store.putSegment(r)
        keptBytes += r.bytes
      },
      onWriteError: (err) => {
        log.warn({ camera: cam.id, err: err.message }, 'segment write failed; segment closed')
        paused = 'disk'
        void sweep().catch((e: Error) => log.warn({ err: e.message }, 'recording sweep failed'))
      },
    })
    writers.set(cam.id, { writer, detach: null })
  }

  function attach(): void {
    for (const [camera, w] of writers) {
      if (w.detach) continue
      // Null until the camera's stream address is known (its first ONVIF answer).
      w.detach = d.live.watch(camera, w.writer)
      if (w.detach) log.info({ camera, mode: policy.mode(camera) }, 'recording attached to the live stream')
    }
  }

  await runSweep()
  attach()
  const checkTimer = setInterval(() => {
    if (stopped) return
    attach()
    void checkDisk().catch((err: Error) => log.warn({ err: err.message }, 'recording disk check failed'))
  }, d.checkMs ?? 2000)
  checkTimer.unref()
  const sweepTimer = setInterval(() => {
    if (!stopped) void sweep().catch((err: Error) => log.warn({ err: err.message }, 'recording sweep failed'))
  }, d.sweepMs ?? 30_000)
  sweepTimer.unref()

  const cameraOfCounter = (counter: string): string | null =>
    d.cameras.find((c) => c.counter === counter || c.counters?.includes(counter))?.id ?? null

  const publicClip = (c: StoredClip): KeptClip => ({ id: c.id, camera: c.camera, from: c.from, to: c.to, reason: c.reason, ref: c.ref, keepUntil: c.keepUntil })
  const newId = () => randomBytes(9).toString('base64url')

  function save(clip: StoredClip): void {
    store.putClip(clip).catch((err: Error) => log.error({ err: err.message, camera: clip.camera, reason: clip.reason }, 'kept clip not stored'))
  }

  /** A clip around an event; motion and tamper extend a clip of theirs still open instead of piling up new ones. */
  function eventClip(camera: string, reason: 'rating' | 'tamper' | 'motion', ref: string | null, start: boolean): void {
    if (stopped || policy.mode(camera) === 'off') return
    const at = d.now()
    const from = at - opts.preRollS * 1000
    const to = at + opts.postRollS * 1000
    const keepUntil = at + opts.keepDays[reason] * DAY_MS
    if (reason !== 'rating') {
      const open = store.clips().find((c) => c.camera === camera && c.reason === reason && c.to >= from)
      if (open) return save({ ...open, to: Math.max(open.to, to), keepUntil: Math.max(open.keepUntil, keepUntil) })
      if (!start) return
    } else if (store.clips().some((c) => c.reason === 'rating' && c.ref === ref)) return
    save({ id: newId(), camera, from, to, reason, ref, keepUntil, createdAt: at, by: null, note: null })
  }

  return {
    recovered,
    cameraOfCounter,
    onRecord(record) {
      // A press flagged as misuse (stuck button, rapid repeats) is left out of scores and claims no video either.
      if (record.kind !== 'rating' || !record.dissatisfied || record.misuse) return
      const camera = cameraOfCounter(record.counter)
      if (camera) eventClip(camera, 'rating', record.eventId, true)
    },
    onCameraEvent(camera, event, state) {
      eventClip(camera, event, null, state)
    },
    async timeline(camera, from, to) {
      const live = store.clips().filter((c) => c.camera === camera && c.keepUntil > d.now())
      const spans: RecordedSpan[] = []
      for (const s of store.segmentsOf(camera)) {
        if (s.to <= from || s.from >= to) continue
        const kind = live.some((c) => c.from < s.to && c.to > s.from) ? 'event' : 'continuous'
        const last = spans.at(-1)
        if (last && last.kind === kind && s.from - last.to <= CONTIGUOUS_MS) {
          last.to = s.to
          last.bytes += s.bytes
        } else spans.push({ camera, from: s.from, to: s.to, kind, bytes: s.bytes })
      }
      return spans
    },
    async clips(camera, from, to) {
      const now = d.now()
      return store
        .clips()
        .filter((c) => (camera === null || c.camera === camera) && c.from < to && c.to > from && c.keepUntil > now)
        .sort((a, b) => a.from - b.from)
        .map(publicClip)
    },
    async openClip(camera, from, to) {
      if (!byId.has(camera) || !(to > from)) return null
      const plan = planClip(await store.segmentsIn(camera, from, to), from, to)
      if (!plan) return null
      return { stream: clipStream(plan.pieces, videoDir), contentType: 'video/mp4', from: plan.from, to: plan.to }
    },
    async keep(camera, from, to, by, reason) {
      if (!byId.has(camera)) throw new RangeError(`unknown camera "${camera}"`)
      if (!(to > from) || to - from > MAX_MANUAL_MS) throw new RangeError(`a kept range must be longer than 0 and at most ${MAX_MANUAL_MS / 60_000} minutes`)
      const now = d.now()
      const clip: StoredClip = {
        id: newId(), camera, from, to, reason: 'manual', ref: null, keepUntil: now + opts.keepDays.manual * DAY_MS, createdAt: now, by, note: reason.slice(0, 500),
      }
      await store.putClip(clip)
      log.info({ camera, from, to, id: clip.id }, 'clip kept by a supervisor')
      return publicClip(clip)
    },
    sweep,
    status() {
      return {
        paused,
        freeBytes: gauge.lastFreeBytes(),
        keptBytes,
        cameras: Object.fromEntries(
          d.cameras.map((c) => {
            const w = writers.get(c.id)
            return [c.id, { mode: modeOf(c), attached: Boolean(w?.detach), segments: w?.writer.segments ?? 0, lastSegmentAt: w?.writer.lastSegmentAt ?? null }]
          }),
        ),
      }
    },
    async stop() {
      if (stopped) return
      stopped = true
      clearInterval(checkTimer)
      clearInterval(sweepTimer)
      for (const w of writers.values()) w.detach?.()
      await Promise.all([...writers.values()].map((w) => w.writer.flush()))
      await sweeping?.catch(() => undefined)
      await store.close()
    },
  }
}
