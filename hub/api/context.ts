/** What every API handler gets: the parsed request, the key, and the shared query parts. */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Logger } from '../../common/log.js'
import type { Params } from '../../common/web/router.js'
import type { HubConfig } from '../config/schema.js'
import type { AlertStore } from '../alerts-store/store.js'
import type { AuditLog } from '../audit/audit.js'
import type { PointWriter } from '../influx/writer.js'
import type { InfluxQuery } from '../queries/client.js'
import type { Directory } from '../queries/directory.js'
import type { PastAnswers } from '../queries/past-answers.js'
import type { ApiKey } from './auth.js'

export interface ApiDeps {
  config: HubConfig
  db: InfluxQuery
  writer: PointWriter
  dir: Directory
  alerts: AlertStore
  /** Raw exports (officer ids, ticket numbers) go on it before they are sent. */
  audit: AuditLog
  log: Logger
  now: () => number
  /** SSE poll interval for new ratings (default 2 s), one poll for every stream of the instance. */
  streamPollMs?: number
  /** Answers about past days this instance keeps, shared with the console (hub/queries/past-answers.ts). */
  past?: PastAnswers
}

export interface ApiRequest {
  req: IncomingMessage
  res: ServerResponse
  key: ApiKey
  query: URLSearchParams
  /** Set when the path named the site: /api/v1/sites/{site}/… */
  pathSite?: string
  /** Path parameters other than the site, decoded (the alert id). */
  params: Params
}

export type ApiHandler = (r: ApiRequest, deps: ApiDeps) => Promise<void>
