/**
 * Watches the MQTT fixed header of every packet on a connection and trips
 * as soon as one announces a remaining length over the limit. mqtt-packet
 * (used by aedes without options) buffers a whole packet before parsing it,
 * so without this a single 100 MB PUBLISH would sit in the edge's memory.
 */
const MAX_VARINT_MULTIPLIER = 128 ** 3

export class MqttFrameGuard {
  private state: 'header' | 'length' | 'body' = 'header'
  private length = 0
  private multiplier = 1
  private remaining = 0

  constructor(private readonly maxPacketBytes: number) {}

  /** Returns false once a packet is over the limit or its length is malformed; the caller drops the connection. */
  feed(chunk: Buffer): boolean {
    let i = 0
    while (i < chunk.length) {
      if (this.state === 'body') {
        const take = Math.min(this.remaining, chunk.length - i)
        i += take
        this.remaining -= take
        if (this.remaining === 0) this.state = 'header'
        continue
      }
      const byte = chunk[i++] as number
      if (this.state === 'header') {
        this.state = 'length'
        this.length = 0
        this.multiplier = 1
        continue
      }
      this.length += (byte & 0x7f) * this.multiplier
      if (this.length > this.maxPacketBytes) return false
      if (byte & 0x80) {
        // [MQTT-2.2.3] the remaining length has at most four bytes
        if (this.multiplier === MAX_VARINT_MULTIPLIER) return false
        this.multiplier *= 128
        continue
      }
      this.remaining = this.length
      this.state = this.remaining === 0 ? 'header' : 'body'
    }
    return true
  }
}
