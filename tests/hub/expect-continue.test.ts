/**
 * Batches sent with `Expect: 100-continue`: the hub answers a batch it would
 * refuse (token, no write slot, declared size) before the upload, so a shed
 * batch costs an edge's uplink nothing; one it can take gets 100 Continue.
 * The edge's client waits for that answer, and sends anyway to a server that
 * never gives one. Real hub and influxd; a TCP relay counts what the edge's
 * client actually sent.
 */
import http from 'node:http'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CONTINUE_WAIT_MS, createHubClient } from '../../edge/forwarder/hub-client.js'
import { startHub, type RunningHub } from '../../hub/main.js'
import { startInfluxd, type Influxd } from '../../testkit/influxd.js'
import { metricSample } from '../../testkit/metrics.js'
import { batchOf, holdTheWriteSlot, hubConfig, influxCount, ratings, request, TOKENS } from './helpers.js'

process.env.LOG_LEVEL ??= 'silent'

const SITE = 'ttpv-can-tho'
const DB = 'motcua_expect'
const MAX_BODY = 64 * 1024
let influx: Influxd
let hub: RunningHub

beforeAll(async () => {
  influx = await startInfluxd()
  hub = await startHub(hubConfig({ version: 1, url: influx.url, database: DB }, { maxConcurrentWrites: 1, maxBodyBytes: MAX_BODY }))
})

afterAll(async () => {
  influx?.resume()
  await hub?.stop()
  await influx?.stop()
})

async function metric(name: string): Promise<number> {
  const text = (await request(`${hub.url}/metrics`)).text
  return metricSample(text, name) ?? NaN
}

interface Answer {
  /** Whether the hub said 100 Continue (and so the body was sent). */
  continued: boolean
  status: number
  headers: http.IncomingHttpHeaders
  body: unknown
}

/** A batch POST with Expect: 100-continue whose body goes only after a 100; `declared` overrides its Content-Length. */
function expectingPost(body: string, opts: { token?: string; declared?: number } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let continued = false
    const req = http.request(`${hub.url}/v1/batches`, {
      method: 'POST',
      agent: false,
      headers: {
        authorization: `Bearer ${opts.token ?? TOKENS[SITE]}`,
        'content-type': 'application/json',
        'content-length': opts.declared ?? Buffer.byteLength(body),
        expect: '100-continue',
      },
    }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        resolve({ continued, status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(Buffer.concat(chunks).toString() || 'null') })
        if (!continued) req.destroy()
      })
    })
    req.on('continue', () => {
      continued = true
      req.end(body)
    })
    req.on('error', reject)
  })
}

/** A TCP relay to `target` that counts the bytes its clients send. */
async function countingRelay(target: URL): Promise<{ url: string; sent(): number; close(): Promise<void> }> {
  let sent = 0
  const sockets = new Set<net.Socket>()
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname)
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('error', () => undefined)
      s.on('close', () => sockets.delete(s))
    }
    client.on('data', (d: Buffer) => (sent += d.length))
    client.pipe(upstream).pipe(client)
  })
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sent: () => sent,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise((ok) => server.close(ok))
    },
  }
}

describe('Expect: 100-continue on POST /v1/batches', () => {
  it('a batch the hub can take gets 100 Continue, then its 200, and is stored', async () => {
    const res = await expectingPost(JSON.stringify(batchOf(SITE, ratings(1, 10))))
    expect(res).toMatchObject({ continued: true, status: 200, body: { accepted: 10, rejected: [] } })
    expect(await influxCount(influx.url, DB, 'rating')).toBe(10)
  })

  it('with no write slot free, 503 + Retry-After comes instead of 100, the connection closes, and the upload is counted as spared', async () => {
    const body = JSON.stringify(batchOf(SITE, ratings(11, 10)))
    const before = { uploads: await metric('motcua_hub_batch_uploads_spared_total'), bytes: await metric('motcua_hub_batch_upload_bytes_spared_total') }
    const { held } = await holdTheWriteSlot(hub.url, influx, 100)
    try {
      const res = await expectingPost(body)
      expect(res).toMatchObject({ continued: false, status: 503, body: { error: { code: 'HUB_OVERLOADED' } } })
      expect(res.headers['retry-after']).toBe('7')
      expect(res.headers.connection).toBe('close')
    } finally {
      influx.resume()
    }
    expect(await held).toBe(200)
    expect(await metric('motcua_hub_batch_uploads_spared_total')).toBe(before.uploads + 1)
    expect(await metric('motcua_hub_batch_upload_bytes_spared_total')).toBe(before.bytes + Buffer.byteLength(body))
    // Nothing of the refused batch was written; the slot's batch was.
    expect(await influxCount(influx.url, DB, 'rating')).toBe(15)
  })

  it('a wrong token (401) and a declared size over the limit (413) are answered before the upload too', async () => {
    const body = JSON.stringify(batchOf(SITE, ratings(21, 2)))
    const wrong = await expectingPost(body, { token: 'not-the-token-0123456789' })
    expect(wrong).toMatchObject({ continued: false, status: 401, body: { error: { code: 'HUB_AUTH_FAILED' } } })
    const large = await expectingPost(body, { declared: MAX_BODY + 1 })
    expect(large).toMatchObject({ continued: false, status: 413, body: { error: { code: 'HUB_BODY_TOO_LARGE' } } })
    expect(large.headers.connection).toBe('close')
    // The size is told only to an edge that proved its token.
    const both = await expectingPost(body, { token: 'not-the-token-0123456789', declared: MAX_BODY + 1 })
    expect(both.status).toBe(401)
  })

  it("the edge's client sends no body to a hub that sheds it, and its next batch goes through on a new connection", async () => {
    const relay = await countingRelay(new URL(hub.url))
    // A shed answer slower than the client's wait for 100 would let the body go: the wait here outlasts any stall.
    const client = createHubClient({ url: relay.url, token: TOKENS[SITE], timeoutMs: 30_000, continueWaitMs: 30_000 })
    const body = JSON.stringify(batchOf(SITE, ratings(2000, 200)))
    try {
      const { held } = await holdTheWriteSlot(hub.url, influx, 3000)
      let shed
      try {
        shed = await client.postBatch(body, new AbortController().signal)
      } finally {
        influx.resume()
      }
      expect(shed.status).toBe(503)
      expect((shed.body as { error: { code: string } }).error.code).toBe('HUB_OVERLOADED')
      // Request line and headers only: the 200 ratings (tens of KB) never went out.
      expect(Buffer.byteLength(body)).toBeGreaterThan(20_000)
      expect(relay.sent()).toBeLessThan(1_000)
      expect(await held).toBe(200)
      const ok = await client.postBatch(body, new AbortController().signal)
      expect(ok.status).toBe(200)
      expect((ok.body as { accepted: number }).accepted).toBe(200)
      expect(relay.sent()).toBeGreaterThan(Buffer.byteLength(body))
      expect(await influxCount(influx.url, DB, 'rating')).toBe(15 + 5 + 200)
    } finally {
      client.close()
      await relay.close()
    }
  })

  it("the edge's client sends the body anyway to a server that never answers Expect", async () => {
    // A bare HTTP/1.1 server that ignores Expect: it reads the head, waits for Content-Length bytes, then answers.
    let received = ''
    const server = net.createServer((socket) => {
      let data = ''
      socket.setEncoding('utf8')
      socket.on('data', (d: string) => {
        data += d
        const head = data.indexOf('\r\n\r\n')
        if (head < 0) return
        const length = Number(/content-length: (\d+)/i.exec(data.slice(0, head))?.[1] ?? 0)
        if (data.length - head - 4 < length) return
        received = data.slice(head + 4)
        const answer = JSON.stringify({ accepted: 1, rejected: [], serverTime: 1 })
        socket.end(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${answer.length}\r\nconnection: close\r\n\r\n${answer}`)
      })
    })
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
    const client = createHubClient({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: TOKENS[SITE], timeoutMs: 10 * CONTINUE_WAIT_MS })
    try {
      const body = JSON.stringify(batchOf(SITE, ratings(41, 3)))
      const res = await client.postBatch(body, new AbortController().signal)
      expect(res.status).toBe(200)
      expect(received).toBe(body)
    } finally {
      client.close()
      await new Promise((ok) => server.close(ok))
    }
  })
})
