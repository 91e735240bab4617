export interface SnapshotSourceOptions {
  /** Encodes the current picture (RtspProcess.snapshot: the GStreamer child's JPEG encoder). */
  take: (timeoutMs: number) => Promise<Buffer>
  timeoutMs: number
}

/**
 * The camera's snapshot URL behind the HTTP server: a JPEG of the picture the stream shows now, with the same
 * burned-in clock, encoded in the camera process as a camera's own JPEG encoder does (milliseconds, not an
 * RTSP session). Concurrent requests share one picture; the latest is kept for the `stall` fault, where a
 * frozen encoder keeps handing out its last picture.
 */
export class SnapshotSource {
  private last: Buffer | undefined
  private inflight: Promise<Buffer> | undefined

  constructor(private readonly opts: SnapshotSourceOptions) {}

  /** The latest picture, whatever its age. */
  get lastJpeg(): Buffer | undefined {
    return this.last
  }

  grab(): Promise<Buffer> {
    this.inflight ??= this.opts.take(this.opts.timeoutMs)
      .then((jpeg) => {
        this.last = jpeg
        return jpeg
      })
      .finally(() => { this.inflight = undefined })
    return this.inflight
  }
}
