/**
 * Does the camera's RTSP stream deliver frames? ffmpeg reads one video frame
 * with `-c copy` (no decoding) under a socket timeout and a hard deadline.
 * A process that misses the deadline is SIGKILLed by PID and awaited.
 */
import { spawn } from 'node:child_process'
import { forgetOnExit, killOnExit } from '../live/reaper.js'

export interface ProbeResult {
  ok: boolean
  detail: string
  ms: number
}

export function probeStream(url: string, timeoutMs: number, ffmpegPath = 'ffmpeg'): Promise<ProbeResult> {
  const started = Date.now()
  const args = [
    '-hide_banner', '-nostats', '-loglevel', 'error',
    '-rtsp_transport', 'tcp',
    '-timeout', String(Math.max(1, timeoutMs - 500) * 1000),
    '-i', url,
    '-map', '0:v:0', '-c', 'copy', '-frames:v', '1', '-f', 'null', '-',
  ]
  return new Promise((resolve) => {
    const p = spawn(ffmpegPath, args, { stdio: ['ignore', 'ignore', 'pipe'] })
    killOnExit(p)
    let err = ''
    let timedOut = false
    p.stderr?.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-400)))
    const timer = setTimeout(() => {
      timedOut = true
      p.kill('SIGKILL')
    }, timeoutMs)
    p.once('error', (e) => err = e.message)
    p.once('close', (code) => {
      clearTimeout(timer)
      forgetOnExit(p)
      const ms = Date.now() - started
      if (timedOut) resolve({ ok: false, detail: `no frame within ${timeoutMs} ms`, ms })
      else if (code === 0) resolve({ ok: true, detail: 'frame received', ms })
      else resolve({ ok: false, detail: lastLine(err) || `ffmpeg exited with ${code}`, ms })
    })
  })
}

/** ffmpeg prefixes errors with the URL it was given; keep the reason only. */
const lastLine = (s: string) =>
  (s.trim().split('\n').pop() ?? '').replace(/rtsps?:\/\/\S+?:\s*/g, '').slice(0, 160)
