/**
 * Device secrets and edge tokens are long random strings made by provisioning,
 * so a fast SHA-256 hash is enough and keeps a 1,000-box reconnect storm cheap.
 * Officer PINs are short and guessable, so they get scrypt with a salt.
 */
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto'
import { promisify } from 'node:util'

const scryptAsync = promisify(scrypt) as (pw: string, salt: Buffer, len: number, opts: object) => Promise<Buffer>
/**
 * scrypt work as a power of two, stored in each hash ("scrypt:15:salt:hash")
 * so it can rise without invalidating the hashes already in configs; the old
 * three-part form is 2^14. Memory stays at N = 2^14, r = 8 (16 MiB): more
 * work comes as more passes (p = 2^(cost-14)), because on a Pi with an
 * 80 MB budget each 2^15 hash held 32 MiB that the allocator then kept. Cost
 * 15 takes about 0.1 s here, some 0.4 s on a Raspberry Pi 4. No cost makes a
 * 4-6 digit PIN safe from someone holding the config file (10^6 guesses is
 * about a day of one core); what protects PINs is the file's permissions
 * (docs/pi.md) and the online lockouts.
 */
const COST = 15
const LEGACY_COST = 14
const LOG_N = 14
const scryptOpts = (cost: number) => {
  const p = 2 ** (cost - LOG_N)
  return { N: 2 ** LOG_N, r: 8, p, maxmem: 128 * 8 * (2 ** LOG_N + p + 2) + (1 << 20) }
}

/**
 * Verifications run one at a time: each holds 16 MiB while it runs, and a
 * burst of sign-ins on four libuv threads would hold four (and the allocator
 * would keep them). A queue of sign-ins waits instead; lockouts bound it.
 */
let verifying: Promise<unknown> = Promise.resolve()
function oneAtATime<T>(work: () => Promise<T>): Promise<T> {
  const run = verifying.then(work)
  verifying = run.catch(() => undefined)
  return run
}

export function newSecret(): string {
  return randomBytes(32).toString('base64url')
}

export function hashSecret(secret: string): string {
  return `sha256:${createHash('sha256').update(secret, 'utf8').digest('hex')}`
}

/** Constant-time check of a presented secret against a stored "sha256:<hex>" hash. */
export function verifySecret(presented: string | Buffer | undefined, stored: string): boolean {
  if (presented === undefined) return false
  const digest = createHash('sha256').update(presented).digest()
  const expected = Buffer.from(stored.slice('sha256:'.length), 'hex')
  return expected.length === digest.length && timingSafeEqual(digest, expected)
}

export async function hashPin(pin: string): Promise<string> {
  const salt = randomBytes(16)
  const hash = await scryptAsync(pin, salt, 32, scryptOpts(COST))
  return `scrypt:${COST}:${salt.toString('base64')}:${hash.toString('base64')}`
}

export async function verifyPin(pin: string, stored: string): Promise<boolean> {
  const parts = stored.split(':')
  if (parts[0] !== 'scrypt') return false
  const [cost, salt, hash] = parts.length === 4 ? [Number(parts[1]), parts[2], parts[3]] : [LEGACY_COST, parts[1], parts[2]]
  // A stored cost outside this range is a damaged or hostile config, not a hash to spend minutes on.
  if (!salt || !hash || !Number.isInteger(cost) || cost < LEGACY_COST || cost > 20) return false
  const expected = Buffer.from(hash, 'base64')
  if (expected.length === 0) return false
  const actual = await oneAtATime(() => scryptAsync(pin, Buffer.from(salt, 'base64'), expected.length, scryptOpts(cost)))
  return timingSafeEqual(actual, expected)
}

/** Supervisor passwords use the same salted scrypt as PINs; the names say which secret a caller handles. */
export const hashPassword = hashPin
export const verifyPassword = verifyPin
