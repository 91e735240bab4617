/** Edge snapshots are removed by age as well as by count (docs/retention.md): at open and at each save. */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { SnapshotStore, snapshotName } from '../../edge/cameras/snapshot-store.js'

const DAY = 86_400_000
const NOW = Date.UTC(2026, 10, 22, 3)
let dir = ''
let store: SnapshotStore | null = null

afterEach(() => {
  store?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

it('removes snapshots older than the age limit at open and at each save, keeping the newer ones and the count cap', async () => {
  dir = mkdtempSync(join(tmpdir(), 'motcua-snapshots-'))
  const old = snapshotName('cam-1', NOW - 31 * DAY, 'motion')
  const recent = snapshotName('cam-1', NOW - 2 * DAY, 'motion')
  writeFileSync(join(dir, old), 'x')
  writeFileSync(join(dir, recent), 'x')
  let now = NOW
  store = new SnapshotStore(dir, 3, 30 * DAY, () => now)
  await store.open()
  expect(readdirSync(dir)).toEqual([recent])
  expect(store.latest('cam-1')).toBe(recent)

  now = NOW + 29 * DAY
  const saved = await store.save('cam-2', 'tamper', Buffer.from('y'), now)
  expect(readdirSync(dir).sort()).toEqual([saved])
  expect(store.latest('cam-1')).toBeNull()
  for (let i = 1; i <= 4; i++) await store.save('cam-2', 'motion', Buffer.from('z'), now + i)
  expect(readdirSync(dir)).toHaveLength(3)
})
