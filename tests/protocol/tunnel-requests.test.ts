process.env.LOG_LEVEL ??= 'silent'
import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { createLogger } from '../../common/log.js'
import { createRequestSessions, RequestFailed, type Answer } from '../../edge/tunnel/requests.js'
import { decodeBody, decodePiece, edgeMessage, encodeBody, encodePiece, hubMessage, parseControl, parseRequest, type EdgeMessage } from '../../protocol/tunnel.js'
import { waitFor } from '../../testkit/wait.js'

const log = createLogger('test')

describe('tunnel requests: the contract (protocol/tunnel.ts, version 2)', () => {
  it('a body frame carries its request id and is never taken for a live piece, nor a piece for a body', () => {
    const frame = encodeBody(0xfffffffe, Buffer.from('mp4 bytes'))
    expect(decodeBody(frame)).toEqual({ id: 0xfffffffe, data: Buffer.from('mp4 bytes') })
    expect(decodePiece(frame)).toBeNull()
    expect(decodeBody(encodePiece(3, { kind: 'segment', keyframe: true, data: Buffer.from('x') }))).toBeNull()
    expect(decodeBody(Buffer.from([4, 0, 0, 0, 1]))).toBeNull()
    expect(decodeBody(Buffer.from([4, 0, 0, 0, 1, 3, 65, 65, 65]))).toBeNull()
  })

  it('a version-1 hello is still a hello (old edges keep their live view); a version past ours is not', () => {
    const hello = (v: number) => JSON.stringify({ type: 'hello', v, site: 'site-a', cameras: [] })
    expect(parseControl(edgeMessage, hello(1))).toMatchObject({ v: 1 })
    expect(parseControl(edgeMessage, hello(2))).toMatchObject({ v: 2 })
    expect(parseControl(edgeMessage, hello(3))).toBeNull()
  })

  it('requests, answers and credit parse; an unknown op is a request the edge refuses, not one it drops', () => {
    expect(parseControl(hubMessage, JSON.stringify({ type: 'request', id: 9, op: 'clip', args: { camera: 'cam-1', from: 1, to: 2 } }))).toMatchObject({ op: 'clip' })
    expect(parseControl(hubMessage, JSON.stringify({ type: 'ack', id: 9, bytes: 100 }))).toEqual({ type: 'ack', id: 9, bytes: 100 })
    expect(parseControl(edgeMessage, JSON.stringify({ type: 'error', id: 9, code: 'nope', message: '' }))).toBeNull()
    expect(parseRequest('rewind', {})).toEqual({ error: 'unsupported', message: 'unknown op rewind' })
    expect(parseRequest('clip', { camera: 'cam-1', from: 5, to: 5 })).toMatchObject({ error: 'bad_request' })
    expect(parseRequest('clip', { camera: '../etc', from: 1, to: 5 })).toMatchObject({ error: 'bad_request' })
    expect(parseRequest('timeline', { camera: 'cam-1', from: 1, to: 5, extra: 1 })).toMatchObject({ error: 'bad_request' })
    expect(parseRequest('snapshots', { camera: null })).toEqual({ op: 'snapshots', args: { camera: null } })
  })
})

describe('tunnel requests: the edge sends no further ahead than the hub\'s credit', () => {
  function harness(answer: () => Promise<Answer>, windowBytes = 256 * 1024) {
    const sent: EdgeMessage[] = []
    const bodies: Buffer[] = []
    const sessions = createRequestSessions({
      dispatch: answer,
      send: (m) => sent.push(m),
      sendBody: (_id, chunk) => bodies.push(chunk),
      backlog: () => 0,
      log,
      windowBytes,
      stallMs: 5000,
    })
    return { sent, bodies, sessions, bytes: () => bodies.reduce((n, b) => n + b.length, 0) }
  }

  it('stops at the window, goes on with each ack, and ends with the byte count', async () => {
    const data = Buffer.alloc(1024 * 1024, 7)
    const h = harness(async () => ({ contentType: 'video/mp4', meta: {}, body: Readable.from([data.subarray(0, 600_000), data.subarray(600_000)]) }))
    h.sessions.request(1, 'clip', { camera: 'cam-1', from: 1, to: 2 })
    await waitFor('the first window', () => h.bytes() >= 256 * 1024)
    // The window is full: nothing more moves until the hub acknowledges.
    await new Promise((r) => setTimeout(r, 200))
    expect(h.bytes()).toBe(256 * 1024)
    for (let round = 0; round < 8 && !h.sent.some((m) => m.type === 'end'); round++) {
      h.sessions.ack(1, h.bytes())
      await waitFor('the next window', () => h.bytes() >= Math.min(data.length, (round + 2) * 256 * 1024))
    }
    await waitFor('the end', () => h.sent.some((m) => m.type === 'end'))
    expect(h.sent[0]).toEqual({ type: 'head', id: 1, contentType: 'video/mp4', meta: {} })
    expect(h.sent.at(-1)).toEqual({ type: 'end', id: 1, bytes: data.length })
    expect(Buffer.concat(h.bodies).equals(data)).toBe(true)
    expect(h.sessions.active()).toBe(0)
  })

  it('a cancel closes the source and sends nothing more', async () => {
    let destroyed = false
    const body = new Readable({ read() { this.push(Buffer.alloc(64 * 1024)) }, destroy(_e, cb) { destroyed = true; cb(null) } })
    const h = harness(async () => ({ contentType: 'video/mp4', meta: {}, body }))
    h.sessions.request(2, 'clip', { camera: 'cam-1', from: 1, to: 2 })
    await waitFor('a window', () => h.bytes() >= 256 * 1024)
    h.sessions.cancel(2)
    await waitFor('the source closed', () => destroyed)
    const after = h.bytes()
    h.sessions.ack(2, after)
    await new Promise((r) => setTimeout(r, 100))
    expect(h.bytes()).toBe(after)
    expect(h.sent.some((m) => m.type === 'end' || m.type === 'error')).toBe(false)
  })

  it('answers JSON, a coded failure, and a plain failure without its detail', async () => {
    const h = harness(async () => ({ json: { camera: 'cam-1' } }))
    h.sessions.request(3, 'cameraOfCounter', { counter: 'q7' })
    await waitFor('the answer', () => h.sent.length === 1)
    expect(h.sent[0]).toEqual({ type: 'response', id: 3, body: { camera: 'cam-1' } })
    const nf = harness(() => Promise.reject(new RequestFailed('not_found', 'nothing recorded in this range')))
    nf.sessions.request(4, 'clip', { camera: 'cam-1', from: 1, to: 2 })
    const boom = harness(() => Promise.reject(new Error('/var/lib/motcua/rec/secret path')))
    boom.sessions.request(5, 'clip', { camera: 'cam-1', from: 1, to: 2 })
    await waitFor('both failures', () => nf.sent.length === 1 && boom.sent.length === 1)
    expect(nf.sent[0]).toEqual({ type: 'error', id: 4, code: 'not_found', message: 'nothing recorded in this range' })
    expect(boom.sent[0]).toEqual({ type: 'error', id: 5, code: 'failed', message: 'the edge could not answer' })
  })

  it('more requests at once than allowed are answered busy', async () => {
    const h = harness(() => new Promise<Answer>(() => undefined))
    for (let id = 1; id <= 5; id++) h.sessions.request(id, 'cameraOfCounter', { counter: 'q1' })
    expect(h.sent).toEqual([{ type: 'error', id: 5, code: 'busy', message: 'at most 4 requests at once' }])
    h.sessions.closeAll()
    expect(h.sessions.active()).toBe(0)
  })
})
