/**
 * Sign-in of the edge's supervisor page and the hub's console: the password
 * check both run, and the form post's route.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { HttpErrorCode } from '../errors.js'
import { isLang, type Lang } from '../i18n.js'
import type { Logger } from '../log.js'
import { verifyPassword } from '../secrets.js'
import { refuseCrossSite } from './answer.js'
import { clientAddress, isHttps } from './forwarded.js'
import type { Lockout } from './lockout.js'
import { readForm, sameOrigin, sendHtml } from './page.js'

// Verified when the username is unknown, so a wrong username costs the same time as a wrong password.
const DUMMY_HASH = 'scrypt:AAAAAAAAAAAAAAAAAAAAAA==:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='

/** The account when the password is its own; null for a wrong password or an unknown user; 'locked' while the address is. */
export async function checkPassword<A extends { passwordHash: string }>(
  lockout: Lockout, client: string, account: A | undefined, password: string,
): Promise<A | null | 'locked'> {
  if (lockout.locked(client)) return 'locked'
  const ok = await verifyPassword(password, account?.passwordHash ?? DUMMY_HASH)
  if (!ok || !account) {
    lockout.failed(client)
    return null
  }
  lockout.succeeded(client)
  return account
}

export interface SignInRoute<P> {
  /** The signed-in area's home, e.g. '/supervisor/': the redirect after sign-in, with ?lang=. */
  home: string
  csp: string
  /** The area's sign-in code, which refuses a cross-site post. */
  sessionCode: HttpErrorCode
  login(username: string, password: string, client: string): Promise<P | null | 'locked'>
  loginPage(lang: Lang, problem: 'failed' | 'locked'): string
  /** The Set-Cookie header of the new session. */
  cookie(p: P, secure: boolean): string
  log: Logger
  /** Log messages of a refusal and a sign-in, and what the latter logs of the principal. */
  said: { refused: string; signedIn: string }
  logged(p: P): Record<string, unknown>
}

/** POST of the sign-in form: same origin, form, throttled password check, then the session cookie and a redirect home. */
export async function signIn<P>(req: IncomingMessage, res: ServerResponse, o: SignInRoute<P>): Promise<void> {
  if (!sameOrigin(req)) return refuseCrossSite(res, o.sessionCode)
  const form = await readForm(req)
  const lang = isLang(form.get('lang')) ? (form.get('lang') as Lang) : 'vi'
  const username = form.get('username') ?? ''
  const client = clientAddress(req)
  const result = await o.login(username, form.get('password') ?? '', client)
  if (result === null || result === 'locked') {
    o.log.warn({ username: username.slice(0, 32), client, locked: result === 'locked' }, o.said.refused)
    return sendHtml(res, o.csp, result === 'locked' ? 429 : 401, o.loginPage(lang, result === 'locked' ? 'locked' : 'failed'))
  }
  o.log.info(o.logged(result), o.said.signedIn)
  res.writeHead(303, { location: `${o.home}?lang=${lang}`, 'set-cookie': o.cookie(result, isHttps(req)) })
  res.end()
}
