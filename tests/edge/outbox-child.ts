/**
 * Child process for the crash tests: appends ratings with 16 in flight and
 * prints each event id once its append has resolved ("acknowledged").
 * Usage: tsx outbox-child.ts <dir> <first index> [count]
 */
import { openOutbox } from '../../edge/outbox/leveldb-outbox.js'
import { rating, silentLog, syncedStamp, T0 } from './outbox-fixtures.js'

const [dir, firstArg, countArg] = process.argv.slice(2)
const first = Number(firstArg)
const count = Number(countArg ?? 1e6)
const box = await openOutbox({
  dir: dir!, commitWindowMs: 1, maxBytes: 1e9, minFreeBytes: 0, dedupDays: 30, log: silentLog, now: Date.now,
})
process.stdout.write('ready\n')
let next = first
async function worker(): Promise<void> {
  while (next < first + count) {
    const i = next++
    const r = rating(i)
    const id = r.kind === 'rating' ? r.eventId : ''
    const result = await box.append(r, syncedStamp(T0 + i), `kiosk-1:${id}`)
    process.stdout.write(`${result} ${id}\n`)
  }
}
await Promise.all(Array.from({ length: 16 }, worker))
await box.close()
