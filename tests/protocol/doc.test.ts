import { describe, expect, it } from 'vitest'
import type { z } from 'zod'
import { topics, PROTOCOL_VERSION } from '../../protocol/topics.js'
import { complaintMessage, heartbeatMessage, officerMessage, ratingMessage, statusMessage, ticketMessage } from '../../protocol/messages.js'
import { edgeRecord } from '../../protocol/records.js'
import { SCALES, SCALE_SIZES, normalisedScore } from '../../protocol/scales.js'
import { readDoc, tableAfter } from '../support/markdown.js'

const doc = readDoc('docs/protocol.md')

describe('docs/protocol.md is in step with protocol/', () => {
  it('states the protocol version', () => {
    expect(doc).toContain(`Protocol version: **${PROTOCOL_VERSION}**`)
  })

  it('lists exactly the topics the builders make', () => {
    const documented = Object.fromEntries(tableAfter(doc, '## Topics').map((r) => [r[0], r[1]]))
    const built: Record<string, string> = {
      rating: topics.rating('{site}', '{counter}'),
      ticket: topics.ticket('{site}', '{counter}'),
      officer: topics.officer('{site}', '{counter}'),
      complaint: topics.complaint('{site}', '{counter}'),
      status: topics.status('{site}', '{counter}', '{device}'),
      heartbeat: topics.heartbeat('{site}', '{counter}', '{device}'),
      down: topics.down('{site}', '{counter}', '{device}', '{kind}' as 'config'),
      alert: topics.alert('{site}', '{counter}', '{device}'),
      edgeStatus: topics.edgeStatus('{site}'),
      cameraState: topics.cameraState('{site}', '{camera}'),
    }
    expect(documented).toEqual(built)
    // downAll is the subscription filter for `down`, not a topic of its own.
    expect(Object.keys(topics).sort()).toEqual([...Object.keys(built), 'downAll'].sort())
  })

  const messages: [string, z.ZodObject][] = [
    ['rating', ratingMessage],
    ['status', statusMessage],
    ['heartbeat', heartbeatMessage],
    ['ticket', ticketMessage],
    ['complaint', complaintMessage],
  ]
  it.each(messages)('documents every field of the %s message and whether it is required', (name, schema) => {
    const rows = tableAfter(doc, `### \`${name}\` message`)
    const documented = Object.fromEntries(rows.map((r) => [r[0], r[2] === 'yes']))
    const actual = Object.fromEntries(
      Object.entries(schema.shape).map(([k, s]) => [k, !(s as z.ZodType).safeParse(undefined).success]),
    )
    expect(documented).toEqual(actual)
  })

  it('documents every field of the officer message (a union of sign-in and sign-out)', () => {
    const rows = tableAfter(doc, '### `officer` message')
    const fields = new Set(officerMessage.options.flatMap((o) => Object.keys(o.shape)))
    expect(rows.map((r) => r[0]).sort()).toEqual([...fields].sort())
  })

  it('documents every field of every record kind', () => {
    const base = ['kind', 'seq', 't', 'clock']
    for (const option of edgeRecord.options) {
      const kind = option.shape.kind.value
      const rows = tableAfter(doc, `### \`${kind}\` record`)
      const fields = Object.keys(option.shape).filter((k) => !base.includes(k))
      expect(rows.map((r) => r[0]).sort(), kind).toEqual(fields.sort())
    }
  })

  it('shows the labels and scores the code computes', () => {
    const rows = tableAfter(doc, 'Scales (level')
    expect(rows.map((r) => Number(r[0]))).toEqual([...SCALE_SIZES])
    for (const row of rows) {
      const scale = Number(row[0]) as 3 | 4 | 5
      SCALES[scale].forEach((label, i) => {
        expect(row[i + 1]).toBe(`${label.vi} (${normalisedScore(scale, i + 1)})`)
      })
    }
  })
})
