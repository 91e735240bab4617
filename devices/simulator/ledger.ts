/**
 * What one simulated box has sent and what the broker acknowledged. It
 * outlives a simulated reboot, as a real box's NVS ring buffer does, so the
 * fault tests can compare acknowledged presses with what reached InfluxDB.
 */
import type { RatingMessage } from '../../protocol/messages.js'

export interface BoxStats {
  device: string
  connected: boolean
  connects: number
  sent: number
  acked: number
  pending: number
  duplicatesSent: number
  /** Presses published again because no PUBACK came in time. */
  retries: number
  heartbeats: number
  /** Error replies from the edge, by code. */
  errorReplies: Record<string, number>
  publishErrors: number
}

export class BoxLedger {
  readonly sent = new Set<string>()
  readonly acked = new Set<string>()
  /** Ids the edge answered with an error reply (acknowledged but not stored). */
  readonly rejected = new Set<string>()
  /** Ids deliberately sent a second time (`duplicate` mode). */
  readonly resent = new Set<string>()
  /** Presses not acknowledged yet: the NVS ring buffer's content. */
  readonly unacked = new Map<string, RatingMessage>()
  readonly errorReplies: Record<string, number> = {}
  connects = 0
  duplicatesSent = 0
  retries = 0
  heartbeats = 0
  publishErrors = 0

  pressed(message: RatingMessage): void {
    this.sent.add(message.id)
    this.unacked.set(message.id, message)
  }

  acknowledged(id: string): void {
    this.acked.add(id)
    this.unacked.delete(id)
  }

  errorReply(code: string, id: string | undefined): void {
    this.errorReplies[code] = (this.errorReplies[code] ?? 0) + 1
    if (id !== undefined) this.rejected.add(id)
  }

  stats(device: string, connected: boolean): BoxStats {
    return {
      device,
      connected,
      connects: this.connects,
      sent: this.sent.size,
      acked: this.acked.size,
      pending: this.unacked.size,
      duplicatesSent: this.duplicatesSent,
      retries: this.retries,
      heartbeats: this.heartbeats,
      errorReplies: { ...this.errorReplies },
      publishErrors: this.publishErrors,
    }
  }
}
