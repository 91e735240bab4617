/**
 * Recorded video and snapshots in the console (issue 17), read from the
 * site's edge over its tunnel (hub/relay/requests.ts): a camera's timeline,
 * the camera of a counter (to jump from a rating to its minute), a clip to
 * play or to export, the snapshots. Only for canWatchRecordings; a clip or a
 * snapshot only with a reason typed in, and only once it is on the audit log
 * (a playback whose entry cannot be stored is not shown). An export's SHA-256
 * is computed as the file streams through, put on the audit log, and kept for
 * the page to fetch as the file's sidecar, so a copy can be checked later.
 */
import { createHash, randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { pipeline, Transform } from 'node:stream'
import { MotcuaError, type HttpErrorCode } from '../../common/errors.js'
import type { Logger } from '../../common/log.js'
import { NO_STORE, sendError, sendJson } from '../../common/web/answer.js'
import type { Params } from '../../common/web/router.js'
import { ID_PATTERN } from '../../protocol/patterns.js'
import type { RequestError } from '../../protocol/tunnel.js'
import type { AuditEntry, AuditLog } from '../audit/audit.js'
import type { Directory } from '../queries/directory.js'
import type { Relay } from '../relay/relay.js'
import { EdgeRequestError, type EdgeRequests } from '../relay/requests.js'
import { canWatchRecordings, type Principal } from '../users/roles.js'

/** The recording service's own limit for one clip (edge/recording/types.ts). */
export const MAX_CLIP_MS = 10 * 60_000
/** A timeline asked for at most this long (the continuous ring is days, kept clips months: read by the month). */
export const MAX_TIMELINE_MS = 31 * 86_400_000
export const REASON_MIN = 5
export const REASON_MAX = 300
/** Sidecars kept for the page to fetch after its download; the hash is on the audit log for good. */
const SIDECARS_KEPT = 500
const SIDECAR_TTL_MS = 3_600_000

export type RecordingHandler = (req: IncomingMessage, res: ServerResponse, url: URL, params: Params, p: Principal) => Promise<void>

export interface RecordingsOptions {
  requests: Pick<EdgeRequests, 'call' | 'open'>
  relay: Pick<Relay, 'camera' | 'cameras'>
  audit: AuditLog
  directory: Directory
  log: Logger
  now: () => number
  client(req: IncomingMessage): string
}

/** What a downloaded clip's sidecar says (docs/recordings.md): enough to check the copy and to find who made it. */
export interface ClipSidecar {
  format: 'motcua-clip/1'
  file: string
  site: string
  siteName: string
  camera: string
  cameraName: string
  from: string
  to: string
  bytes: number
  sha256: string
  exportId: string
  exportedBy: string
  exportedByName: string
  exportedAt: string
  reason: string
}

/** Pure: a typed-in reason, trimmed, or null when it is too short to say anything (or too long to be one). */
export function reasonOf(q: URLSearchParams): string | null {
  const r = (q.get('reason') ?? '').replace(/\s+/g, ' ').trim()
  return r.length >= REASON_MIN && r.length <= REASON_MAX ? r : null
}

/** Pure: `from`/`to` (epoch ms) of a query, or null when missing, reversed or longer than `maxMs`. */
export function rangeOf(q: URLSearchParams, maxMs: number): { from: number; to: number } | null {
  const from = Number(q.get('from'))
  const to = Number(q.get('to'))
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || to <= from || to - from > maxMs) return null
  return { from, to }
}

/** Pure: a clip file's name, from what it shows (UTC). */
export function clipFileName(site: string, camera: string, from: number): string {
  return `motcua-${site}-${camera}-${new Date(from).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}.mp4`
}

/**
 * Pure: an export's sidecar from its two audit entries (`export` with the range and reason, `export_done` with the
 * hash), for an instance other than the one that streamed it; null unless both are there and the user's own.
 */
export function sidecarFromAudit(entries: readonly AuditEntry[], id: string, user: string): Omit<ClipSidecar, 'siteName' | 'cameraName' | 'exportedByName'> | null {
  const start = entries.find((e) => e.viewing === id && e.action === 'export' && e.user === user)
  const done = entries.find((e) => e.viewing === id && e.action === 'export_done' && e.user === user)
  const range = start && /^clip (\S+)\/(\S+); reason: (.*)$/.exec(start.detail)
  const sealed = done && /^sha256=([0-9a-f]{64}) bytes=(\d+) file=(\S+)$/.exec(done.detail)
  if (!start?.site || !start.camera || !range || !sealed || !done) return null
  return {
    format: 'motcua-clip/1', file: sealed[3]!, site: start.site, camera: start.camera, from: range[1]!, to: range[2]!,
    bytes: Number(sealed[2]), sha256: sealed[1]!, exportId: id, exportedBy: user, exportedAt: new Date(done.time).toISOString(), reason: range[3]!,
  }
}

const EDGE_ANSWERS: Record<RequestError, HttpErrorCode> = {
  unsupported: 'HUB_RECORDING_UNSUPPORTED',
  not_found: 'HUB_RECORDING_NOT_FOUND',
  bad_request: 'HUB_QUERY_INVALID',
  edge_disconnected: 'HUB_EDGE_OFFLINE',
  busy: 'HUB_EDGE_REQUEST_FAILED',
  failed: 'HUB_EDGE_REQUEST_FAILED',
  timeout: 'HUB_EDGE_REQUEST_FAILED',
  cancelled: 'HUB_EDGE_REQUEST_FAILED',
  too_large: 'HUB_EDGE_REQUEST_FAILED',
}

export function createRecordings(o: RecordingsOptions) {
  const log = o.log.child({ module: 'recordings' })
  const sidecars = new Map<string, { owner: string; at: number; sidecar: ClipSidecar }>()

  const fail = (res: ServerResponse, code: HttpErrorCode, detail?: string) => sendError(res, code, detail, NO_STORE)

  /** Answers an edge or audit failure; anything else is a bug and goes up. */
  function failed(res: ServerResponse, err: unknown): void {
    if (err instanceof EdgeRequestError) return fail(res, EDGE_ANSWERS[err.code], err.code === 'not_found' || err.code === 'unsupported' ? err.message : undefined)
    if (err instanceof MotcuaError && err.code === 'HUB_AUDIT_UNAVAILABLE') return fail(res, err.code)
    throw err
  }

  /** The site and camera of a path, when the person may watch that site's recordings and the camera is known. */
  function target(res: ServerResponse, params: Params, p: Principal, camera = true): { site: string; camera: string } | null {
    const site = params.site ?? ''
    const cam = params.camera ?? ''
    if (!ID_PATTERN.test(site) || (camera && !ID_PATTERN.test(cam))) return fail(res, 'HUB_QUERY_INVALID'), null
    // Refused before the camera is looked up, so a forbidden user learns nothing of another site's cameras.
    if (!canWatchRecordings(p, site)) {
      log.warn({ username: p.username, site }, 'recordings refused: role')
      return fail(res, 'HUB_CONSOLE_FORBIDDEN'), null
    }
    if (camera && !o.relay.camera(site, cam)) return fail(res, 'HUB_CAMERA_UNKNOWN'), null
    return { site, camera: cam }
  }

  const record = async (entry: Parameters<AuditLog['record']>[0]) => {
    try {
      await o.audit.record(entry)
    } catch (err) {
      log.error({ err, username: entry.who.username }, 'recording refused: it could not be put on the audit log')
      throw new MotcuaError('HUB_AUDIT_UNAVAILABLE', undefined, { cause: err })
    }
  }

  const iso = (ms: number) => new Date(ms).toISOString()

  const timeline: RecordingHandler = async (_req, res, url, params, p) => {
    const t = target(res, params, p)
    if (!t) return
    const r = rangeOf(url.searchParams, MAX_TIMELINE_MS)
    if (!r) return fail(res, 'HUB_QUERY_INVALID', `from and to, at most ${MAX_TIMELINE_MS / 86_400_000} days apart`)
    try {
      sendJson(res, 200, await o.requests.call(t.site, 'timeline', { camera: t.camera, ...r }), NO_STORE)
    } catch (err) {
      failed(res, err)
    }
  }

  /** The camera that covers a counter: the edge's mapping, else a camera the edge named with that counter. */
  const counterCamera: RecordingHandler = async (_req, res, _url, params, p) => {
    const t = target(res, params, p, false)
    if (!t) return
    const counter = params.counter ?? ''
    if (!ID_PATTERN.test(counter)) return fail(res, 'HUB_QUERY_INVALID')
    let camera: string | null = null
    try {
      camera = ((await o.requests.call(t.site, 'cameraOfCounter', { counter })) as { camera?: string | null }).camera ?? null
    } catch (err) {
      if (!(err instanceof EdgeRequestError && err.code === 'unsupported')) return failed(res, err)
    }
    camera ??= o.relay.cameras().find((c) => c.site === t.site && c.counter === counter)?.id ?? null
    sendJson(res, 200, { camera }, NO_STORE)
  }

  /** A clip, to play (`playback` on the audit log) or with `download=1` to export (`export`, then `export_done` with its hash). */
  const clip: RecordingHandler = async (req, res, url, params, p) => {
    const t = target(res, params, p)
    if (!t) return
    const reason = reasonOf(url.searchParams)
    if (!reason) return fail(res, 'HUB_REASON_REQUIRED')
    const r = rangeOf(url.searchParams, MAX_CLIP_MS)
    if (!r) return fail(res, 'HUB_QUERY_INVALID', `from and to, at most ${MAX_CLIP_MS / 60_000} minutes apart`)
    const exporting = url.searchParams.get('download') === '1'
    const id = randomBytes(9).toString('base64url')
    const detail = `clip ${iso(r.from)}/${iso(r.to)}; reason: ${reason}`
    // Both at once (the first frame is waited for): the clip is not sent unless its entry was stored.
    const [opened, audited] = await Promise.allSettled([
      o.requests.open(t.site, 'clip', { camera: t.camera, ...r }),
      record({ action: exporting ? 'export' : 'playback', who: p, site: t.site, camera: t.camera, viewing: id, detail, client: o.client(req) }),
    ])
    if (opened.status === 'fulfilled' && audited.status === 'rejected') opened.value.body.destroy()
    if (audited.status === 'rejected') return failed(res, audited.reason)
    if (opened.status === 'rejected') return failed(res, opened.reason)
    const { body, meta } = opened.value
    const from = typeof meta.from === 'number' ? meta.from : r.from
    const to = typeof meta.to === 'number' ? meta.to : r.to
    const file = clipFileName(t.site, t.camera, from)
    log.info({ username: p.username, site: t.site, camera: t.camera, from, to, exporting, id }, exporting ? 'recording exported' : 'recording played')
    res.writeHead(200, {
      'content-type': 'video/mp4', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff',
      'x-motcua-clip': id, 'x-motcua-clip-from': String(from), 'x-motcua-clip-to': String(to),
      ...(exporting ? { 'content-disposition': `attachment; filename="${file}"` } : {}),
    })
    const hash = createHash('sha256')
    let bytes = 0
    const sealed = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk)
        bytes += chunk.length
        cb(null, chunk)
      },
      // Before the last byte leaves: the page asks for the sidecar as soon as its download ends.
      flush(cb) {
        if (exporting) seal(id, p, t, { from, to, bytes, sha256: hash.digest('hex'), file, reason }, o.client(req))
        cb()
      },
    })
    pipeline(body, sealed, res, (err) => {
      if (err) log.warn({ err: err.message, site: t.site, camera: t.camera, id }, 'clip cut short')
    })
  }

  function seal(id: string, p: Principal, t: { site: string; camera: string }, c: { from: number; to: number; bytes: number; sha256: string; file: string; reason: string }, client: string): void {
    const at = o.now()
    const sidecar: ClipSidecar = {
      format: 'motcua-clip/1', file: c.file,
      site: t.site, siteName: o.directory.site(t.site).name,
      camera: t.camera, cameraName: o.relay.camera(t.site, t.camera)?.name ?? t.camera,
      from: iso(c.from), to: iso(c.to), bytes: c.bytes, sha256: c.sha256,
      exportId: id, exportedBy: p.username, exportedByName: p.name, exportedAt: iso(at), reason: c.reason,
    }
    for (const [k, v] of sidecars) if (at - v.at > SIDECAR_TTL_MS || sidecars.size >= SIDECARS_KEPT) sidecars.delete(k)
    sidecars.set(id, { owner: p.username, at, sidecar })
    o.audit
      .record({ action: 'export_done', who: p, site: t.site, camera: t.camera, viewing: id, detail: `sha256=${c.sha256} bytes=${c.bytes} file=${c.file}`, client })
      .catch((err: unknown) => log.error({ err, id }, 'export hash not stored on the audit log; the sidecar still has it'))
  }

  /** The sidecar of one's own export: kept here by the instance that streamed it, else rebuilt from the audit log. */
  const sidecar: RecordingHandler = async (_req, res, _url, params, p) => {
    const id = params.id ?? ''
    const kept = sidecars.get(id)
    let found: ClipSidecar | null = kept?.owner === p.username ? kept.sidecar : null
    if (!kept && /^[A-Za-z0-9_-]{12}$/.test(id)) {
      const at = o.now()
      const s = sidecarFromAudit(await o.audit.list(at - SIDECAR_TTL_MS, at + 1, 5000), id, p.username)
      found = s && { ...s, siteName: o.directory.site(s.site).name, cameraName: o.relay.camera(s.site, s.camera)?.name ?? s.camera, exportedByName: p.name }
    }
    // Another person's export is as unknown as none.
    if (!found) return fail(res, 'HUB_RECORDING_NOT_FOUND')
    sendJson(res, 200, found, { ...NO_STORE, 'content-disposition': `attachment; filename="${found.file}.json"` })
  }

  const snapshots: RecordingHandler = async (_req, res, url, params, p) => {
    const t = target(res, params, p, false)
    if (!t) return
    const camera = url.searchParams.get('camera') || null
    if (camera !== null && !ID_PATTERN.test(camera)) return fail(res, 'HUB_QUERY_INVALID')
    try {
      sendJson(res, 200, await o.requests.call(t.site, 'snapshots', { camera }), NO_STORE)
    } catch (err) {
      failed(res, err)
    }
  }

  /** One snapshot's picture, with a reason, on the audit log like a clip. */
  const snapshot: RecordingHandler = async (req, res, url, params, p) => {
    const t = target(res, params, p, false)
    if (!t) return
    const name = params.name ?? ''
    const camera = /^([a-z0-9][a-z0-9-]{0,31})_\d{8}T\d{9}Z_[a-z]+\.jpg$/.exec(name)?.[1]
    if (!camera) return fail(res, 'HUB_QUERY_INVALID')
    const reason = reasonOf(url.searchParams)
    if (!reason) return fail(res, 'HUB_REASON_REQUIRED')
    try {
      await record({ action: 'playback', who: p, site: t.site, camera, detail: `snapshot ${name}; reason: ${reason}`, client: o.client(req) })
      const { body } = await o.requests.open(t.site, 'snapshot', { name })
      res.writeHead(200, { 'content-type': 'image/jpeg', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' })
      pipeline(body, res, (err) => {
        if (err) log.warn({ err: err.message, site: t.site, name }, 'snapshot cut short')
      })
    } catch (err) {
      failed(res, err)
    }
  }

  return { timeline, counterCamera, clip, sidecar, snapshots, snapshot }
}
