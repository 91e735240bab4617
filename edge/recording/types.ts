// The seam between edge recording (this folder) and the hub's playback over the tunnel:
// the tunnel handlers call a RecordingService and never touch segments or the index directly.

/** A recorded time range of one camera (ms epoch, [from, to)). */
export interface RecordedSpan { camera: string; from: number; to: number; kind: 'continuous' | 'event'; bytes: number }

/** A range kept longer than the ring because something happened in it. `ref` names the cause (rating id, camera event id) when there is one. */
export interface KeptClip { id: string; camera: string; from: number; to: number; reason: 'rating' | 'tamper' | 'motion' | 'manual'; ref: string | null; keepUntil: number }

export interface RecordingService {
  /** Recorded time ranges of a camera overlapping [from, to) (ms epoch), merged where segments are contiguous. */
  timeline(camera: string, from: number, to: number): Promise<RecordedSpan[]>
  /** Clips kept around events for a camera (or all cameras when camera is null) overlapping [from, to). */
  clips(camera: string | null, from: number, to: number): Promise<KeptClip[]>
  /** A playable MP4 (fragmented, `-c copy`, starts at the keyframe at or before `from`) of [from, to); null when nothing recorded. Max 10 minutes. */
  openClip(camera: string, from: number, to: number): Promise<{ stream: NodeJS.ReadableStream; contentType: 'video/mp4'; from: number; to: number } | null>
  /** A supervisor's "keep this": keeps [from, to) as a manual clip. */
  keep(camera: string, from: number, to: number, by: string, reason: string): Promise<KeptClip>
  /** The camera that covers a counter, if any (the camera → counters mapping in config). */
  cameraOfCounter(counter: string): string | null
}
