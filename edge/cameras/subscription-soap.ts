/**
 * The edge's own SOAP for a PullPoint subscription's manager: Renew and
 * Unsubscribe (OASIS WS-BaseNotification, as ONVIF Events uses it). Pure.
 *
 * The `onvif` package (0.8.3) sends both without WS-Addressing headers other
 * than wsa:To (its source has "TODO Add a:MessageID" there). Cameras built
 * on a small CGI ONVIF server answer a Renew without wsa:MessageID with a
 * fault, because the answer's wsa:RelatesTo must name it; the edge then
 * re-subscribed once a minute for ever. So these requests carry wsa:MessageID,
 * wsa:To and wsa:Action as the ONVIF Core spec's examples do. The envelope and
 * its WS-Security header still come from the package (OnvifClient), so the
 * camera sees one client.
 */
import { child, parseEnvelope, path, textOf } from './xml.js'

const escapeXmlText = (text: string) => text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`)

const WSN_BW = 'http://docs.oasis-open.org/wsn/bw-2/SubscriptionManager'
const WSN_B = 'http://docs.oasis-open.org/wsn/b-2'

export type SubscriptionOperation = 'Renew' | 'Unsubscribe'

/** Where a subscription lives: the manager's address, and the reference parameter some cameras (Axis) add. */
export interface SubscriptionRef {
  address: string
  subscriptionId: string | null
}

/** What a request to the subscription manager needs: header entries, body and the action for the Content-Type. */
export interface SubscriptionRequest {
  /** Header entries, placed after the WS-Security header in an envelope declaring s: (SOAP 1.2) and a: (WS-Addressing 2005/08). */
  headers: string
  /** The whole s:Body element. */
  body: string
  action: string
}

/** The subscription lifetime the edge asks for, as the `onvif` package asks it in CreatePullPointSubscription. */
export const REQUESTED_LIFETIME = 'PT2M'

export function subscriptionRequest(op: SubscriptionOperation, ref: SubscriptionRef, messageId: string): SubscriptionRequest {
  const action = `${WSN_BW}/${op}Request`
  const headers =
    `<a:MessageID>${escapeXmlText(messageId)}</a:MessageID>` +
    `<a:To s:mustUnderstand="1">${escapeXmlText(ref.address)}</a:To>` +
    `<a:Action s:mustUnderstand="1">${action}</a:Action>` +
    (ref.subscriptionId === null
      ? ''
      : `<SubscriptionId xmlns="http://www.axis.com/2009/event" a:IsReferenceParameter="true">${escapeXmlText(ref.subscriptionId)}</SubscriptionId>`)
  const inner = op === 'Renew'
    ? `<Renew xmlns="${WSN_B}"><TerminationTime>${REQUESTED_LIFETIME}</TerminationTime></Renew>`
    : `<Unsubscribe xmlns="${WSN_B}"/>`
  return { headers, body: `<s:Body>${inner}</s:Body>`, action }
}

/**
 * Pure: how long the camera granted, from a CreatePullPointSubscription or
 * Renew answer's CurrentTime and TerminationTime (both on the camera's clock,
 * so its offset from ours does not matter); null when either is missing or
 * not a date.
 */
export function grantedLifetimeMs(currentTime: unknown, terminationTime: unknown): number | null {
  const ms = (v: unknown) => (v instanceof Date ? v.getTime() : typeof v === 'string' ? Date.parse(v.trim()) : NaN)
  const granted = ms(terminationTime) - ms(currentTime)
  return Number.isFinite(granted) ? granted : null
}

/**
 * Pure: the lifetime a Renew answer grants, or null when it does not say
 * (no times, no RenewResponse, or XML only the package's lenient reader
 * takes). The answer was no SOAP fault (the package turns those into errors),
 * so the camera renewed; the edge then renews again on its default period.
 */
export function renewResponseLifetimeMs(xml: string): number | null {
  let response
  try {
    response = path(parseEnvelope(xml), 'Body', 'RenewResponse')
  } catch {
    return null
  }
  return response === undefined ? null : grantedLifetimeMs(textOf(child(response, 'CurrentTime')), textOf(child(response, 'TerminationTime')))
}

/**
 * Pure: how often to renew a subscription the camera granted for
 * `lifetimeMs`: at half of it, so one lost Renew still leaves time for the
 * next, and at least every 30 s; not more often than every second. Unknown
 * lifetime: every 30 s (the edge asks for 2 min).
 */
export function renewEveryMs(lifetimeMs: number | null): number {
  if (lifetimeMs === null || !Number.isFinite(lifetimeMs)) return 30_000
  return Math.min(30_000, Math.max(1000, Math.floor(lifetimeMs / 2)))
}
