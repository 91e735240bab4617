/** Issue 15 on the edge: duty records from the roster's changes, and the site directory sent once per content. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../common/log.js'
import { directoryHash, directoryMarkerFile, directoryOf, REFRESH_DAYS, sendDirectory, startDirectory } from '../../edge/ingest/directory.js'
import { DutyRoster, dutyRecords, type NewDutyRecord } from '../../edge/ingest/duty.js'
import { resetDuty } from '../../edge/ingest/end-of-day.js'
import { buildSiteIndex } from '../../edge/ingest/site.js'
import { edgeRecord } from '../../protocol/records.js'
import { waitFor } from '../../testkit/wait.js'
import { ManualClock } from '../support/manual-clock.js'
import { MemoryOutbox } from '../support/memory-outbox.js'
import { testSite } from '../support/edge-site.js'

const log = createLogger('test', 'silent')
const tmp = mkdtempSync(join(tmpdir(), 'motcua-directory-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const kiosk = (eventId: string) => ({ device: 'kiosk-1', eventId })
const brief = (records: readonly NewDutyRecord[]) => records.map((r) => `${r.event}:${r.reason}:${r.counter}:${r.officer}`)

describe('duty records (pure)', () => {
  const cause = { reason: 'sign-in' as const, ...kiosk('off-00000001') }
  it('a sign-in over the configured officer starts an interval; over a signed-in one it ends theirs first', () => {
    expect(brief(dutyRecords('q1', { officer: 'a', signedIn: false }, { officer: 'b', signedIn: true }, cause))).toEqual(['in:sign-in:q1:b'])
    expect(brief(dutyRecords('q1', { officer: 'a', signedIn: true }, { officer: 'b', signedIn: true }, cause))).toEqual(['out:replaced:q1:a', 'in:sign-in:q1:b'])
  })
  it('a resent sign-in of the officer already signed in makes nothing; the configured officer signing in does', () => {
    expect(dutyRecords('q1', { officer: 'a', signedIn: true }, { officer: 'a', signedIn: true }, cause)).toEqual([])
    expect(brief(dutyRecords('q1', { officer: 'a', signedIn: false }, { officer: 'a', signedIn: true }, cause))).toEqual(['in:sign-in:q1:a'])
  })
  it('sign-out and end-of-day end only a signed-in interval', () => {
    const out = { reason: 'sign-out' as const, ...kiosk('off-00000002') }
    expect(dutyRecords('q1', { officer: 'a', signedIn: true }, { officer: null, signedIn: false }, out)).toEqual([
      { kind: 'duty', event: 'out', reason: 'sign-out', counter: 'q1', officer: 'a', device: 'kiosk-1', eventId: 'off-00000002' },
    ])
    expect(dutyRecords('q1', { officer: 'a', signedIn: false }, { officer: null, signedIn: false }, out)).toEqual([])
    expect(brief(dutyRecords('q1', { officer: 'b', signedIn: true }, { officer: 'a', signedIn: false }, { reason: 'end-of-day' }))).toEqual(['out:end-of-day:q1:b'])
  })
})

describe('DutyRoster journal', () => {
  it('journals each change before applying it, in order, and changes nothing when the journal refuses', async () => {
    const site = buildSiteIndex(testSite().config)
    const journal: NewDutyRecord[] = []
    let refuse = false
    const roster = new DutyRoster(site, async (records) => {
      await Promise.resolve()
      if (refuse) throw new Error('disk full')
      journal.push(...records)
    })
    const seen: string[] = []
    roster.onChange((c, o) => seen.push(`${c}=${o}`))
    // Two sign-ins at once: the second sees the first's result.
    await Promise.all([
      roster.change('q1', 'le-van-c', { reason: 'sign-in', ...kiosk('off-00000001') }),
      roster.change('q1', 'tran-thi-b', { reason: 'sign-in', ...kiosk('off-00000002') }),
    ])
    expect(brief(journal)).toEqual(['in:sign-in:q1:le-van-c', 'out:replaced:q1:le-van-c', 'in:sign-in:q1:tran-thi-b'])
    refuse = true
    await expect(roster.change('q1', null, { reason: 'sign-out', ...kiosk('off-00000003') })).rejects.toThrow('disk full')
    expect(roster.officerAt('q1')).toBe('tran-thi-b')
    refuse = false
    await resetDuty(site, roster)
    expect(brief(journal).slice(3)).toEqual(['out:end-of-day:q1:tran-thi-b'])
    expect(roster.officerAt('q1')).toBe('nguyen-van-a')
    expect(await roster.change('q1', 'nobody', { reason: 'sign-in', ...kiosk('off-00000004') })).toBe(false)
    expect(seen).toEqual(['q1=le-van-c', 'q1=tran-thi-b', 'q1=nguyen-van-a'])
    for (const r of journal) expect(edgeRecord.safeParse({ ...r, seq: 1, t: 1, clock: 'synced' }).success).toBe(true)
  })
})

describe('site directory', () => {
  it('names every department, counter and officer of the config, with the schedule and who can sign in', () => {
    const { config } = testSite()
    const d = directoryOf(config)
    expect(d.siteName).toBe('Trung tâm Phục vụ hành chính công Cần Thơ')
    expect(d.counters).toEqual([
      { id: 'q1', name: 'Quầy 1', department: 'justice', officer: 'nguyen-van-a', kiosk: true },
      { id: 'q2', name: 'Quầy 2', department: 'health', officer: 'tran-thi-b', kiosk: true },
      { id: 'q3', name: 'Quầy 3', department: 'health', officer: null, kiosk: false },
    ])
    expect(d.officers.map((o) => [o.id, o.signIn])).toEqual([['nguyen-van-a', false], ['tran-thi-b', false], ['le-van-c', false]])
  })

  it('is stored once per content: a restart sends nothing, a rename is sent, and going back to the old names is sent again', async () => {
    const { config } = testSite()
    const outbox = new MemoryOutbox()
    const clock = new ManualClock(Date.UTC(2026, 10, 23, 1))
    const markerFile = directoryMarkerFile(join(tmp, 'outbox/'))
    expect(markerFile).toBe(join(tmp, 'outbox.directory'))
    const send = (c = config) => sendDirectory({ config: c, outbox, clock, markerFile, log })
    expect(await send()).toBe('sent')
    expect(await send()).toBe('unchanged')
    const renamed = { ...config, counters: config.counters.map((c) => (c.id === 'q1' ? { ...c, name: 'Quầy Hộ tịch' } : c)) }
    expect(await send(renamed)).toBe('sent')
    expect(await send(renamed)).toBe('unchanged')
    expect(await send()).toBe('sent')
    const hashes = outbox.records.map((r) => (r.record.kind === 'directory' ? r.record.hash : ''))
    expect(hashes).toEqual([directoryHash(directoryOf(config)), directoryHash(directoryOf(renamed)), directoryHash(directoryOf(config))])
    // Unchanged for a month: sent again, so the hub's retention never deletes the site's only directory.
    clock.advance(REFRESH_DAYS * 86_400_000 - 1)
    expect(await send()).toBe('unchanged')
    clock.advance(1)
    expect(await send()).toBe('sent')
    expect(outbox.records).toHaveLength(4)
  })

  it('checks again every day while the edge runs, until stopped', async () => {
    const { config } = testSite()
    const outbox = new MemoryOutbox()
    const clock = new ManualClock(Date.UTC(2026, 10, 23, 1))
    const stop = await startDirectory({ config, outbox, clock, markerFile: join(tmp, 'daily.directory'), log, everyMs: 20 })
    expect(outbox.records).toHaveLength(1)
    clock.advance(REFRESH_DAYS * 86_400_000)
    await waitFor('the month-old directory sent again by the daily check', () => outbox.records.length === 2)
    stop()
  })

  it('sends nothing, and says so, when the directory is too large for the hub to store', async () => {
    const { config } = testSite()
    const officers = Array.from({ length: 500 }, (_, i) => ({ id: `officer-${i}`, name: 'Nguyễn Thị Phương Thảo '.repeat(5).trim() }))
    const outbox = new MemoryOutbox()
    const result = await sendDirectory({ config: { ...config, officers }, outbox, clock: new ManualClock(1), markerFile: null, log })
    expect(result).toBe('invalid')
    expect(outbox.records).toHaveLength(0)
  })
})
