/**
 * Child process for the recording crash test: records the camera at `url`
 * into `dir` and prints "segments <n>" each time a segment is finished, until
 * it is killed. Usage: tsx recording-child.ts <dir> <rtsp url with credentials>
 */
import { createLiveService } from '../../edge/live/service.js'
import { startRecording } from '../../edge/recording/service.js'
import { log, options } from './recording-fixtures.js'

const [dir, url] = process.argv.slice(2)
const live = createLiveService({ log, streamUrl: () => url! })
const recording = await startRecording({
  cameras: [{ id: 'cam-1', name: 'Quầy 1', onvif: 'http://127.0.0.1:1/onvif/device_service', username: 'admin', recording: 'continuous' }],
  options: options(dir!, { segmentS: 4 }), live, log, now: Date.now, checkMs: 200,
})
let seen = 0
// Bounded by the parent, which SIGKILLs this process (and kills it after 60 s at the latest).
setInterval(() => {
  const n = recording.status().cameras['cam-1']!.segments
  if (n !== seen) process.stdout.write(`segments ${(seen = n)}\n`)
}, 100)
