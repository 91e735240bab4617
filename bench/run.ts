/**
 * `npm run bench [-- section ...]`: runs the benchmarks, writes
 * bench/results/latest.json and bench/results/latest.md (the README's table).
 * Sections: spine (issue 2); more are added as issues land.
 * BENCH_QUICK=1 runs small sizes to check the plumbing, not to quote.
 */
import { cpus, loadavg } from 'node:os'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { SECTIONS, type Row } from './sections.js'

// Components log through pino; the runner prints its own lines.
process.env.LOG_LEVEL ??= 'silent'
const outDir = resolve(import.meta.dirname, 'results')
const quick = process.env.BENCH_QUICK === '1'
const wanted = process.argv.slice(2).filter((a) => a !== '--')
const names = wanted.length ? wanted : Object.keys(SECTIONS)
for (const n of names) if (!SECTIONS[n]) throw new Error(`unknown section "${n}"; known: ${Object.keys(SECTIONS).join(', ')}`)

mkdirSync(outDir, { recursive: true })
const jsonFile = resolve(outDir, 'latest.json')
const previous = existsSync(jsonFile) ? (JSON.parse(readFileSync(jsonFile, 'utf8')) as { sections?: Record<string, unknown> }) : {}
const results: Record<string, { at: string; quick: boolean; raw: unknown; rows: Row[] }> = { ...(previous.sections as object) }

for (const name of names) {
  console.log(`== ${name} (load average ${loadavg()[0]!.toFixed(1)})`)
  const started = new Date().toISOString()
  const { raw, rows } = await SECTIONS[name]!({ quick, log: (s) => console.log(`   ${s}`) })
  results[name] = { at: started, quick, raw, rows }
  for (const r of rows) console.log(`   ${r.what}: ${r.measured} (target ${r.target}) ${r.met === null ? '' : r.met ? 'MET' : 'NOT MET'}`)
}

const machine = { cpus: cpus().length, model: cpus()[0]?.model ?? '', node: process.version }
writeFileSync(jsonFile, JSON.stringify({ machine, sections: results }, null, 2) + '\n')
const md = [
  `Measured on ${machine.cpus} cores (${machine.model}), Node ${machine.node}. Ratios come from one run.`,
  '',
  '| benchmark | target | measured | met | run |',
  '|---|---|---|---|---|',
  ...Object.entries(results).flatMap(([name, s]) =>
    s.rows.map((r) => `| ${r.what} | ${r.target} | ${r.measured} | ${r.met === null ? '—' : r.met ? 'yes' : '**no**'} | ${name} ${s.at.slice(0, 10)}${s.quick ? ' (quick)' : ''} |`),
  ),
].join('\n')
writeFileSync(resolve(outDir, 'latest.md'), md + '\n')
console.log(`\nwrote ${jsonFile} and latest.md`)
process.exit(0)
