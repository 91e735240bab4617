import { describe, expect, it } from 'vitest'
import { PendingSender } from '../../../devices/kiosk/browser/sender.js'
import { memoryStore, type Pending } from '../../../devices/kiosk/browser/store.js'
import { waitFor } from '../../../testkit/wait.js'

const pending = (id: string, createdAt = 0): Pending => ({ id, topic: 't', payload: `{"id":"${id}"}`, createdAt })

function harness(resendAfterMs = 30_000) {
  const store = memoryStore()
  const sent: { id: string; done: (err?: Error) => void }[] = []
  const acked: string[] = []
  let now = 0
  const sender = new PendingSender({
    store,
    now: () => now,
    publish: (_topic, payload, done) => sent.push({ id: (JSON.parse(payload) as { id: string }).id, done }),
    onAcked: (id) => acked.push(id),
    onDepth: () => undefined,
    resendAfterMs,
  })
  return { store, sent, acked, sender, advance: (ms: number) => (now += ms) }
}

describe('kiosk pending sender', () => {
  it('stores before publishing and deletes only on PUBACK', async () => {
    const h = harness()
    h.sender.setConnected(true)
    await h.sender.add(pending('a'))
    expect(h.sent.map((s) => s.id)).toEqual(['a'])
    expect((await h.store.all()).map((p) => p.id)).toEqual(['a'])
    h.sent[0]?.done()
    await waitFor('the acknowledged press to leave the store', async () => (await h.store.all()).length === 0)
    expect(h.acked).toEqual(['a'])
    expect(h.sender.depth()).toBe(0)
  })

  it('holds presses while offline and publishes each once on connect, oldest first', async () => {
    const h = harness()
    await h.sender.add(pending('b', 2))
    await h.sender.add(pending('a', 1))
    expect(h.sent).toEqual([])
    h.sender.setConnected(true)
    await h.sender.flush()
    expect(h.sent.map((s) => s.id)).toEqual(['a', 'b'])
    // A second connect while they are in flight (mqtt.js resends those itself) publishes nothing new.
    h.sender.setConnected(false)
    h.sender.setConnected(true)
    await h.sender.flush()
    expect(h.sent).toHaveLength(2)
  })

  it('publishes again after a failed publish, and as a safety net after resendAfterMs without PUBACK', async () => {
    const h = harness(1000)
    h.sender.setConnected(true)
    await h.sender.add(pending('a'))
    h.sent[0]?.done(new Error('client closed'))
    await h.sender.flush()
    expect(h.sent.map((s) => s.id)).toEqual(['a', 'a'])
    await h.sender.flush()
    expect(h.sent).toHaveLength(2)
    h.advance(1001)
    await h.sender.flush()
    expect(h.sent.map((s) => s.id)).toEqual(['a', 'a', 'a'])
    expect((await h.store.all()).map((p) => p.id)).toEqual(['a'])
  })

  it('picks up what a previous page left in the store', async () => {
    const h = harness()
    await h.store.put(pending('left-over'))
    await h.sender.start()
    expect(h.sender.depth()).toBe(1)
    h.sender.setConnected(true)
    await h.sender.flush()
    expect(h.sent.map((s) => s.id)).toEqual(['left-over'])
  })
})

describe('kiosk pending sender, storage refused', () => {
  it('still publishes, and resends until PUBACK, a rating the store could not keep', async () => {
    const store = memoryStore()
    store.put = () => Promise.reject(new Error('QuotaExceededError'))
    const sent: { id: string; done: (err?: Error) => void }[] = []
    const acked: string[] = []
    const sender = new PendingSender({
      store,
      now: () => 0,
      publish: (_t, payload, done) => sent.push({ id: (JSON.parse(payload) as { id: string }).id, done }),
      onAcked: (id) => acked.push(id),
      onDepth: () => undefined,
    })
    sender.setConnected(true)
    await sender.add(pending('x'))
    expect(sent.map((s) => s.id)).toEqual(['x'])
    sent[0]?.done(new Error('connection lost'))
    await sender.flush()
    expect(sent.map((s) => s.id)).toEqual(['x', 'x'])
    sent[1]?.done()
    await waitFor('the acknowledgement', () => acked.length > 0)
    expect(acked).toEqual(['x'])
    expect(sender.depth()).toBe(0)
    await sender.flush()
    expect(sent).toHaveLength(2)
  })
})
