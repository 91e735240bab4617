process.env.LOG_LEVEL ??= 'silent'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createLogger } from '../../common/log.js'
import { startCameraSim, type CameraSim } from '../../devices/camera-sim/index.js'
import { LiveChannel, type Viewer } from '../../common/live/channel.js'
import { Fmp4Splitter, startsWithKeyframe, type Fmp4Piece } from '../../common/live/fmp4.js'
import { livePids } from '../../edge/live/reaper.js'
import type { Remuxer } from '../../common/live/source.js'
import { createRemuxer } from '../../edge/live/remuxer.js'
import { waitFor } from '../../testkit/wait.js'

const run = promisify(execFile)
const log = createLogger('test')

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('fragmented MP4 splitter', () => {
  it('cuts ffmpeg output into one init segment and keyframe-tagged media segments', async () => {
    // 2 s at 10 fps, a keyframe every 5 frames, 200 ms fragments also cut at every keyframe: 2+2+1 frames per GOP.
    const { stdout } = await run('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10', '-t', '2',
      '-c:v', 'libx264', '-profile:v', 'baseline', '-g', '5', '-keyint_min', '5', '-sc_threshold', '0', '-pix_fmt', 'yuv420p',
      '-f', 'mp4', '-movflags', 'frag_keyframe+empty_moov+default_base_moof', '-frag_duration', '200000', 'pipe:1',
    ], { encoding: 'buffer', maxBuffer: 10e6 })
    const splitter = new Fmp4Splitter()
    const pieces: Fmp4Piece[] = []
    // Odd chunk sizes: boxes straddle chunk boundaries.
    for (let i = 0; i < stdout.length; i += 777) pieces.push(...splitter.push(stdout.subarray(i, i + 777)))
    expect(pieces[0]).toMatchObject({ kind: 'init', codec: expect.stringMatching(/^avc1\.42[0-9a-f]{4}$/) })
    const segments = pieces.slice(1)
    expect(segments.every((p) => p.kind === 'segment')).toBe(true)
    expect(segments.map((p) => p.kind === 'segment' && p.keyframe)).toEqual(Array.from({ length: 4 }, () => [true, false, false]).flat())
  })

  it('refuses a corrupt box size instead of buffering forever', () => {
    const bad = Buffer.alloc(16)
    bad.writeUInt32BE(4, 0) // smaller than its own header
    bad.write('moof', 4, 'latin1')
    expect(() => new Fmp4Splitter().push(bad)).toThrow(RangeError)
  })
})

describe('live remuxer against the simulated camera', () => {
  let sim: CameraSim
  let remuxer: Remuxer | null = null
  // A simulator per test: a stalled or killed source in one test must not fail the next.
  beforeEach(async () => {
    sim = await startCameraSim({ discovery: false })
  })
  afterEach(async () => {
    await remuxer?.stop()
    remuxer = null
    await sim?.stop()
  })
  const url = () => sim.rtspUrl.replace('rtsp://', `rtsp://${sim.user}:${encodeURIComponent(sim.password)}@`)

  it('remuxes without transcoding, restarts after a stall and after the source dies, and leaves no ffmpeg behind', async () => {
    const pieces: { at: number; piece: Fmp4Piece }[] = []
    const ended: string[] = []
    remuxer = createRemuxer({
      url: url(), log, stallMs: 3000, ioTimeoutMs: 5000, backoffMinMs: 200, backoffMaxMs: 2000,
      onPiece: (piece) => pieces.push({ at: Date.now(), piece }),
      onRunEnded: (reason) => ended.push(reason),
    })
    remuxer.start()
    await waitFor('fragments', () => pieces.filter((p) => p.piece.kind === 'segment').length >= 10, { timeoutMs: 40_000 })
    expect(pieces[0]!.piece).toMatchObject({ kind: 'init', codec: expect.stringMatching(/^avc1\./) })
    expect(pieces[1]!.piece).toMatchObject({ kind: 'segment', keyframe: true })
    const firstPid = remuxer.status().pid!
    expect(livePids()).toContain(firstPid)

    // Freeze the source (SIGSTOP of the RTSP server): ffmpeg sees no error, only silence.
    // Runs ended before (a fresh stream's first probe can miss its parameters) are not this stall's.
    const endedBefore = ended.length
    await sim.setFault('stall')
    await waitFor('watchdog restart', () => ended.length > endedBefore)
    // The stall watchdog ended it (not the 5 s I/O timeout), after the 3 s without progress it is set to.
    expect(ended[endedBefore]).toMatch(/no progress for 3000 ms/)
    await waitFor('old ffmpeg gone', () => !alive(firstPid))
    await sim.setFault('none')
    const resumedAt = Date.now()
    await waitFor(() => `fragments after the stall (${JSON.stringify(remuxer!.status())})`, () => pieces.filter((p) => p.at > resumedAt && p.piece.kind === 'segment').length >= 5)
    expect(remuxer.status().runs).toBeGreaterThanOrEqual(2)

    // Kill the source: every attempt fails until it is back, then the stream resumes by itself.
    await sim.setFault('offline')
    const deadAt = Date.now()
    await waitFor('failures while the source is gone', () => remuxer!.status().consecutiveFailures >= 2)
    await sim.setFault('none')
    const backAt = Date.now()
    await waitFor('fragments after the source returned', () => pieces.filter((p) => p.at > backAt && p.piece.kind === 'segment').length >= 5, { timeoutMs: 30_000 })
    expect(pieces.some((p) => p.at > deadAt && p.piece.kind === 'init')).toBe(true)

    const pid = remuxer.status().pid!
    await remuxer.stop()
    expect(alive(pid)).toBe(false)
    expect(livePids()).toEqual([])
    expect(remuxer.status()).toMatchObject({ running: false, pid: null })
  }, 120_000)

  it('shares one ffmpeg among viewers, gives late joiners the init segment then a keyframe, and stops with the last viewer', async () => {
    const remuxers: Remuxer[] = []
    const channel = new LiveChannel({
      makeRemuxer: (onPiece, onRunEnded) => {
        const r = createRemuxer({ url: url(), log, onPiece, onRunEnded })
        remuxers.push(r)
        return r
      },
    })
    const viewer = () => {
      const got: { kind: string; keyframe?: boolean }[] = []
      const v: Viewer = {
        init: () => void got.push({ kind: 'init' }),
        fragment: (data) => void got.push({ kind: 'fragment', keyframe: isKeyframeSegment(data) }),
        interrupted: () => void got.push({ kind: 'interrupted' }),
        backlog: () => 0,
      }
      return { v, got }
    }
    const a = viewer()
    channel.add(a.v)
    // Generous: on a loaded runner the first ffmpeg run may fail its probe and restart.
    await waitFor('first viewer gets video', () => a.got.filter((g) => g.kind === 'fragment').length >= 5, { timeoutMs: 40_000 })
    const b = viewer()
    channel.add(b.v)
    await waitFor('late joiner gets video', () => b.got.filter((g) => g.kind === 'fragment').length >= 3)
    expect(remuxers.length).toBe(1)
    expect(b.got[0]).toEqual({ kind: 'init' })
    expect(b.got[1]).toEqual({ kind: 'fragment', keyframe: true })
    const pid = remuxers[0]!.status().pid!
    await channel.remove(a.v)
    expect(alive(pid)).toBe(true)
    await channel.remove(b.v)
    expect(alive(pid)).toBe(false)
    expect(livePids()).toEqual([])
  }, 90_000)
})

/** A media segment as the channel sends it is moof + mdat; the keyframe test reads the moof. */
function isKeyframeSegment(seg: Buffer): boolean {
  const moofSize = seg.readUInt32BE(0)
  return startsWithKeyframe(seg.subarray(0, moofSize))
}
