import { describe, expect, it } from 'vitest'
import { HUB_MEASUREMENTS, MEASUREMENTS as EDGE_MEASUREMENTS } from '../../hub/influx/schema.js'

const MEASUREMENTS = { ...EDGE_MEASUREMENTS, ...HUB_MEASUREMENTS }
import { readDoc, tableAfter } from '../support/markdown.js'

const doc = readDoc('docs/influx-schema.md')

describe('docs/influx-schema.md is in step with hub/influx/schema.ts', () => {
  it('documents exactly the measurements the hub writes', () => {
    const documented = [...doc.matchAll(/^### (\S+)$/gm)].map((m) => m[1])
    expect(documented.sort()).toEqual(Object.keys(MEASUREMENTS).sort())
  })

  for (const [name, schema] of Object.entries(MEASUREMENTS)) {
    it(`${name}: same tags, fields and field types`, () => {
      const rows = tableAfter(doc, `### ${name}\n`)
      const tags = rows.filter((r) => r[1] === 'tag').map((r) => r[0])
      const fields = Object.fromEntries(rows.filter((r) => r[1] === 'field').map((r) => [r[0], r[2]]))
      expect(rows.every((r) => r[1] === 'tag' || r[1] === 'field'), 'kind column').toBe(true)
      expect(rows.every((r) => r[3] !== ''), 'every key is explained').toBe(true)
      expect(tags.sort()).toEqual([...schema.tags].sort())
      expect(fields).toEqual(schema.fields)
    })
  }

  it('explains the bound of every tag used', () => {
    const bounded = tableAfter(doc, '## Why every tag is bounded').map((r) => r[0])
    const used = new Set(Object.values(MEASUREMENTS).flatMap((m) => [...m.tags]))
    expect(bounded.sort()).toEqual([...used].sort())
  })
})
