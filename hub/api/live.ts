/**
 * Live camera video for another video system (issue 17; seed 000 task 16:
 * the Home Affairs monitoring system), at /api/v1/live: the camera list, and
 * one camera as a continuous fragmented MP4 over HTTP(S), the same pieces the
 * console's live view gets through the relay (no transcoding, one upstream
 * per camera however many watch). Behind an API key with `video: true`, a
 * site-scoped key for its own sites only; every stream is a viewing on the
 * audit log (start, then end with its duration), and is not sent when its
 * start cannot be stored. Why fMP4 over HTTP and not HLS or RTSP:
 * docs/recordings.md.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { httpStatus, isMotcuaError, MotcuaError } from '../../common/errors.js'
import type { Viewer } from '../../common/live/channel.js'
import type { Logger } from '../../common/log.js'
import { NO_STORE, sendCaught, sendError, sendJson, sendMiss } from '../../common/web/answer.js'
import { Router, type Params } from '../../common/web/router.js'
import { ID_PATTERN } from '../../protocol/patterns.js'
import type { AuditLog } from '../audit/audit.js'
import type { HubConfig } from '../config/schema.js'
import { HUB_ANSWERS, type Mount } from '../http/server.js'
import type { Directory } from '../queries/directory.js'
import type { Relay } from '../relay/relay.js'
import { authenticate, type ApiKey } from './auth.js'

export const LIVE_PREFIX = '/api/v1/live'
/** Streams one instance serves at once to other systems; past it 429, as for the event streams. */
const MAX_STREAMS = 64
/** A client this far behind is cut off (the channel already skips it to keyframes past 4 MB). */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024

export interface LiveApiOptions {
  config: Pick<HubConfig, 'apiKeys'>
  relay: Pick<Relay, 'cameras' | 'camera' | 'watch'>
  audit: AuditLog
  directory: Directory
  log: Logger
  client(req: IncomingMessage): string
}

/** Pure: whether a key may pull a site's live video. */
export const keyMayWatch = (key: ApiKey, site: string): boolean => key.video && (key.scope === 'ioc' || (key.sites ?? []).includes(site))

/**
 * Pure: an HTTP response as a live viewer. The first init segment opens the file; a second one means the
 * camera's stream restarted with a new init, which no MP4 reader takes mid-file, so the response ends there and
 * the client connects again (as it does after any cut).
 */
export function httpViewer(res: ServerResponse, onEnd: () => void): Viewer {
  let started = false
  const write = (data: Buffer) => {
    if (res.writableLength > MAX_BUFFERED_BYTES) return void res.destroy()
    res.write(data)
  }
  return {
    init(_codec, data) {
      if (started) {
        res.end()
        return onEnd()
      }
      started = true
      write(data)
    },
    fragment: (data) => {
      if (started) write(data)
    },
    interrupted: () => undefined,
    backlog: () => res.writableLength,
  }
}

export function createLiveApi(o: LiveApiOptions): Mount {
  const log = o.log.child({ module: 'live-api' })
  let open = 0

  async function list(res: ServerResponse, key: ApiKey): Promise<void> {
    const cams = o.relay.cameras().filter((c) => keyMayWatch(key, c.site))
    sendJson(res, 200, {
      data: cams.map((c) => ({
        site: c.site, siteName: o.directory.site(c.site).name, camera: c.id, name: c.name, counter: c.counter,
        edgeConnected: c.edgeConnected, url: `${LIVE_PREFIX}/${c.site}/${c.id}`,
      })),
    }, NO_STORE)
  }

  async function stream(req: IncomingMessage, res: ServerResponse, key: ApiKey, p: Params): Promise<void> {
    const site = p.site ?? ''
    const camera = p.camera ?? ''
    if (!ID_PATTERN.test(site) || !ID_PATTERN.test(camera)) throw new MotcuaError('HUB_QUERY_INVALID', 'site and camera are ids')
    if (!keyMayWatch(key, site)) throw new MotcuaError('HUB_API_FORBIDDEN', key.video ? site : 'live video is for keys configured with video: true')
    if (!o.relay.camera(site, camera)) throw new MotcuaError('HUB_CAMERA_UNKNOWN', `${site}/${camera}`)
    if (open >= MAX_STREAMS) throw new MotcuaError('HUB_STREAM_LIMIT', `${MAX_STREAMS} live streams on this instance`)
    open++
    let viewing
    try {
      viewing = await o.audit.viewing({ username: key.id, role: 'api' }, site, camera, o.client(req))
    } catch (err) {
      open--
      log.error({ err, key: key.id, site, camera }, 'live stream refused: its viewing could not be put on the audit log')
      throw new MotcuaError('HUB_AUDIT_UNAVAILABLE', undefined, { cause: err })
    }
    res.writeHead(200, { 'content-type': 'video/mp4', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' })
    log.info({ key: key.id, site, camera, viewing: viewing.id }, 'live stream opened for another system')
    let detach: (() => void) | null = null
    const done = () => {
      if (!detach) return
      detach()
      detach = null
      open--
      void viewing.end()
      log.info({ key: key.id, site, camera, viewing: viewing.id }, 'live stream closed')
    }
    res.once('close', done)
    detach = o.relay.watch(site, camera, httpViewer(res, done))
  }

  const routes = new Router<(req: IncomingMessage, res: ServerResponse, key: ApiKey, p: Params) => Promise<void>>()
    .add('GET', LIVE_PREFIX, (_req, res, key) => list(res, key))
    .add('GET', `${LIVE_PREFIX}/:site/:camera`, stream)

  return {
    prefix: LIVE_PREFIX,
    handle(req, res, url) {
      const m = routes.match(req.method ?? 'GET', url.pathname)
      if (m.kind !== 'found') return sendMiss(res, m, HUB_ANSWERS.codes, `${req.method ?? 'GET'} ${url.pathname}`)
      Promise.resolve()
        .then(() => m.handler(req, res, authenticate(req, o.config.apiKeys), m.params))
        .catch((err: unknown) => {
          const status = isMotcuaError(err) ? httpStatus(err.code) : undefined
          if (!status) log.error({ err, path: url.pathname }, 'live api request failed')
          if (res.headersSent) return void res.destroy()
          if (!sendCaught(res, err, status === 401 ? { 'www-authenticate': 'Bearer' } : {})) sendError(res, 'HUB_INTERNAL')
        })
    },
  }
}
