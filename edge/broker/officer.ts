import { verifyPin } from '../../common/secrets.js'
import type { DutyRoster } from '../ingest/duty.js'
import type { OfficerCommand, Rejection } from '../ingest/ingest.js'
import type { SiteIndex } from '../ingest/site.js'

/** Resolves null when the command was applied, or the rejection to send back to the kiosk. */
export type OfficerHandler = (command: OfficerCommand) => Promise<Rejection | null>

export interface SignInLimits {
  now: () => number
  /** Wrong PINs in a row from one kiosk before it is locked out. */
  maxFailures?: number
  lockoutMs?: number
}

/**
 * Kiosk sign-in checks the officer's PIN (scrypt, so it is async) and puts
 * them on duty at the kiosk's counter; sign-out clears the counter. The
 * roster's listeners republish the counter's device config. PINs have 4–8
 * digits, so a kiosk that keeps guessing is locked out for a while.
 */
export function officerSignIn(site: SiteIndex, duty: DutyRoster, limits: SignInLimits): OfficerHandler {
  const maxFailures = limits.maxFailures ?? 5
  const lockoutMs = limits.lockoutMs ?? 5 * 60_000
  const failures = new Map<string, { count: number; lockedUntil: number }>()

  return async ({ counter, device, message }) => {
    if (message.action === 'sign-out') {
      duty.setOfficer(counter, null)
      return null
    }
    const f = failures.get(device)
    if (f && f.lockedUntil > limits.now()) {
      const minutes = Math.ceil((f.lockedUntil - limits.now()) / 60_000)
      return { code: 'EDGE_PIN_WRONG', message: `too many wrong PINs from this kiosk; try again in ${minutes} min`, eventId: message.id }
    }
    const officer = site.officers.get(message.officer)
    const ok = officer?.pinHash ? await verifyPin(message.pin, officer.pinHash) : false
    if (!ok || !officer) {
      const count = (f?.count ?? 0) + 1
      failures.set(device, { count: count >= maxFailures ? 0 : count, lockedUntil: count >= maxFailures ? limits.now() + lockoutMs : 0 })
      return { code: 'EDGE_PIN_WRONG', message: 'officer id or PIN is wrong', eventId: message.id }
    }
    failures.delete(device)
    duty.setOfficer(counter, officer.id)
    return null
  }
}
