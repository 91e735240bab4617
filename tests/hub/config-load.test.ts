/** hub/config/load.ts: the hub reads its files the way the edge does, relative to the config file. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { ConfigError } from '../../common/config.js'
import { hashSecret, hashPassword } from '../../common/secrets.js'
import { loadHubConfig } from '../../hub/config/load.js'

const dir = mkdtempSync(join(tmpdir(), 'motcua-hub-config-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const base = () => ({
  http: { host: '127.0.0.1', port: 0, tls: { cert: 'tls/hub.crt', key: '/etc/motcua/hub.key' } },
  influx: { version: 1, url: 'http://127.0.0.1:8086' },
  edges: [{ site: 'ttpv-can-tho', tokenHash: hashSecret('token-can-tho-0123456789') }],
})

let n = 0
function write(raw: unknown): string {
  const folder = join(dir, `etc-${n++}`)
  mkdirSync(folder)
  const file = join(folder, 'hub.yaml')
  writeFileSync(file, stringify(raw))
  return file
}

describe('loadHubConfig', () => {
  it('reads TLS and secret paths from the config file\'s folder, the secret from its file', async () => {
    const users = [{ username: 'ioc', name: 'IOC', role: 'ioc', passwordHash: await hashPassword('mat-khau-dai-du') }]
    const file = write({ ...base(), users, sessionSecretFile: 'console.key' })
    writeFileSync(join(file, '..', 'console.key'), `${'k'.repeat(40)}\n`)
    const config = loadHubConfig(file)
    expect(config.http.tls).toEqual({ cert: join(file, '..', 'tls/hub.crt'), key: '/etc/motcua/hub.key' })
    expect(config.sessionSecretFile).toBe(join(file, '..', 'console.key'))
    expect(config.sessionSecret).toBe('k'.repeat(40))
    expect(Object.isFrozen(config.http)).toBe(true)
  })

  it('refuses a missing or short secret file as a config error naming the key', () => {
    const missing = write({ ...base(), sessionSecretFile: 'nope.key' })
    expect(() => loadHubConfig(missing)).toThrow(ConfigError)
    expect(() => loadHubConfig(missing)).toThrow(/sessionSecretFile: expected a readable file, cannot read ".*nope\.key": ENOENT/)
    const short = write({ ...base(), sessionSecretFile: 'short.key' })
    writeFileSync(join(short, '..', 'short.key'), 'too short')
    expect(() => loadHubConfig(short)).toThrow(/sessionSecretFile: expected a secret of at least 32 characters/)
  })

  it('still finds a relative file only present in the working directory (configs from before issue 12)', () => {
    const cwdRelative = join('tests', 'hub', 'config-load.test.ts')
    const file = write({ ...base(), http: { ...base().http, tls: { cert: cwdRelative, key: 'tls/hub.key' } } })
    expect(loadHubConfig(file).http.tls).toEqual({ cert: cwdRelative, key: join(file, '..', 'tls/hub.key') })
  })
})
