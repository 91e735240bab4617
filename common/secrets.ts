/**
 * Device secrets and edge tokens are long random strings made by provisioning,
 * so a fast SHA-256 hash is enough and keeps a 1,000-box reconnect storm cheap.
 * Officer PINs are short and guessable, so they get scrypt with a salt.
 */
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto'
import { promisify } from 'node:util'

const scryptAsync = promisify(scrypt) as (pw: string, salt: Buffer, len: number, opts: object) => Promise<Buffer>
const SCRYPT_OPTS = { N: 16384, r: 8, p: 1 }

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
  const hash = await scryptAsync(pin, salt, 32, SCRYPT_OPTS)
  return `scrypt:${salt.toString('base64')}:${hash.toString('base64')}`
}

export async function verifyPin(pin: string, stored: string): Promise<boolean> {
  const [scheme, salt, hash] = stored.split(':')
  if (scheme !== 'scrypt' || !salt || !hash) return false
  const expected = Buffer.from(hash, 'base64')
  const actual = await scryptAsync(pin, Buffer.from(salt, 'base64'), expected.length, SCRYPT_OPTS)
  return timingSafeEqual(actual, expected)
}

/** Supervisor passwords use the same salted scrypt as PINs; the names say which secret a caller handles. */
export const hashPassword = hashPin
export const verifyPassword = verifyPin
