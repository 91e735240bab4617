/**
 * Console sign-in against the users in the hub config: scrypt passwords, the
 * same time spent for an unknown user as for a wrong password, and a per
 * address failure count (common/web/lockout.ts; per instance: a guesser
 * spread over instances gets at most N × instances tries a minute, still far
 * too few for scrypt).
 */
import { readFileSync } from 'node:fs'
import { MotcuaError } from '../../common/errors.js'
import { Lockout } from '../../common/web/lockout.js'
import { checkPassword } from '../../common/web/sign-in.js'
import type { HubConfig } from '../config/schema.js'
import type { Principal } from './roles.js'

export interface Accounts {
  /** The principal, null for wrong credentials, 'locked' while the address has too many recent failures. */
  login(username: string, password: string, client: string): Promise<Principal | null | 'locked'>
  byName(username: string): Principal | null
}

export function createAccounts(users: HubConfig['users'], now: () => number = Date.now, maxFailures = 5, lockMs = 60_000): Accounts {
  const lockout = new Lockout({ now, maxFailures, lockMs })
  const principal = (u: HubConfig['users'][number]): Principal => ({ username: u.username, name: u.name, role: u.role, sites: u.sites })
  return {
    async login(username, password, client) {
      const user = await checkPassword(lockout, client, users.find((u) => u.username === username), password)
      return user === null || user === 'locked' ? user : principal(user)
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
