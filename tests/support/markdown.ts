import { readFileSync } from 'node:fs'

/** Rows of the first Markdown table after `heading` (cells trimmed, backticks removed), header row excluded. */
export function tableAfter(markdown: string, heading: string): string[][] {
  const start = markdown.indexOf(heading)
  if (start < 0) throw new Error(`heading not found: ${heading}`)
  const lines = markdown.slice(start).split('\n').slice(1)
  const first = lines.findIndex((l) => l.trim().startsWith('|'))
  if (first < 0) throw new Error(`no table after ${heading}`)
  const rows: string[][] = []
  for (const line of lines.slice(first)) {
    if (!line.trim().startsWith('|')) break
    rows.push(line.trim().slice(1, -1).split('|').map((c) => c.trim().replaceAll('`', '')))
  }
  return rows.slice(2) // header and separator
}

export const readDoc = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8')
