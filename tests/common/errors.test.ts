import { describe, expect, it } from 'vitest'
import { ERRORS, MotcuaError } from '../../common/errors.js'
import { readDoc, tableAfter } from '../support/markdown.js'

describe('error catalogue', () => {
  it('docs/errors.md lists exactly the catalogue, with the same messages', () => {
    const rows = tableAfter(readDoc('docs/errors.md'), '# Error codes')
    const documented = Object.fromEntries(rows.map((r) => [r[0], r[1]]))
    expect(documented).toEqual({ ...ERRORS })
  })

  it('every documented code has a hint for the reader', () => {
    const rows = tableAfter(readDoc('docs/errors.md'), '# Error codes')
    expect(rows.length).toBe(Object.keys(ERRORS).length)
    for (const row of rows) expect(row[2], row[0]).not.toBe('')
  })

  it('MotcuaError carries its stable code and the catalogue message', () => {
    const e = new MotcuaError('EDGE_DISK_FULL', '12 MB free')
    expect(e.code).toBe('EDGE_DISK_FULL')
    expect(e.message).toBe(`${ERRORS.EDGE_DISK_FULL}: 12 MB free`)
  })
})
