/**
 * The edge's side of the tunnel's requests (protocol/tunnel.ts, version 2;
 * issue 17): the hub asks for a camera's recorded timeline, a clip, the camera
 * of a counter, the snapshots; the dispatcher maps each op to the recording
 * service and the snapshot store, and the session part sends the answer back
 * as JSON or as a body in chunks, never more than the hub's credit window
 * ahead, stopping when the hub cancels or the tunnel closes.
 */
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import type { Logger } from '../../common/log.js'
import { parseRequest, type EdgeMessage, type RequestArgs, type RequestError, type RequestOp } from '../../protocol/tunnel.js'
import type { SnapshotStore } from '../cameras/snapshot-store.js'
import { parseSnapshotName, timeOf } from '../cameras/snapshot-store.js'
import type { RecordingService } from '../recording/types.js'

/** A failure the hub is told about by code (never a stack or a path). */
export class RequestFailed extends Error {
  constructor(readonly code: RequestError, message: string) {
    super(message)
  }
}

export type Answer = { json: unknown } | { contentType: string; meta: Record<string, string | number>; body: NodeJS.ReadableStream }
export type Dispatch = (op: RequestOp, args: unknown) => Promise<Answer>

export interface DispatchDeps {
  /** Null while the site records nothing: recording ops answer 'unsupported'. */
  recordings: RecordingService | null
  snapshots: Pick<SnapshotStore, 'list' | 'pathOf'> | null
  /** Cameras of the site: a request naming another is refused before any store is asked. */
  cameras(): readonly string[]
}

/** Snapshots listed at most, newest first: a month of a busy camera's tamper events fits. */
const MAX_SNAPSHOTS = 500

/** Pure mapping of ops to the stores; every argument has been checked against protocol/tunnel.ts already. */
export function createDispatch(d: DispatchDeps): Dispatch {
  const known = (camera: string) => {
    if (!d.cameras().includes(camera)) throw new RequestFailed('not_found', 'unknown camera')
  }
  const rec = () => {
    if (!d.recordings) throw new RequestFailed('unsupported', 'this site records no video')
    return d.recordings
  }
  const snaps = () => {
    if (!d.snapshots) throw new RequestFailed('unsupported', 'this site keeps no snapshots')
    return d.snapshots
  }
  const handlers: { [O in RequestOp]: (a: RequestArgs<O>) => Promise<Answer> } = {
    async timeline({ camera, from, to }) {
      known(camera)
      const r = rec()
      const [spans, clips] = await Promise.all([r.timeline(camera, from, to), r.clips(camera, from, to)])
      return { json: { spans, clips } }
    },
    async clip({ camera, from, to }) {
      known(camera)
      const clip = await rec().openClip(camera, from, to)
      if (!clip) throw new RequestFailed('not_found', 'nothing recorded in this range')
      return { contentType: clip.contentType, meta: { camera, from: clip.from, to: clip.to }, body: clip.stream }
    },
    cameraOfCounter: async ({ counter }) => ({ json: { camera: d.recordings?.cameraOfCounter(counter) ?? null } }),
    async snapshots({ camera }) {
      if (camera !== null) known(camera)
      const names = (await snaps().list()).reverse()
      const list = names
        .map((name) => ({ name, p: parseSnapshotName(name)! }))
        .filter((x) => camera === null || x.p.camera === camera)
        .slice(0, MAX_SNAPSHOTS)
        .map(({ name, p }) => ({ name, camera: p.camera, at: timeOf(p.ts), reason: p.reason }))
      return { json: { snapshots: list } }
    },
    async snapshot({ name }) {
      const path = snaps().pathOf(name)
      const size = path ? await stat(path).then((s) => s.size, () => null) : null
      if (!path || size === null) throw new RequestFailed('not_found', 'no such snapshot')
      return { contentType: 'image/jpeg', meta: { name, bytes: size }, body: createReadStream(path) }
    },
  }
  return (op, args) => (handlers[op] as (a: unknown) => Promise<Answer>)(args)
}

export interface RequestSessionOptions {
  dispatch: Dispatch
  send(msg: EdgeMessage): void
  sendBody(id: number, chunk: Buffer): void
  /** Bytes the tunnel socket has not sent yet (live video shares it: bodies wait while it is full). */
  backlog(): number
  log: Logger
  /** Body bytes sent past the hub's credit at most. */
  windowBytes?: number
  /** A body whose hub grants no credit for this long is abandoned (the hub went quiet without cancelling). */
  stallMs?: number
  maxConcurrent?: number
}

export interface RequestSessions {
  request(id: number, op: string, args: unknown): void
  cancel(id: number): void
  ack(id: number, bytes: number): void
  /** The tunnel closed: every request ends, their bodies' sources are closed. */
  closeAll(): void
  active(): number
}

const CHUNK_BYTES = 128 * 1024
/** Live video goes first on the shared socket: a body chunk waits while this much is queued. */
const SOCKET_BACKLOG_BYTES = 1024 * 1024

interface Session {
  acked: number
  sent: number
  ended: boolean
  source: NodeJS.ReadableStream | null
  wake: (() => void) | null
}

export function createRequestSessions(o: RequestSessionOptions): RequestSessions {
  const log = o.log.child({ module: 'tunnel-requests' })
  const windowBytes = o.windowBytes ?? 2 * 1024 * 1024
  const stallMs = o.stallMs ?? 30_000
  const maxConcurrent = o.maxConcurrent ?? 4
  const sessions = new Map<number, Session>()

  const finish = (id: number, s: Session) => {
    s.ended = true
    s.wake?.()
    ;(s.source as Readable | null)?.destroy?.()
    sessions.delete(id)
  }

  const fail = (id: number, code: RequestError, message: string) => o.send({ type: 'error', id, code, message })

  /** Resolves when the hub's credit and the socket let another chunk go; false when the session ended or stalled. */
  async function room(s: Session): Promise<boolean> {
    const started = Date.now()
    while (!s.ended && (s.sent - s.acked >= windowBytes || o.backlog() > SOCKET_BACKLOG_BYTES)) {
      if (Date.now() - started > stallMs) return false
      // Credit wakes it at once; the socket's backlog has no event here, so it is looked at again shortly.
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50)
        s.wake = () => {
          clearTimeout(t)
          resolve()
        }
      })
      s.wake = null
    }
    return !s.ended
  }

  async function stream(id: number, s: Session, body: NodeJS.ReadableStream): Promise<void> {
    for await (const piece of body as AsyncIterable<Buffer | string>) {
      const buf = typeof piece === 'string' ? Buffer.from(piece) : piece
      for (let at = 0; at < buf.length; at += CHUNK_BYTES) {
        if (!(await room(s))) {
          if (!s.ended) fail(id, 'timeout', 'the hub gave no credit')
          return
        }
        const chunk = buf.subarray(at, at + CHUNK_BYTES)
        o.sendBody(id, chunk)
        s.sent += chunk.length
      }
    }
    if (!s.ended) o.send({ type: 'end', id, bytes: s.sent })
  }

  async function run(id: number, op: RequestOp, args: unknown, s: Session): Promise<void> {
    const answer = await o.dispatch(op, args)
    if (s.ended) {
      if ('body' in answer) (answer.body as Readable).destroy?.()
      return
    }
    if ('json' in answer) return o.send({ type: 'response', id, body: answer.json })
    s.source = answer.body
    o.send({ type: 'head', id, contentType: answer.contentType, meta: answer.meta })
    await stream(id, s, answer.body)
  }

  return {
    request(id, op, args) {
      if (sessions.has(id)) return
      const parsed = parseRequest(op, args)
      if ('error' in parsed) return fail(id, parsed.error, parsed.message)
      if (sessions.size >= maxConcurrent) return fail(id, 'busy', `at most ${maxConcurrent} requests at once`)
      const s: Session = { acked: 0, sent: 0, ended: false, source: null, wake: null }
      sessions.set(id, s)
      run(id, parsed.op, parsed.args, s)
        .catch((err: unknown) => {
          if (s.ended) return
          if (err instanceof RequestFailed) return fail(id, err.code, err.message)
          log.warn({ err, op: parsed.op }, 'tunnel request failed')
          fail(id, 'failed', 'the edge could not answer')
        })
        .finally(() => finish(id, s))
    },
    cancel(id) {
      const s = sessions.get(id)
      if (s) finish(id, s)
    },
    ack(id, bytes) {
      const s = sessions.get(id)
      if (!s || bytes <= s.acked) return
      s.acked = bytes
      s.wake?.()
    },
    closeAll() {
      for (const [id, s] of sessions) finish(id, s)
    },
    active: () => sessions.size,
  }
}
