/**
 * The query client's streamed read (`each`, InfluxDB's chunked answers)
 * against a real influxd: it hands over exactly the rows a whole answer
 * holds, also for a series longer than a chunk, and a failure is the
 * database's error or the caller's own, never a silent short answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hubConfigSchema } from '../../hub/config/schema.js'
import { createInfluxQuery, ReplyLines, type InfluxQuery, type Series } from '../../hub/queries/client.js'
import { startInfluxd, type Influxd } from '../../testkit/influxd.js'

const DB = 'client_each'
// InfluxDB chunks by series or every 10,000 points: the long series arrives in pieces.
const LONG = 25_000
const SHORT_SERIES = 300

let influxd: Influxd
let db: InfluxQuery

beforeAll(async () => {
  influxd = await startInfluxd()
  const admin = createInfluxQuery(config(influxd.url).influx)
  await admin.run([`CREATE DATABASE "${DB}"`])
  const lines: string[] = []
  for (let i = 0; i < LONG; i++) lines.push(`m,s=long v=${i}i ${(1_000_000 + i) * 1_000_000}`)
  for (let k = 0; k < SHORT_SERIES; k++) lines.push(`m,s=short-${k} v=${k}i 2000000000000000`)
  for (let at = 0; at < lines.length; at += 5_000) {
    const res = await fetch(`${influxd.url}/write?db=${DB}`, { method: 'POST', body: lines.slice(at, at + 5_000).join('\n') })
    expect(res.status).toBe(204)
  }
  db = createInfluxQuery(config(influxd.url).influx)
}, 60_000)

afterAll(async () => {
  await influxd?.stop()
})

const config = (url: string) =>
  hubConfigSchema.parse({
    influx: { version: 1, url, database: DB },
    edges: [{ site: 'ct-center', tokenHash: `sha256:${'0'.repeat(64)}` }],
    province: 'can-tho',
  })

/** Rows by series tag, in the order they came. */
function rowsByTag(series: readonly Series[]): Map<string, unknown[][]> {
  const out = new Map<string, unknown[][]>()
  for (const s of series) out.set(s.tags!.s!, [...(out.get(s.tags!.s!) ?? []), ...s.values])
  return out
}

describe('the streamed read (each)', () => {
  it('hands over every row of a whole answer, a series longer than a chunk in pieces that each carry its tags', async () => {
    const statement = `SELECT "v" FROM "m" GROUP BY "s"`
    const [whole] = await db.run([statement])
    const pieces: Series[] = []
    await db.each(statement, (s) => pieces.push(s))

    expect(rowsByTag(pieces)).toEqual(rowsByTag(whole!))
    expect(rowsByTag(pieces).size).toBe(SHORT_SERIES + 1)
    expect(rowsByTag(pieces).get('long')).toHaveLength(LONG)
    // More pieces than series: the long one was cut, and every piece of it is tagged.
    const long = pieces.filter((s) => s.tags?.s === 'long')
    expect(long.length).toBeGreaterThan(1)
    expect(long.reduce((n, s) => n + s.values.length, 0)).toBe(LONG)
    // Times in epoch ms, as run gives them.
    expect(long[0]!.values[0]).toEqual([1_000_000, 0])
  })

  it('fails with the database\'s own error for a statement it refuses, and for a database that is not there', async () => {
    await expect(db.each(`SELECT FROM WHERE`, () => undefined)).rejects.toMatchObject({ code: 'HUB_DB_QUERY_FAILED', message: expect.stringMatching(/error parsing query/) })
    const elsewhere = createInfluxQuery({ version: 1, url: influxd.url, database: 'not_there' })
    await expect(elsewhere.each(`SELECT "v" FROM "m"`, () => undefined)).rejects.toMatchObject({ code: 'HUB_DB_QUERY_FAILED', message: expect.stringMatching(/database not found/) })
  })

  it('passes on what the caller throws as it is, stops reading, and the next read works', async () => {
    const mine = new Error('the caller gave up')
    let seen = 0
    await expect(
      db.each(`SELECT "v" FROM "m" GROUP BY "s"`, () => {
        if (++seen === 3) throw mine
      }),
    ).rejects.toBe(mine)
    expect(seen).toBe(3)
    let rows = 0
    await db.each(`SELECT "v" FROM "m" WHERE "s" = 'long'`, (s) => (rows += s.values.length))
    expect(rows).toBe(LONG)
  })

  it('fails, not answers short, when the database is gone', async () => {
    const gone = createInfluxQuery({ version: 1, url: 'http://127.0.0.1:1', database: DB })
    await expect(gone.each(`SELECT "v" FROM "m"`, () => undefined)).rejects.toMatchObject({ code: 'HUB_DB_QUERY_FAILED' })
  })
})

describe('ReplyLines', () => {
  it('cuts lines wherever the reads end, also inside a character of several bytes', () => {
    const text = '{"a":"Quầy 1"}\n{"b":"Tư pháp"}\n\n{"c":1}'
    const bytes = new TextEncoder().encode(text)
    for (let cut = 1; cut < bytes.length; cut++) {
      const lines = new ReplyLines()
      const got = [...lines.push(bytes.subarray(0, cut)), ...lines.push(bytes.subarray(cut)), ...lines.end()]
      expect(got, `cut at byte ${cut}`).toEqual(['{"a":"Quầy 1"}', '{"b":"Tư pháp"}', '{"c":1}'])
    }
  })

  it('joins a line that spans many reads, and leaves nothing after a final newline', () => {
    const lines = new ReplyLines()
    const parts = ['{"series":[', '1,', '2,', '3]}\n']
    const got = parts.flatMap((p) => lines.push(new TextEncoder().encode(p)))
    expect(got).toEqual(['{"series":[1,2,3]}'])
    expect(lines.end()).toEqual([])
  })
})
