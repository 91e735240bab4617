import { describe, expect, it } from 'vitest'
import { hashSecret } from '../../common/secrets.js'
import { createEdgeAuth } from '../../hub/ingest/auth.js'

describe('edge tokens', () => {
  const auth = createEdgeAuth([
    { site: 'ttpv-can-tho', tokenHash: hashSecret('secret-one') },
    { site: 'chi-nhanh-tay-ho', tokenHash: hashSecret('secret-two') },
  ])

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
