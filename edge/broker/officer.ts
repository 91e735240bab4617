import { verifyPin } from '../../common/secrets.js'
import type { DutyRoster } from '../ingest/duty.js'
import type { OfficerCommand, Rejection } from '../ingest/ingest.js'
import type { SiteIndex } from '../ingest/site.js'

/** Resolves null when the command was applied, or the rejection to send back to the kiosk. */
export type OfficerHandler = (command: OfficerCommand) => Promise<Rejection | null>

export interface SignInLimits {
  now: () => number
  /** Wrong PINs in a row from one kiosk, or for one officer, before it is locked out. */
  maxFailures?: number
  /** Wrong PINs at the whole site (any kiosk, any officer) before every sign-in waits. */
  maxSiteFailures?: number
  /** The first lockout; each further one in a row doubles, up to MAX_LOCKOUT_MS. */
  lockoutMs?: number
}

const MAX_LOCKOUT_MS = 60 * 60_000

interface Strikes {
  count: number
  lockedUntil: number
  /** Lockouts in a row: each doubles the next one. */
  lockouts: number
  lastAt: number
}

/**
 * Wrong-PIN counts per key. The keys are configured kiosks, configured
 * officers and the site, so the map holds at most one entry per configured
 * device and officer, plus one (issue 11, finding 7: a per-kiosk count alone
 * let anyone with two kiosks, or a tablet swap, keep guessing one officer).
 */
class Lockouts {
  private readonly strikes = new Map<string, Strikes>()

  constructor(private readonly lockoutMs: number) {}

  /** ms until `key` may try again, 0 when it may now. */
  waitMs(key: string, now: number): number {
    return Math.max(0, (this.strikes.get(key)?.lockedUntil ?? 0) - now)
  }

  fail(key: string, max: number, now: number): void {
    const s = this.strikes.get(key) ?? { count: 0, lockedUntil: 0, lockouts: 0, lastAt: now }
    // Wrong PINs far apart (a typo a day) are not a guessing run.
    if (now - s.lastAt > MAX_LOCKOUT_MS) Object.assign(s, { count: 0, lockouts: 0 })
    s.count++
    s.lastAt = now
    if (s.count >= max) {
      s.lockedUntil = now + Math.min(MAX_LOCKOUT_MS, this.lockoutMs * 2 ** s.lockouts)
      s.lockouts++
      s.count = 0
    }
    this.strikes.set(key, s)
  }

  clear(key: string): void {
    this.strikes.delete(key)
  }
}

const SITE = 'site'
const deviceKey = (device: string) => `device:${device}`
const officerKey = (officer: string) => `officer:${officer}`

/**
 * Kiosk sign-in checks the officer's PIN (scrypt, so it is async) and puts
 * them on duty at the kiosk's counter; sign-out needs the PIN of the officer
 * on duty and clears the counter. The roster's listeners republish the
 * counter's device config. PINs have 4–8 digits, so wrong PINs lock out the
 * kiosk, the officer and, past a higher count, the whole site for a while,
 * longer with each lockout in a row.
 */
export function officerSignIn(site: SiteIndex, duty: DutyRoster, limits: SignInLimits): OfficerHandler {
  const maxFailures = limits.maxFailures ?? 5
  const maxSiteFailures = limits.maxSiteFailures ?? 20
  const lockouts = new Lockouts(limits.lockoutMs ?? 5 * 60_000)

  const lockedOut = (device: string, officer: string | null, eventId: string): Rejection | null => {
    const now = limits.now()
    const waits: [number, string][] = [
      [lockouts.waitMs(deviceKey(device), now), 'from this kiosk'],
      [officer ? lockouts.waitMs(officerKey(officer), now) : 0, 'for this officer'],
      [lockouts.waitMs(SITE, now), 'at this site'],
    ]
    const [ms, where] = waits.reduce((a, b) => (b[0] > a[0] ? b : a))
    if (ms === 0) return null
    return { code: 'EDGE_PIN_WRONG', message: `too many wrong PINs ${where}; try again in ${Math.ceil(ms / 60_000)} min`, eventId }
  }

  return async ({ counter, device, message }) => {
    const signingOut = message.action === 'sign-out'
    // Sign-out proves itself with the PIN of whoever is on duty: anyone at the kiosk could otherwise end a shift.
    const claimed = signingOut ? duty.officerAt(counter) : message.officer
    if (signingOut && claimed === null) return null
    const refused = lockedOut(device, claimed && site.officers.has(claimed) ? claimed : null, message.id)
    if (refused) return refused
    const officer = claimed === null ? undefined : site.officers.get(claimed)
    const ok = officer?.pinHash ? await verifyPin(message.pin, officer.pinHash) : false
    const now = limits.now()
    if (!ok || !officer) {
      lockouts.fail(deviceKey(device), maxFailures, now)
      // Only configured officers get a count: random ids must not grow the map.
      if (officer) lockouts.fail(officerKey(officer.id), maxFailures, now)
      lockouts.fail(SITE, maxSiteFailures, now)
      return { code: 'EDGE_PIN_WRONG', message: 'officer id or PIN is wrong', eventId: message.id }
    }
    lockouts.clear(deviceKey(device))
    lockouts.clear(officerKey(officer.id))
    // Stored as a duty record before the kiosk is acknowledged (issue 15); a refused write leaves the counter as it was.
    await duty.change(counter, signingOut ? null : officer.id, { reason: signingOut ? 'sign-out' : 'sign-in', device, eventId: message.id })
    return null
  }
}
