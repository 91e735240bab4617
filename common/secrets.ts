/**
 * Device secrets and edge tokens are long random strings made by provisioning,
 * so a fast SHA-256 hash is enough and keeps a 1,000-box reconnect storm cheap.
 * Officer PINs are short and guessable, so they get scrypt with a salt.
 */
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto'
import { promisify } from 'node:util'

const scryptAsync = promisify(scrypt) as (pw: string, salt: Buffer, len: number, opts: object) => Promise<Buffer>
/**
 * scrypt cost as a power of two, stored in each hash ("scrypt:15:salt:hash")
 * so it can rise without invalidating the hashes already in configs; the old
 * three-part form is 2^14. 2^15 with r=8 takes 32 MiB and about 0.1 s here,
 * some 0.4 s on a Raspberry Pi 4: bearable once per sign-in. No cost makes a
 * 4-6 digit PIN safe from someone holding the config file (10^6 guesses is
 * about a day of one core); what protects PINs is the file's permissions
 * (docs/pi.md) and the online lockouts.
 */
const LOG_N = 15
const LEGACY_LOG_N = 14
const scryptOpts = (logN: number) => ({ N: 2 ** logN, r: 8, p: 1, maxmem: 2 * 128 * 8 * 2 ** logN })

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
  const hash = await scryptAsync(pin, salt, 32, scryptOpts(LOG_N))
  return `scrypt:${LOG_N}:${salt.toString('base64')}:${hash.toString('base64')}`
}

export async function verifyPin(pin: string, stored: string): Promise<boolean> {
  const parts = stored.split(':')
  if (parts[0] !== 'scrypt') return false
  const [logN, salt, hash] = parts.length === 4 ? [Number(parts[1]), parts[2], parts[3]] : [LEGACY_LOG_N, parts[1], parts[2]]
  // A stored cost outside this range is a damaged or hostile config, not a hash to spend minutes on.
  if (!salt || !hash || !Number.isInteger(logN) || logN < LEGACY_LOG_N || logN > 20) return false
  const expected = Buffer.from(hash, 'base64')
  if (expected.length === 0) return false
  const actual = await scryptAsync(pin, Buffer.from(salt, 'base64'), expected.length, scryptOpts(logN))
  return timingSafeEqual(actual, expected)
}

/** Supervisor passwords use the same salted scrypt as PINs; the names say which secret a caller handles. */
export const hashPassword = hashPin
export const verifyPassword = verifyPin
