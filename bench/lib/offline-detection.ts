/**
 * Measurement helper for `npm run bench` (which owns the runner): how long the
 * camera subsystem takes to report a camera offline after it goes dark.
 */
import type { CameraSubsystem } from '../../edge/cameras/subsystem.js'

/**
 * Calls `goDark` (e.g. the simulator's setFault('offline')) and returns the
 * milliseconds until the subsystem reports the camera offline; rejects after `timeoutMs`.
 */
export async function measureOfflineDetection(cameras: Pick<CameraSubsystem, 'camera'>, cameraId: string, goDark: () => Promise<void>, timeoutMs = 30_000): Promise<number> {
  const started = Date.now()
  await goDark()
  while (Date.now() - started < timeoutMs) {
    if (cameras.camera(cameraId)?.state === 'offline') return Date.now() - started
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`camera ${cameraId} not reported offline within ${timeoutMs} ms`)
}
