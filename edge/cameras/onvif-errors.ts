/**
 * What went wrong talking to a camera, in the terms the health state machine
 * needs: a wrong password and a refused timestamp are not "offline".
 */
import { stripCredentials } from '../../common/credentials.js'

export type OnvifFailure = 'auth' | 'timeout' | 'unreachable' | 'malformed' | 'fault' | 'closed'

export class OnvifCallError extends Error {
  constructor(readonly failure: OnvifFailure, message: string) {
    super(message)
    this.name = 'OnvifCallError'
  }
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ECONNABORTED'])

/** Pure: maps an error from the onvif package (and the raw answer, if any) to a failure kind. */
export function classifyOnvifError(what: string, err: Error, xml: string | undefined): OnvifCallError {
  if (err instanceof OnvifCallError) return err
  const code = (err as NodeJS.ErrnoException).code
  const text = `${err.message} ${xml ?? ''}`.toLowerCase()
  // The onvif package quotes the URLs it called; ours may carry credentials.
  const msg = stripCredentials(`${what}: ${err.message}`).slice(0, 160)
  if (code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT' || /network timeout|timed? ?out/.test(err.message.toLowerCase()))
    return new OnvifCallError('timeout', msg)
  if (code && UNREACHABLE.has(code)) return new OnvifCallError('unreachable', msg)
  if (/socket hang up/.test(text)) return new OnvifCallError('unreachable', msg)
  // ONVIF Core 5.12.1: ter:NotAuthorized for WS-Security, HTTP 401 for digest.
  if (/notauthorized|not authorized|unauthorized|authentication failed|digest authentication|sender not auth/.test(text))
    return new OnvifCallError('auth', msg)
  if (/wrong onvif soap response|unexpected|non-whitespace|unclosed|invalid character|attribute without value|unmatched|text data outside|cannot read prop|undefined/.test(text))
    return new OnvifCallError('malformed', msg)
  return new OnvifCallError('fault', msg)
}
