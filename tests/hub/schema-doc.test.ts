import { describe, expect, it } from 'vitest'
import { MISUSE_KINDS } from '../../protocol/records.js'
import { SCALE_SIZES } from '../../protocol/scales.js'
import { HUB_MEASUREMENTS, MEASUREMENTS as EDGE_MEASUREMENTS, ROLLUP_MEASUREMENTS } from '../../hub/influx/schema.js'

const MEASUREMENTS = { ...EDGE_MEASUREMENTS, ...HUB_MEASUREMENTS, ...ROLLUP_MEASUREMENTS }

/** The rollup's field rows are patterns: `n{scale}_{level}` stands for every level of every scale. */
function expand(name: string): string[] {
  if (!name.includes('{')) return [name]
  return SCALE_SIZES.flatMap((scale) =>
    Array.from({ length: scale }, (_, i) => name.replace('{scale}', String(scale)).replace('{level}', String(i + 1))).flatMap((n) =>
      n.includes('{kind}') ? MISUSE_KINDS.map((k) => n.replace('{kind}', k)) : [n],
    ),
  )
}
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
      const fields = Object.fromEntries(rows.filter((r) => r[1] === 'field').flatMap((r) => expand(r[0]!).map((f) => [f, r[2]])))
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
