/**
 * Builds the camera features of the edge in one call for edge/main.ts: the
 * camera subsystem (health, events, snapshots, discovery), the live view
 * (one ffmpeg per watched camera) and the supervisor page on the edge's HTTP
 * server. stop() tears them down in reverse order and waits for every ffmpeg.
 */
import type { Logger } from '../../common/log.js'
import type { Clock } from '../clock/types.js'
import type { EdgeConfig } from '../config/schema.js'
import type { EdgeHttp } from '../http/server.js'
import { createLiveService, type LiveService, type LiveTuning } from '../live/service.js'
import type { Outbox } from '../outbox/types.js'
import { buildSupervisorScript } from '../supervisor/bundle.js'
import { createEdgeAudit } from '../supervisor/audit.js'
import { mountSupervisor, type SupervisorRoutes } from '../supervisor/routes.js'
import { startCameraSubsystem, type CameraSubsystem, type CameraSubsystemOptions } from './subsystem.js'

export interface CameraFeaturesOptions {
  config: Pick<EdgeConfig, 'site' | 'cameras' | 'cameraOptions' | 'supervisors'>
  outbox: Outbox
  clock: Clock
  log: Logger
  http: EdgeHttp
  publishRetained(topic: string, body: object): void | Promise<void>
  /** Test and bench seams. */
  discoveryTargets?: CameraSubsystemOptions['discoveryTargets']
  timing?: CameraSubsystemOptions['timing']
  liveTuning?: LiveTuning
  sessionTtlMs?: number
  onCameraEvent?: CameraSubsystemOptions['onCameraEvent']
}

export interface CameraFeatures {
  cameras: CameraSubsystem
  live: LiveService
  supervisor: SupervisorRoutes
  stop(): Promise<void>
}

/** A live view delivering fragments this recently proves the stream works without another ffmpeg probe. */
const LIVE_PROOF_MS = 3000

export async function startCameraFeatures(o: CameraFeaturesOptions): Promise<CameraFeatures> {
  let cameras: CameraSubsystem | null = null
  const live = createLiveService({ log: o.log, streamUrl: (id) => cameras?.streamUrl(id) ?? null, tuning: o.liveTuning })
  cameras = await startCameraSubsystem({
    config: o.config, outbox: o.outbox, clock: o.clock, log: o.log, publishRetained: o.publishRetained,
    streamActive: (id) => live.delivering(id, LIVE_PROOF_MS),
    // Warm while online only: a camera that is down is probed by the health check, not hammered by a remuxer.
    onState: (view) => {
      if (o.config.cameraOptions.liveWarm) live.warm(view.id, view.state === 'online')
    },
    discoveryTargets: o.discoveryTargets, timing: o.timing, onCameraEvent: o.onCameraEvent,
  })
  const subsystem = cameras
  try {
    const script = await buildSupervisorScript()
    const supervisor = mountSupervisor(o.http, {
      siteName: o.config.site.name, accounts: o.config.supervisors, cameras: subsystem, live, script, log: o.log, sessionTtlMs: o.sessionTtlMs,
      audit: createEdgeAudit({ outbox: o.outbox, clock: o.clock, site: o.config.site.id, log: o.log }),
    })
    return {
      cameras: subsystem,
      live,
      supervisor,
      async stop() {
        supervisor.close()
        await live.stop()
        await subsystem.stop()
      },
    }
  } catch (err) {
    await Promise.all([live.stop(), subsystem.stop()])
    throw err
  }
}
