/**
 * /public/: the published results, open to anyone (no sign-in, no personal
 * data). `/public/` lists every site of the hub with its departments;
 * `/public/lobby/<site>` is the display for a Center's hall. Figures come
 * from one shared computation per scope and interval (cache.ts), answered
 * with an ETag and a public Cache-Control, so a proxy or the browser itself
 * can answer repeats too (docs/public.md).
 */
import { createHash } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Lang } from '../../common/i18n.js'
import type { Logger } from '../../common/log.js'
import { sendMiss, type RouteHandler } from '../../common/web/answer.js'
import { sendHtml } from '../../common/web/page.js'
import { Router } from '../../common/web/router.js'
import { HUB_ANSWERS, type Mount } from '../http/server.js'
import { bucketOf } from '../kpi/time.js'
import type { InfluxQuery } from '../queries/client.js'
import type { Directory } from '../queries/directory.js'
import { choiceOf } from '../queries/periods.js'
import { queryRatingKpisBy } from '../queries/ratings.js'
import { createSharedCache } from './cache.js'
import { lobbyPageHtml, messagePage, PUBLIC_CSP, publicPage } from './html.js'
import { publicView, type PublicView } from './view.js'

/** How long one computation of a scope serves every request (default 60 s). */
export const PUBLIC_TTL_MS = 60_000
const ALL = 'all'
const siteScope = (site: string) => `site:${site}`

export interface PublicOptions {
  db: InfluxQuery
  dir: Directory
  now: () => number
  log: Logger
  ttlMs?: number
}

/** This month's figures of every site (`all`) or of one (`site:<id>`): the one read the pages make. */
export async function readPublicView(db: InfluxQuery, dir: Directory, scope: string, computedAt: number): Promise<PublicView> {
  const period = bucketOf(computedAt, 'month')
  const only = scope === ALL ? undefined : scope.slice(siteScope('').length)
  const [bySite, byDepartment] = await queryRatingKpisBy(db, dir, { period: choiceOf(period), filter: only ? { site: [only] } : {} }, [['site'], ['site', 'department']])
  return publicView({
    period,
    computedAt,
    sites: (only ? [dir.site(only)] : dir.sites).map((s) => ({ id: s.id, name: s.name })),
    bySite: bySite!,
    byDepartment: byDepartment!,
    departmentsOf: (site) => dir.departments(site),
    departmentName: (site, id) => dir.departmentName(site, id),
  })
}

export function createPublic(o: PublicOptions): Mount {
  const ttlMs = o.ttlMs ?? PUBLIC_TTL_MS
  const log = o.log.child({ module: 'public' })
  const cache = createSharedCache<PublicView>({
    ttlMs,
    now: o.now,
    compute: (scope) => readPublicView(o.db, o.dir, scope, o.now()),
    onRefreshError: (scope, err) => log.warn({ err, scope }, 'published results not refreshed; the last ones are shown'),
  })
  const langOf = (url: URL): Lang => (url.searchParams.get('lang') === 'en' ? 'en' : 'vi')

  /** The page, or 304 when the browser holds it already; public caches may keep it for the interval. */
  const answer = (req: IncomingMessage, res: ServerResponse, body: string) => {
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`
    const headers = {
      'cache-control': `public, max-age=${Math.round(ttlMs / 1000)}`,
      etag,
      'content-security-policy': PUBLIC_CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    }
    if (req.headers['if-none-match'] === etag) return void res.writeHead(304, headers).end()
    res.writeHead(200, { ...headers, 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body) })
    res.end(body)
  }

  const figures = async (res: ServerResponse, scope: string, lang: Lang): Promise<PublicView | null> => {
    try {
      return (await cache.get(scope)).value
    } catch (err) {
      log.warn({ err, scope }, 'published results not read')
      sendHtml(res, PUBLIC_CSP, 503, messagePage('unavailable', lang), { 'retry-after': String(Math.round(ttlMs / 1000)) })
      return null
    }
  }

  const routes = new Router<RouteHandler>()
    .add('GET', '/public', (_req, res) => void res.writeHead(301, { location: '/public/' }).end())
    .add('GET', '/public/', async (req, res, url) => {
      const lang = langOf(url)
      const view = await figures(res, ALL, lang)
      if (view) answer(req, res, publicPage(view, lang))
    })
    .add('GET', '/public/lobby/:site', async (req, res, url, params) => {
      const lang = langOf(url)
      const id = params.site ?? ''
      // Only the hub's sites: an unknown id must not start a computation (or hold a cache entry).
      if (!o.dir.sites.some((s) => s.id === id)) return sendHtml(res, PUBLIC_CSP, 404, messagePage('notFound', lang))
      const view = await figures(res, siteScope(id), lang)
      if (view) answer(req, res, lobbyPageHtml(view.sites[0]!, view, lang, Number(url.searchParams.get('page')) || 0))
    })

  return {
    prefix: '/public',
    handle(req, res, url) {
      const method = req.method ?? 'GET'
      const m = routes.match(method, url.pathname)
      if (m.kind === 'found') return m.handler(req, res, url, m.params)
      sendMiss(res, m, HUB_ANSWERS.codes, `${method} ${url.pathname}`)
    },
  }
}
