/**
 * Ways real cameras differ from the spec's examples, each off by default, so
 * the suite covers what field devices send (docs/camera-simulator.md
 * "Quirks"). The first ones come from a third-party open-source ONVIF server
 * many low-cost cameras' alternative firmware runs (a CGI server with a
 * WS-Discovery daemon), the one the edge was first pointed at.
 */

/** Which topic and data item carry tamper. */
export type TamperShape =
  /** tns1:VideoSource/GlobalSceneChange/ImagingService, data item State (the default). */
  | 'scene-change'
  /** tns1:RuleEngine/TamperDetector/Tamper, data item IsTamper (as the ONVIF analytics spec names it). */
  | 'tamper-detector'
  /** tns1:RuleEngine/TamperDetector/Tamper, data item State (as the CGI firmware sends it). */
  | 'tamper-detector-state'

export interface CameraQuirks {
  /** WS-Discovery ProbeMatches carry a wsa:ReplyTo/wsa:Address header (the anonymous role URI) before the body's endpoint reference. */
  replyToHeader: boolean
  /**
   * A Renew without a wsa:MessageID header is answered with a fault
   * (env:Receiver, ter:Action/ter:ActionFailed, HTTP 500) because the answer's
   * wsa:RelatesTo needs it; the subscription is extended all the same, as
   * that server does it.
   */
  renewNeedsMessageId: boolean
  tamper: TamperShape
  /** Boolean event data as `1`/`0` instead of `true`/`false` (both are xs:boolean). */
  booleanDigits: boolean
  /** Pull points the camera keeps at once; more are refused (ONVIF Events lets a device cap them). */
  maxPullPoints: number
  /** Longest lifetime the camera grants a subscription (Create or Renew), whatever is asked; ms. */
  maxLifetimeMs: number
}

export const DEFAULT_QUIRKS: CameraQuirks = {
  replyToHeader: false, renewNeedsMessageId: false, tamper: 'scene-change', booleanDigits: false, maxPullPoints: 10, maxLifetimeMs: 3600_000,
}

/** The CGI firmware the edge met first, as one preset: all of its differences at once (8 subscription slots, as measured). */
export const CGI_FIRMWARE: Partial<CameraQuirks> = { replyToHeader: true, renewNeedsMessageId: true, tamper: 'tamper-detector-state', maxPullPoints: 8 }

/**
 * Pure: quirks from the CLI's comma-separated list:
 * `reply-to`, `renew-message-id`, `tamper-detector`, `tamper-state`,
 * `boolean-digits`, `slots=N`, `lifetime=S` (seconds), and `cgi-firmware`
 * (the preset above). Throws on anything else.
 */
export function parseQuirks(list: string): Partial<CameraQuirks> {
  const q: Partial<CameraQuirks> = {}
  for (const item of list.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [name, value] = item.split('=', 2) as [string, string | undefined]
    const n = Number(value)
    switch (name) {
      case 'reply-to': q.replyToHeader = true; break
      case 'renew-message-id': q.renewNeedsMessageId = true; break
      case 'tamper-detector': q.tamper = 'tamper-detector'; break
      case 'tamper-state': q.tamper = 'tamper-detector-state'; break
      case 'boolean-digits': q.booleanDigits = true; break
      case 'cgi-firmware': Object.assign(q, CGI_FIRMWARE); break
      case 'slots':
        if (!Number.isInteger(n) || n < 1) throw new Error(`slots=${value ?? ''}: expected a whole number of at least 1`)
        q.maxPullPoints = n
        break
      case 'lifetime':
        if (!Number.isFinite(n) || n < 1) throw new Error(`lifetime=${value ?? ''}: expected seconds, at least 1`)
        q.maxLifetimeMs = n * 1000
        break
      default:
        throw new Error(`unknown quirk "${item}" (reply-to, renew-message-id, tamper-detector, tamper-state, boolean-digits, slots=N, lifetime=S, cgi-firmware)`)
    }
  }
  return q
}
