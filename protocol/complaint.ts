/**
 * A citizen's complaint after a dissatisfied rating (issue 16): a short
 * comment and a phone number for a call back, both optional but not both
 * empty, given with consent on the kiosk. Bare checks with no zod, so the
 * kiosk's browser bundle checks a form the way the edge checks the message
 * (protocol/messages.ts complaintMessage uses the same functions).
 */

/** Characters (UTF-16 code units, as a textarea's maxlength counts them) of the comment. */
export const MAX_COMPLAINT_COMMENT = 500

/**
 * Vietnamese numbers as dialled inside the country: mobiles are 10 digits
 * (03x, 05x, 07x, 08x, 09x), landlines 11 (02x + area code + subscriber).
 */
export const VN_PHONE_PATTERN = /^0(?:[35789][0-9]{8}|2[0-9]{9})$/

/**
 * The number in its national form, or null when it is not a Vietnamese phone
 * number. Spaces, dots and dashes people type are dropped; +84 and 84 become 0.
 */
export function normalizeVnPhone(raw: string): string | null {
  const compact = raw.trim().replace(/[\s.\-()]/g, '')
  if (compact.length > 16) return null
  const national = compact.startsWith('+84') ? `0${compact.slice(3)}` : /^84[0-9]{9,10}$/.test(compact) ? `0${compact.slice(2)}` : compact
  return VN_PHONE_PATTERN.test(national) ? national : null
}

export type ComplaintProblem = 'empty' | 'comment_too_long' | 'phone_invalid' | 'consent_missing'

/** What is wrong with a form, in the order a citizen would fix it; empty when it may be sent. */
export function complaintProblems(input: { comment: string; phone: string; consent: boolean }): ComplaintProblem[] {
  const out: ComplaintProblem[] = []
  const comment = input.comment.trim()
  const phone = input.phone.trim()
  if (comment === '' && phone === '') out.push('empty')
  if (comment.length > MAX_COMPLAINT_COMMENT) out.push('comment_too_long')
  if (phone !== '' && normalizeVnPhone(phone) === null) out.push('phone_invalid')
  if (!input.consent) out.push('consent_missing')
  return out
}
