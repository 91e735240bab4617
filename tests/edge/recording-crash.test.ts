process.env.LOG_LEVEL ??= 'silent'
import { spawn } from 'node:child_process'
import { appendFileSync, createWriteStream, existsSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCameraSim, type CameraSim } from '../../devices/camera-sim/index.js'
import { probeReadable } from '../../edge/recording/recover.js'
import { waitFor } from '../../testkit/wait.js'
import { options, simUrl, startStack, tempDir, type Stack } from './recording-fixtures.js'

const CHILD = fileURLToPath(new URL('./recording-child.ts', import.meta.url))
let sim: CameraSim
let stack: Stack | null = null
beforeAll(async () => {
  sim = await startCameraSim({ discovery: false })
})
afterAll(async () => {
  await stack?.stop()
  await sim?.stop()
})

/** Runs the child until it has finished `segments` segments and the next one holds a few fragments, then SIGKILLs it mid-segment. */
function recordThenKill(dir: string, segments: number): Promise<void> {
  const videoDir = join(dir, 'video', 'cam-1')
  return new Promise((resolve, reject) => {
    // node itself, not the tsx wrapper, so SIGKILL hits the process writing the files.
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, simUrl(sim)], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'silent' } })
    let done = 0
    let errors = ''
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000)
    const midSegment = () => existsSync(videoDir) && readdirSync(videoDir).some((f) => f.endsWith('.part') && statSync(join(videoDir, f)).size > 20_000)
    const poll = setInterval(() => {
      if (done >= segments && midSegment()) child.kill('SIGKILL')
    }, 50)
    child.stderr.on('data', (b: Buffer) => (errors += b.toString()))
    child.stdout.on('data', (b: Buffer) => {
      const m = /segments (\d+)\s*$/.exec(b.toString())
      if (m) done = Number(m[1])
    })
    child.once('exit', (_code, signal) => {
      clearTimeout(guard)
      clearInterval(poll)
      if (signal === 'SIGKILL' && done >= segments) resolve()
      else reject(new Error(`child ended (${signal}) after ${done} segments:\n${errors}`))
    })
  })
}

describe('recording after a SIGKILL mid-segment', () => {
  it('keeps the readable part of the segment being written, deletes what cannot be read, and serves only files ffprobe reads', { timeout: 180_000 }, async () => {
    const dir = tempDir('recording-crash')
    const videoDir = join(dir, 'video', 'cam-1')
    await recordThenKill(dir, 2)
    const parts = readdirSync(videoDir).filter((f) => f.endsWith('.part'))
    expect(parts).toHaveLength(1)
    const killed = parts[0]!
    // What a power cut adds to a SIGKILL: a torn last box on the cut segment, and a segment cut inside its init.
    appendFileSync(join(videoDir, killed), Buffer.concat([Buffer.from([0, 0, 0x13, 0x88]), Buffer.from('moof'), Buffer.alloc(92, 7)]))
    const tornInit = `${Number(killed.split('.')[0]) + 60_000}.mp4.part`
    writeFileSync(join(videoDir, tornInit), Buffer.from([0, 0, 0, 0x20, 0x66, 0x74, 0x79, 0x70, 0x69, 0x73, 0x6f, 0x6d]))

    stack = await startStack(sim, { options: options(dir, { segmentS: 4 }), now: Date.now })
    const rec = stack.recording
    expect(rec.recovered['cam-1']).toEqual({ salvaged: 1, discarded: 1, dropped: 0 })
    expect(existsSync(join(videoDir, killed))).toBe(false)
    expect(existsSync(join(videoDir, tornInit))).toBe(false)
    const salvaged = killed.replace('.part', '')
    expect(existsSync(join(videoDir, salvaged))).toBe(true)
    for (const f of readdirSync(videoDir).filter((n) => n.endsWith('.mp4'))) expect(await probeReadable(join(videoDir, f))).toBe(true)

    // The salvaged video is on the timeline and plays. Its span can begin with the segment before it: the timeline
    // joins segments that follow each other, and a segment's media can end a few ms past the next one's start stamp
    // (a fresh-machine run saw the span begin 4,002 ms earlier, at the previous segment).
    const from = Number(salvaged.split('.')[0])
    const spans = await rec.timeline('cam-1', from, from + 60_000)
    const span = spans.find((s) => s.from <= from && s.to > from)
    expect(span, JSON.stringify(spans)).toBeDefined()
    const clip = await rec.openClip('cam-1', from, span!.to)
    expect(clip).not.toBeNull()
    const out = join(dir, 'salvaged-clip.mp4')
    await pipeline(clip!.stream, createWriteStream(out))
    expect(await probeReadable(out)).toBe(true)
    // And recording goes on after the restart.
    await waitFor('recording again', () => rec.status().cameras['cam-1']!.segments >= 1, { timeoutMs: 60_000 })
  })
})
