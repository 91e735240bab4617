import { randomBytes, scryptSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { hashPin, hashSecret, newSecret, verifyPin, verifySecret } from '../../common/secrets.js'

describe('secrets', () => {
  it('verifies a secret against its hash and nothing else', () => {
    const secret = newSecret()
    const stored = hashSecret(secret)
    expect(stored).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(verifySecret(secret, stored)).toBe(true)
    expect(verifySecret(Buffer.from(secret), stored)).toBe(true)
    expect(verifySecret(secret + 'x', stored)).toBe(false)
    expect(verifySecret('', stored)).toBe(false)
    expect(verifySecret(undefined, stored)).toBe(false)
  })

  it('makes a different secret each time', () => {
    expect(newSecret()).not.toBe(newSecret())
  })

  it('salts PIN hashes and verifies them', async () => {
    const a = await hashPin('1234')
    const b = await hashPin('1234')
    expect(a).not.toBe(b)
    expect(await verifyPin('1234', a)).toBe(true)
    expect(await verifyPin('1235', a)).toBe(false)
    expect(await verifyPin('1234', 'sha256:abc')).toBe(false)
  })

  it('stores the scrypt cost in new hashes, still verifies the older 2^14 form, and refuses a cost out of range', async () => {
    const stored = await hashPin('246810')
    expect(stored).toMatch(/^scrypt:15:[A-Za-z0-9+/=]{24}:[A-Za-z0-9+/=]{44}$/)
    // Made with the previous code (N = 2^14, no cost field), as configs written before hold it.
    const salt = randomBytes(16)
    const legacy = `scrypt:${salt.toString('base64')}:${scryptSync('246810', salt, 32, { N: 16384, r: 8, p: 1 }).toString('base64')}`
    expect(await verifyPin('246810', legacy)).toBe(true)
    expect(await verifyPin('246811', legacy)).toBe(false)
    const [, , s2, h2] = stored.split(':')
    expect(await verifyPin('246810', `scrypt:30:${s2}:${h2}`)).toBe(false)
    expect(await verifyPin('246810', `scrypt:x:${s2}:${h2}`)).toBe(false)
    expect(await verifyPin('246810', `scrypt:15:${s2}:`)).toBe(false)
  })
})
