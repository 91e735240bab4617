import { verifyPin } from '../../common/secrets.js'
import type { DutyRoster } from '../ingest/duty.js'
import type { OfficerCommand, Rejection } from '../ingest/ingest.js'
import type { SiteIndex } from '../ingest/site.js'

/** Resolves null when the command was applied, or the rejection to send back to the kiosk. */
export type OfficerHandler = (command: OfficerCommand) => Promise<Rejection | null>

/**
 * Kiosk sign-in checks the officer's PIN (scrypt, so it is async) and puts
 * them on duty at the kiosk's counter; sign-out clears the counter. The
 * roster's listeners republish the counter's device config.
 */
export function officerSignIn(site: SiteIndex, duty: DutyRoster): OfficerHandler {
  return async ({ counter, message }) => {
    if (message.action === 'sign-out') {
      duty.setOfficer(counter, null)
      return null
    }
    const officer = site.officers.get(message.officer)
    const ok = officer?.pinHash ? await verifyPin(message.pin, officer.pinHash) : false
    if (!ok || !officer) return { code: 'EDGE_PIN_WRONG', message: 'officer id or PIN is wrong', eventId: message.id }
    duty.setOfficer(counter, officer.id)
    return null
  }
}
