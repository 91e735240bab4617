/**
 * What a LiveChannel (channel.ts) drives: on the edge the ffmpeg remuxer
 * (edge/live/remuxer.ts), on the hub an upstream through an edge tunnel
 * (hub/relay/relay.ts). Named after the first; the hub fills in the same
 * status so /metrics and the soak read both alike.
 */
export interface RemuxerStatus {
  running: boolean
  pid: number | null
  /** Runs started so far (1 + restarts). */
  runs: number
  consecutiveFailures: number
  lastFailure: string | null
  lastProgressAt: number | null
  bytesOut: number
}

export interface Remuxer {
  start(): void
  /** Kills ffmpeg (by PID) and resolves once it has exited. */
  stop(): Promise<void>
  status(): RemuxerStatus
}
