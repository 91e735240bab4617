/**
 * Does the camera's RTSP stream deliver frames? ffmpeg reads one video frame
 * with `-c copy` (no decoding) under a socket timeout and a hard deadline.
 * A process that misses the deadline is SIGKILLed by PID and awaited.
 */
import { spawn } from 'node:child_process'
import { secretsOf, stripCredentials } from '../../common/credentials.js'
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
      else resolve({ ok: false, detail: lastLine(err, url) || `ffmpeg exited with ${code}`, ms })
    })
  })
}

/**
 * ffmpeg prefixes its last error with the URL it was given, password and all
 * (`rtsp://admin:S3cret@127.0.0.1:1/x: Connection refused`): keep that URL
 * without its credentials, since it says which stream failed.
 */
const lastLine = (s: string, url: string) => stripCredentials(s.trim().split('\n').pop() ?? '', secretsOf(url)).slice(0, 160)
