import { describe, expect, it } from 'vitest'
import { escapeKey, escapeMeasurement, formatField, quoteString, serializePoint, type Point } from '../../hub/influx/line-protocol.js'

const types = { s: 'string', i: 'integer', f: 'float', b: 'boolean' } as const

describe('line protocol escaping', () => {
  it('escapes commas and spaces in measurements, and also "=" in keys and tag values', () => {
    expect(escapeMeasurement('cpu load,x=1')).toBe('cpu\\ load\\,x=1')
    expect(escapeKey('a b,c=d')).toBe('a\\ b\\,c\\=d')
    expect(escapeKey('back\\slash')).toBe('back\\\\slash')
    expect(escapeKey('plain-id')).toBe('plain-id')
  })

  it('quotes strings, escaping quotes and backslashes, and flattens newlines', () => {
    expect(quoteString('Cán bộ "A"\\B')).toBe('"Cán bộ \\"A\\"\\\\B"')
    expect(quoteString('line1\r\nline2\nline3')).toBe('"line1 line2 line3"')
    expect(quoteString('')).toBe('""')
  })

  it('refuses newlines in names and tags, where they would split the line', () => {
    expect(() => escapeKey('a\nb')).toThrow(RangeError)
    expect(() => escapeMeasurement('m\r')).toThrow(RangeError)
  })
})

describe('field values', () => {
  it('writes integers with i, floats bare, booleans as true/false', () => {
    expect(formatField('i', 42, 'integer')).toBe('42i')
    expect(formatField('i', -7, 'integer')).toBe('-7i')
    expect(formatField('f', 66.7, 'float')).toBe('66.7')
    expect(formatField('f', 100, 'float')).toBe('100')
    expect(formatField('b', false, 'boolean')).toBe('false')
  })

  it('refuses values their declared type cannot hold', () => {
    expect(() => formatField('i', 1.5, 'integer')).toThrow(RangeError)
    expect(() => formatField('i', 2 ** 60, 'integer')).toThrow(RangeError)
    expect(() => formatField('f', Number.NaN, 'float')).toThrow(RangeError)
    expect(() => formatField('f', Infinity, 'float')).toThrow(RangeError)
    expect(() => formatField('b', 'true', 'boolean')).toThrow(RangeError)
    expect(() => formatField('s', 3, 'string')).toThrow(RangeError)
  })
})

describe('serializePoint', () => {
  const point: Point = {
    measurement: 'rating',
    tags: { counter: 'q 1', site: 'ttpv', empty: '' },
    fields: { s: 'a "b"', i: 3, f: 0.5, b: true },
    timestampNs: '1700000000000000123',
  }

  it('writes measurement, tags in the given order, typed fields and the nanosecond time', () => {
    expect(serializePoint(point, types)).toBe('rating,counter=q\\ 1,site=ttpv s="a \\"b\\"",i=3i,f=0.5,b=true 1700000000000000123')
  })

  it('leaves out empty tag values, which InfluxDB cannot store', () => {
    expect(serializePoint(point, types)).not.toContain('empty')
  })

  it('refuses a point without fields, an undeclared field, or a non-integer time', () => {
    expect(() => serializePoint({ ...point, fields: {} }, types)).toThrow(/no fields/)
    expect(() => serializePoint({ ...point, fields: { x: 1 } }, types)).toThrow(/no declared type/)
    expect(() => serializePoint({ ...point, timestampNs: '1.5e18' }, types)).toThrow(/timestamp/)
  })
})
