/**
 * API keys per consumer (hub config `apiKeys`). A key is a long random
 * secret, stored as a SHA-256 hash like edge tokens (common/secrets.ts).
 * A site-scoped key asking for another site gets 403 rather than an empty
 * answer, so a misconfigured display fails loudly instead of showing zeros.
 */
import type { IncomingMessage } from 'node:http'
import { MotcuaError } from '../../common/errors.js'
import { verifySecret } from '../../common/secrets.js'
import type { HubConfig } from '../config/schema.js'

export type ApiKey = HubConfig['apiKeys'][number]

export function presentedKey(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization
  if (auth?.startsWith('Bearer ')) return auth.slice('Bearer '.length).trim()
  const header = req.headers['x-api-key']
  return typeof header === 'string' ? header.trim() : undefined
}

export function authenticate(req: IncomingMessage, keys: readonly ApiKey[]): ApiKey {
  const presented = presentedKey(req)
  // Every key is checked, so the time taken does not tell which key came close.
  let found: ApiKey | undefined
  for (const k of keys) if (verifySecret(presented, k.keyHash) && !found) found = k
  if (!presented || !found) throw new MotcuaError('HUB_API_KEY_INVALID')
  return found
}

/**
 * The sites a request may read: what it asked for (undefined = no site
 * filter), narrowed by the key. An IOC key passes the request through.
 */
export function scopeSites(key: ApiKey, requested: readonly string[] | undefined): string[] | undefined {
  if (key.scope === 'ioc') return requested ? [...requested] : undefined
  const own = key.sites ?? []
  if (!requested) return [...own]
  const foreign = requested.filter((s) => !own.includes(s))
  if (foreign.length) throw new MotcuaError('HUB_API_FORBIDDEN', foreign.join(', '))
  return [...requested]
}
