import { describe, expect, it } from 'vitest'
import { MqttFrameGuard } from '../../edge/broker/frame-guard.js'

/** [MQTT-2.2.3] remaining length: 7 bits per byte, high bit = more bytes follow. */
function varint(n: number): number[] {
  const out: number[] = []
  do {
    let byte = n % 128
    n = Math.floor(n / 128)
    if (n > 0) byte |= 0x80
    out.push(byte)
  } while (n > 0)
  return out
}

/** A QoS 1 PUBLISH: topic length + topic + packet id + payload. */
function publish(bytes: number): Buffer {
  const topic = Buffer.from('motcua/v1/s/q1/rating')
  const body = Buffer.concat([Buffer.from([0, topic.length]), topic, Buffer.from([0, 1]), Buffer.alloc(bytes, 0x61)])
  return Buffer.concat([Buffer.from([0x32, ...varint(body.length)]), body])
}
const pingreq = Buffer.from([0xc0, 0x00])

describe('MQTT frame guard', () => {
  it('passes a stream of packets under the limit, however it is cut into chunks', () => {
    const stream = Buffer.concat([publish(10), publish(2000), pingreq, publish(0), publish(3000)])
    for (const chunkSize of [1, 2, 3, 7, 64, 1000, stream.length]) {
      const guard = new MqttFrameGuard(4096)
      for (let i = 0; i < stream.length; i += chunkSize) expect(guard.feed(stream.subarray(i, i + chunkSize)), `chunks of ${chunkSize}`).toBe(true)
    }
  })

  it('trips on the first packet over the limit, even when split one byte at a time', () => {
    const stream = Buffer.concat([publish(100), publish(5000)])
    const guard = new MqttFrameGuard(4096)
    let tripped = -1
    for (let i = 0; i < stream.length && tripped < 0; i++) if (!guard.feed(stream.subarray(i, i + 1))) tripped = i
    // Header of the second packet is at publish(100).length; its length bytes follow.
    expect(tripped).toBeGreaterThan(publish(100).length)
    expect(tripped).toBeLessThan(publish(100).length + 4)
  })

  it('trips on a remaining length longer than four bytes [MQTT-2.2.3]', () => {
    expect(new MqttFrameGuard(Number.MAX_SAFE_INTEGER).feed(Buffer.from([0x30, 0x80, 0x80, 0x80, 0x80, 0x01]))).toBe(false)
  })
})
