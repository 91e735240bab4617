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
})
