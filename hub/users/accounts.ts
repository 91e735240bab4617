/**
 * Console sign-in against the users in the hub config: scrypt passwords, the
 * same time spent for an unknown user as for a wrong password, and a per
 * address failure count (per instance: a guesser spread over instances gets
 * at most N × instances tries a minute, still far too few for scrypt).
 */
import { readFileSync } from 'node:fs'
import { verifyPassword } from '../../common/secrets.js'
import { MotcuaError } from '../../common/errors.js'
import type { HubConfig } from '../config/schema.js'
import type { Principal } from './roles.js'

const DUMMY_HASH = 'scrypt:AAAAAAAAAAAAAAAAAAAAAA==:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='

export interface Accounts {
  /** The principal, null for wrong credentials, 'locked' while the address has too many recent failures. */
  login(username: string, password: string, client: string): Promise<Principal | null | 'locked'>
  byName(username: string): Principal | null
}

export function createAccounts(users: HubConfig['users'], now: () => number = Date.now, maxFailures = 5, lockMs = 60_000): Accounts {
  const failures = new Map<string, { count: number; until: number }>()
  const principal = (u: HubConfig['users'][number]): Principal => ({ username: u.username, name: u.name, role: u.role, sites: u.sites })
  return {
    async login(username, password, client) {
      const f = failures.get(client)
      if (f && f.count >= maxFailures && f.until > now()) return 'locked'
      const user = users.find((u) => u.username === username)
      const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH)
      if (!ok || !user) {
        const prev = f && f.until > now() ? f.count : 0
        failures.set(client, { count: prev + 1, until: now() + lockMs })
        if (failures.size > 10_000) failures.clear()
        return null
      }
      failures.delete(client)
      return principal(user)
    },
    byName(username) {
      const u = users.find((x) => x.username === username)
      return u ? principal(u) : null
    },
  }
}

/** The session signing key from `sessionSecret` or `sessionSecretFile`; without users there is no console and no key is needed. */
export function sessionSecretOf(config: Pick<HubConfig, 'sessionSecret' | 'sessionSecretFile' | 'users'>): string | null {
  if (config.sessionSecret) return config.sessionSecret
  if (config.sessionSecretFile) {
    const s = readFileSync(config.sessionSecretFile, 'utf8').trim()
    if (s.length < 32) throw new MotcuaError('HUB_CONFIG_INVALID', 'sessionSecretFile holds fewer than 32 characters')
    return s
  }
  if (config.users.length > 0) throw new MotcuaError('HUB_CONFIG_INVALID', 'console users need "sessionSecret" or "sessionSecretFile"')
  return null
}
