import { describe, expect, it } from 'vitest'
import { createEdgeAuth, hashToken } from '../../hub/ingest/auth.js'

describe('edge tokens', () => {
  const auth = createEdgeAuth([
    { site: 'ttpv-can-tho', tokenHash: hashToken('secret-one') },
    { site: 'chi-nhanh-tay-ho', tokenHash: hashToken('secret-two') },
  ])

  it('hashes as the config expects: sha256:<64 hex>', () => {
    expect(hashToken('abc')).toBe('sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
  })

  it('maps a Bearer token to the site it belongs to', () => {
    expect(auth('Bearer secret-one')).toBe('ttpv-can-tho')
    expect(auth('Bearer secret-two')).toBe('chi-nhanh-tay-ho')
  })

  it('refuses missing, malformed and unknown credentials', () => {
    for (const h of [undefined, '', 'secret-one', 'Basic secret-one', 'Bearer ', 'Bearer secret-one ', 'bearer secret-one', 'Bearer secret-on', `Bearer ${'x'.repeat(600)}`]) {
      expect(auth(h), String(h)).toBeNull()
    }
  })
})
