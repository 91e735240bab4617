import type { DigestAuth } from '../auth/digest.js'
import { readUsernameToken, verifyUsernameToken, type NonceCache } from '../auth/wsse.js'
import type { PullPoints } from '../events/pull-points.js'
import * as device from '../soap/device.js'
import {
  ACTION_NOT_SUPPORTED, NOT_AUTHORIZED, NOT_WELL_FORMED, NS, RESOURCE_UNKNOWN, actionHeader, envelope, faultXml, noProfile,
  type SoapFault,
} from '../soap/envelope.js'
import * as events from '../soap/events.js'
import type { Notification } from '../soap/events.js'
import * as media from '../soap/media.js'
import { childText, durationOrTimeMs, firstBodyElement, isSoapEnvelope, section } from '../soap/xml.js'
import type { CameraQuirks } from '../quirks.js'
import type { CameraIdentity, StreamSettings } from '../types.js'

export interface SoapContext {
  identity: CameraIdentity
  stream: StreamSettings
  addrs: device.ServiceAddrs
  rtspUrl: () => string
  snapshotUrl: string
  pullPointUrl: (id: string) => string
  user: string
  /** The password the camera accepts right now. */
  password: () => string
  /** The camera's clock in ms (wall clock plus any skew). */
  cameraNow: () => number
  wallNow: () => number
  nonces: NonceCache
  digest: DigestAuth
  pullPoints: PullPoints
  /** Current property states, reported as Initialized to each new subscription. */
  initialNotifications: () => Notification[]
  quirks: CameraQuirks
}

export interface SoapRequest {
  xml: string
  path: string
  method: string
  authorization: string | undefined
  signal: AbortSignal
}

export interface SoapResponse {
  status: number
  body: string
  headers: Record<string, string>
  /** Why the request was refused, for the simulator's log (never the credentials). */
  authFailure?: string
}

/** ONVIF Core 5.9.4.3 access class PRE_AUTH: answered without credentials. */
const PRE_AUTH = new Set([
  'tds:GetSystemDateAndTime', 'tds:GetServices', 'tds:GetServiceCapabilities', 'tds:GetCapabilities',
  'tds:GetWsdlUrl', 'tds:GetHostname', 'tds:GetEndpointReference', 'trt:GetServiceCapabilities', 'tev:GetServiceCapabilities',
])

const PREFIX_BY_NS: Record<string, string> = {
  [NS.tds]: 'tds', [NS.trt]: 'trt', [NS.tev]: 'tev', [NS.wsnt]: 'wsnt',
}

/** Longest wait a PullMessages may ask for; ONVIF clients use PT1M. */
const MAX_PULL_TIMEOUT_MS = 60_000
const DEFAULT_TERMINATION_MS = 60_000

/** What a small CGI ONVIF server answers when it cannot build its answer (here: a Renew without the MessageID its RelatesTo needs). */
const ACTION_FAILED: SoapFault = { code: 'env:Receiver', subcodes: ['ter:Action', 'ter:ActionFailed'], reason: 'Action failed', httpStatus: 500 }

type Outcome = string | SoapFault

/** The request's wsa:MessageID, read in the Header only. */
const messageIdOf = (xml: string): string | undefined => childText(section(xml, 'Header') ?? '', 'MessageID')

const ok = (body: string, action: string, relatesTo: string | undefined): SoapResponse => ({
  status: 200, body: envelope(body, actionHeader(action, relatesTo)), headers: {},
})

export function faultResponse(f: SoapFault, extraHeaders: Record<string, string> = {}): SoapResponse {
  return { status: f.httpStatus, body: faultXml(f), headers: extraHeaders }
}

function authenticate(ctx: SoapContext, req: SoapRequest): SoapResponse | undefined {
  const now = ctx.wallNow()
  let digestFailure: string | undefined
  if (req.authorization?.startsWith('Digest ')) {
    const r = ctx.digest.verify(req.authorization, req.method, ctx.user, ctx.password(), now)
    if (r === 'ok') return undefined
    digestFailure = r
  }
  const token = readUsernameToken(req.xml)
  if (token) {
    const r = verifyUsernameToken(token, ctx.user, ctx.password(), ctx.cameraNow(), ctx.nonces)
    if (r === 'ok') return undefined
    if (!digestFailure) return { ...faultResponse(NOT_AUTHORIZED), authFailure: `wsse:${r}` }
  }
  // No usable WS-Security token: ask for HTTP digest as well (ONVIF Core 5.12.1).
  const challenge = ctx.digest.challenge(now, digestFailure === 'stale-nonce')
  return {
    ...faultResponse({ ...NOT_AUTHORIZED, httpStatus: 401 }, { 'WWW-Authenticate': challenge }),
    authFailure: digestFailure ? `digest:${digestFailure}` : 'no-credentials',
  }
}

function subscriptionId(req: SoapRequest): string {
  const fromPath = /\/pullpoint\/([\w-]+)/.exec(req.path)?.[1]
  if (fromPath) return fromPath
  return /\/pullpoint\/([\w-]+)/.exec(childText(req.xml, 'To') ?? '')?.[1] ?? ''
}

async function operate(ctx: SoapContext, op: string, req: SoapRequest): Promise<Outcome> {
  const xml = req.xml
  const now = ctx.cameraNow()
  switch (op) {
    case 'tds:GetSystemDateAndTime': return device.systemDateAndTime(now)
    case 'tds:GetDeviceInformation': return device.deviceInformation(ctx.identity)
    case 'tds:GetCapabilities': {
      const category = childText(xml, 'Category')
      if (!device.hasCapabilityCategory(category)) {
        return { code: 'env:Receiver', subcodes: ['ter:ActionNotSupported', 'ter:NoSuchService'], reason: `No ${category} service`, httpStatus: 500 }
      }
      return device.capabilities(ctx.addrs, category)
    }
    case 'tds:GetServices': return device.services(ctx.addrs, childText(xml, 'IncludeCapability') === 'true')
    case 'tds:GetServiceCapabilities': return device.serviceCapabilitiesResponse('tds')
    case 'trt:GetServiceCapabilities': return device.serviceCapabilitiesResponse('trt')
    case 'tev:GetServiceCapabilities': return device.serviceCapabilitiesResponse('tev')
    case 'tds:GetScopes': return device.scopes(ctx.identity)
    case 'tds:GetHostname': return device.hostname(ctx.identity)
    case 'trt:GetProfiles': return media.profiles(ctx.stream)
    case 'trt:GetProfile': {
      const token = childText(xml, 'ProfileToken') ?? ''
      return token === media.PROFILE_TOKEN ? media.oneProfile(ctx.stream) : noProfile(token)
    }
    case 'trt:GetVideoSources': return media.videoSources(ctx.stream)
    case 'trt:GetVideoEncoderConfigurations': return media.videoEncoderConfigurations(ctx.stream)
    case 'trt:GetVideoEncoderConfiguration':
    case 'trt:GetVideoEncoderConfigurationOptions': {
      const token = childText(xml, 'ConfigurationToken')
      const profileToken = childText(xml, 'ProfileToken')
      if (token !== undefined && token !== media.VIDEO_ENCODER_CONFIG_TOKEN) {
        return { code: 'env:Sender', subcodes: ['ter:InvalidArgVal', 'ter:NoConfig'], reason: `No such configuration: ${token}`, httpStatus: 400 }
      }
      if (profileToken !== undefined && profileToken !== media.PROFILE_TOKEN) return noProfile(profileToken)
      return op === 'trt:GetVideoEncoderConfiguration' ? media.videoEncoderConfiguration(ctx.stream) : media.videoEncoderConfigurationOptions(ctx.stream)
    }
    case 'trt:GetStreamUri':
    case 'trt:GetSnapshotUri': {
      const token = childText(xml, 'ProfileToken') ?? ''
      if (token !== media.PROFILE_TOKEN) return noProfile(token)
      return op === 'trt:GetStreamUri' ? media.streamUri(ctx.rtspUrl()) : media.snapshotUri(ctx.snapshotUrl)
    }
    case 'tev:GetEventProperties': return events.eventProperties(ctx.quirks)
    case 'tev:CreatePullPointSubscription': {
      const asked = durationOrTimeMs(childText(xml, 'InitialTerminationTime') ?? '', now)
      const ttl = Math.min(Math.max(asked ?? DEFAULT_TERMINATION_MS, 1000), ctx.quirks.maxLifetimeMs)
      const sub = ctx.pullPoints.create(now + ttl, ctx.initialNotifications())
      if (!sub) return { code: 'env:Receiver', subcodes: ['ter:Action', 'ter:MaxPullPoints'], reason: 'Too many pull points', httpStatus: 500 }
      return events.createPullPointResponse(ctx.pullPointUrl(sub.id), now, sub.terminationMs)
    }
    case 'tev:PullMessages': {
      const id = subscriptionId(req)
      const timeout = Math.min(durationOrTimeMs(childText(xml, 'Timeout') ?? '', now) ?? 0, MAX_PULL_TIMEOUT_MS)
      const limit = Math.min(Math.max(Number(childText(xml, 'MessageLimit') ?? '1') || 1, 1), 1024)
      const pending = ctx.pullPoints.pull(id, timeout, limit, req.signal)
      if (!pending) return RESOURCE_UNKNOWN
      const messages = await pending
      const term = ctx.pullPoints.terminationOf(id)
      return events.pullMessagesResponse(ctx.cameraNow(), term ?? ctx.cameraNow(), messages)
    }
    case 'tev:SetSynchronizationPoint': {
      ctx.pullPoints.publish(ctx.initialNotifications())
      return '<tev:SetSynchronizationPointResponse/>'
    }
    case 'wsnt:Renew': {
      const id = subscriptionId(req)
      const ttl = durationOrTimeMs(childText(xml, 'TerminationTime') ?? '', now)
      if (ttl === undefined) return { code: 'env:Sender', subcodes: ['ter:InvalidArgVal'], reason: 'TerminationTime is not a duration or time', httpStatus: 400 }
      const term = now + Math.min(Math.max(ttl, 1000), ctx.quirks.maxLifetimeMs)
      if (!ctx.pullPoints.renew(id, term)) return RESOURCE_UNKNOWN
      // As that server does it: the subscription is extended first, then the answer fails for want of a MessageID.
      const answered = !ctx.quirks.renewNeedsMessageId || messageIdOf(xml) !== undefined
      ctx.pullPoints.noteRenew(answered)
      return answered ? events.renewResponse(now, term) : ACTION_FAILED
    }
    case 'wsnt:Unsubscribe':
      return ctx.pullPoints.unsubscribe(subscriptionId(req)) ? events.unsubscribeResponse() : RESOURCE_UNKNOWN
    default:
      return ACTION_NOT_SUPPORTED
  }
}

/** Handles one SOAP POST: parse, authenticate (unless PRE_AUTH), dispatch by the Body's first element. */
export async function handleSoap(ctx: SoapContext, req: SoapRequest): Promise<SoapResponse> {
  if (!isSoapEnvelope(req.xml)) return faultResponse(NOT_WELL_FORMED)
  const el = firstBodyElement(req.xml)
  const prefix = el && PREFIX_BY_NS[el.ns]
  if (!el || !prefix) return faultResponse(ACTION_NOT_SUPPORTED)
  const op = `${prefix}:${el.local}`
  if (!PRE_AUTH.has(op)) {
    const refused = authenticate(ctx, req)
    if (refused) return refused
  }
  const outcome = await operate(ctx, op, req)
  if (typeof outcome !== 'string') return faultResponse(outcome)
  // gSOAP devices answer a request's wsa:MessageID with wsa:RelatesTo.
  return ok(outcome, `${el.ns}/${el.local}Response`, messageIdOf(req.xml))
}
