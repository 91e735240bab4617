/**
 * A batch admitted for upload (100 Continue) whose write slot was taken
 * while its body was on the way waits for the next free slot instead of
 * being refused after it crossed the edge's uplink; the wait is bounded in
 * time and in how many wait. Real hub and influxd (SIGSTOPped to hold the
 * only slot).
 */
import http from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startHub, type RunningHub } from '../../hub/main.js'
import { startInfluxd, type Influxd } from '../../testkit/influxd.js'
import { metricSample } from '../../testkit/metrics.js'
import { waitFor } from '../../testkit/wait.js'
import { batchOf, holdTheWriteSlot, hubConfig, influxCount, ratings, request, TOKENS } from './helpers.js'

process.env.LOG_LEVEL ??= 'silent'

const SITE = 'ttpv-can-tho'
let influx: Influxd

beforeAll(async () => {
  influx = await startInfluxd()
})

afterAll(async () => {
  influx?.resume()
  await influx?.stop()
})

async function metric(hub: RunningHub, line: string): Promise<number> {
  const text = (await request(`${hub.url}/metrics`)).text
  // A labelled counter appears once first counted.
  return metricSample(text, line) ?? 0
}

interface Upload {
  /** Sends the body, which the hub has not had until now. */
  finish(): void
  answer: Promise<{ status: number; code?: string }>
}

/** A batch the hub admitted (it said 100 Continue while a slot was free) whose body is still to come. */
async function admittedUpload(hub: RunningHub, records: unknown[]): Promise<Upload> {
  const body = JSON.stringify(batchOf(SITE, records))
  let admitted!: () => void
  const continued = new Promise<void>((ok) => (admitted = ok))
  const req = http.request(`${hub.url}/v1/batches`, {
    method: 'POST',
    agent: false,
    headers: { authorization: `Bearer ${TOKENS[SITE]}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), expect: '100-continue' },
  })
  const answer = new Promise<{ status: number; code?: string }>((resolve, reject) => {
    req.on('response', (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const parsed = JSON.parse(Buffer.concat(chunks).toString() || 'null') as { error?: { code: string } } | null
        resolve({ status: res.statusCode ?? 0, code: parsed?.error?.code })
      })
    })
    req.on('error', reject)
  })
  req.on('continue', admitted)
  req.flushHeaders()
  await Promise.race([continued, answer.then((a) => Promise.reject(new Error(`refused before the upload: ${a.status} ${a.code}`)))])
  return { finish: () => req.end(body), answer }
}

describe('an uploaded batch that finds every write slot taken', () => {
  it('waits for the next free slot and is stored once; one more than the slots is refused at once', async () => {
    const db = 'motcua_slot_wait'
    const hub = await startHub(hubConfig({ version: 1, url: influx.url, database: db }, { maxConcurrentWrites: 1, writeSlotWaitMs: 10_000 }))
    try {
      const upload = await admittedUpload(hub, ratings(1, 10))
      const extra = await admittedUpload(hub, ratings(11, 10))
      const { held } = await holdTheWriteSlot(hub.url, influx, 100)
      try {
        upload.finish()
        await waitFor('the uploaded batch waiting for the slot', async () => (await metric(hub, 'motcua_hub_write_slot_waiting')) === 1)
        // As many wait as there are slots (one): the next uploaded batch is answered at once, influxd still stopped.
        extra.finish()
        expect(await extra.answer).toEqual({ status: 503, code: 'HUB_OVERLOADED' })
        // Still one write at a time: a new batch is refused before its upload meanwhile.
        expect((await request(`${hub.url}/v1/batches`, { token: TOKENS[SITE], body: batchOf(SITE, ratings(200, 1)) })).status).toBe(503)
      } finally {
        influx.resume()
      }
      expect(await held).toBe(200)
      expect(await upload.answer).toEqual({ status: 200, code: undefined })
      expect(await influxCount(influx.url, db, 'rating')).toBe(15)
      expect(await metric(hub, 'motcua_hub_write_slot_waits_total{outcome="waited"}')).toBe(1)
      expect(await metric(hub, 'motcua_hub_write_slot_waits_total{outcome="queue_full"}')).toBe(1)
      expect(await metric(hub, 'motcua_hub_write_slot_waiting')).toBe(0)
    } finally {
      await hub.stop()
    }
  })

  it('is refused 503 after writeSlotWaitMs with no slot free, and nothing of it is written', async () => {
    const db = 'motcua_slot_refused'
    const hub = await startHub(hubConfig({ version: 1, url: influx.url, database: db }, { maxConcurrentWrites: 1, writeSlotWaitMs: 300 }))
    try {
      const upload = await admittedUpload(hub, ratings(1, 10))
      const { held } = await holdTheWriteSlot(hub.url, influx, 100)
      const finished = Date.now()
      try {
        upload.finish()
        // Answered while influxd is still stopped: the wait ended it, not the write.
        expect(await upload.answer).toEqual({ status: 503, code: 'HUB_OVERLOADED' })
        // It waited (300 ms, timed by the hub from when it read the body) rather than being refused at once.
        expect(Date.now() - finished).toBeGreaterThanOrEqual(250)
      } finally {
        influx.resume()
      }
      expect(await held).toBe(200)
      expect(await influxCount(influx.url, db, 'rating')).toBe(5)
      expect(await metric(hub, 'motcua_hub_write_slot_waits_total{outcome="timed_out"}')).toBe(1)
      expect(await metric(hub, 'motcua_hub_write_slot_waiting')).toBe(0)
    } finally {
      await hub.stop()
    }
  })
})
