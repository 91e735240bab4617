process.env.LOG_LEVEL ??= 'silent'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { FORWARD_HOLD_MS, finalize, mappingFromServer, nextMapping, stampAt, wallJump } from '../../edge/clock/model.js'
import { createSystemClock, readBootId } from '../../edge/clock/system-clock.js'
import { tempDir } from './outbox-fixtures.js'

const dir = tempDir('clock')
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const T = Date.UTC(2026, 10, 21, 8, 0, 0)

describe('finalize', () => {
  const model = { boot: 'b2', monoToTrue: T - 1000 }
  it('keeps a time that was trusted at receipt', () => {
    expect(finalize({ wall: 1, mono: 5, boot: 'b2', t: T + 3, clock: 'synced' }, model)).toEqual({ t: T + 3, clock: 'synced' })
  })
  it('corrects a record of the current boot from its mono time', () => {
    expect(finalize({ wall: 86_400_000, mono: 1500.4, boot: 'b2', t: null, clock: null }, model)).toEqual({ t: T + 500, clock: 'corrected' })
  })
  it('keeps wall time for an earlier boot that was never mapped', () => {
    expect(finalize({ wall: 86_400_000, mono: 1500, boot: 'b1', t: null, clock: null }, model)).toEqual({ t: 86_400_000, clock: 'unsynced' })
  })
  it('keeps wall time while the current boot is not mapped', () => {
    expect(finalize({ wall: 42, mono: 1500, boot: 'b2', t: null, clock: null }, { boot: 'b2', monoToTrue: null })).toEqual({ t: 42, clock: 'unsynced' })
  })
  it('stamps final at once when mapped, open otherwise', () => {
    expect(stampAt(7, 2000, model)).toEqual({ wall: 7, mono: 2000, boot: 'b2', t: T + 1000, clock: 'synced' })
    expect(stampAt(7, 2000, { boot: 'b2', monoToTrue: null })).toEqual({ wall: 7, mono: 2000, boot: 'b2', t: null, clock: null })
  })
})

describe('clock maths', () => {
  it('maps from server time at the middle of the round trip', () => {
    // Sent at mono 100, answered at mono 140: the server read its clock at mono ≈ 120.
    expect(mappingFromServer(T, 100, 140)).toBe(T + 20 - 140)
    expect(120 + mappingFromServer(T, 100, 140)).toBe(T)
  })
  it('detects wall-clock jumps beyond a second only', () => {
    expect(wallJump(1000, 1500)).toBe(0)
    expect(wallJump(1000, 3000)).toBe(2000)
    expect(wallJump(1000, -86_400_000)).toBe(-86_401_000)
  })
})

describe('following the hub\'s time', () => {
  const MIN = 60_000
  it('follows at once a first mapping, a step back and a small step ahead', () => {
    expect(nextMapping(null, null, T + 30 * MIN, 5000)).toEqual({ mapping: T + 30 * MIN, held: null })
    expect(nextMapping(T, null, T - 30 * MIN, 5000)).toEqual({ mapping: T - 30 * MIN, held: null })
    expect(nextMapping(T, null, T + 2000, 5000)).toEqual({ mapping: T + 2000, held: null })
  })

  it('holds a step ahead, drops it when the hub comes back, and follows it once it has lasted the hold time', () => {
    const ahead = nextMapping(T, null, T + 30 * MIN, 5000)
    expect(ahead).toEqual({ mapping: T, held: { mapping: T + 30 * MIN, sinceMono: 5000 } })
    // Still ahead a minute short of the hold: not followed.
    expect(nextMapping(T, ahead.held, T + 30 * MIN + 3, 5000 + FORWARD_HOLD_MS - MIN)).toEqual({ mapping: T, held: ahead.held })
    // Back in line: followed at once, nothing held.
    expect(nextMapping(T, ahead.held, T + 4, 6000)).toEqual({ mapping: T + 4, held: null })
    // Ahead for the whole hold: followed.
    expect(nextMapping(T, ahead.held, T + 30 * MIN + 7, 5000 + FORWARD_HOLD_MS)).toEqual({ mapping: T + 30 * MIN + 7, held: null })
    // A different step ahead starts the hold again.
    expect(nextMapping(T, ahead.held, T + 90 * MIN, 7000)).toEqual({ mapping: T, held: { mapping: T + 90 * MIN, sinceMono: 7000 } })
  })
})

describe('system clock', () => {
  function rig(opts: { flag?: boolean } = {}) {
    const bootFile = join(dir, `boot-${Math.random()}`)
    writeFileSync(bootFile, 'abc-boot\n')
    const flag = join(dir, `synced-${Math.random()}`)
    if (opts.flag) writeFileSync(flag, '')
    const lines: { msg: string; jumpMs?: number }[] = []
    const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) })
    const c = { mono: 5000, wall: 100_000 }
    const clock = createSystemClock({ log, bootIdPath: bootFile, syncedFlagPath: flag, mono: () => c.mono, wall: () => c.wall })
    return { clock, c, lines, flag }
  }

  it('reads the boot id, and falls back to a per-process id', () => {
    const { clock } = rig()
    expect(clock.model().boot).toBe('abc-boot')
    expect(readBootId(join(dir, 'missing'))).toBeNull()
    expect(readBootId('/proc/sys/kernel/random/boot_id')).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('is untrusted until a source maps it, then stamps final times from mono', () => {
    const { clock, c } = rig()
    expect(clock.stamp()).toMatchObject({ t: null, clock: null })
    expect(clock.offsetMs()).toBeNull()
    clock.observeServerTime(T, 4990, 5000) // rtt 10 ms
    expect(clock.offsetMs()).toBe(T + 5 - 100_000)
    c.mono += 1000
    c.wall += 1000
    expect(clock.stamp()).toMatchObject({ t: T + 1005, clock: 'synced', wall: 101_000 })
  })

  it('trusts the local clock when timesyncd says it is synchronised', () => {
    const { clock, c } = rig({ flag: true })
    clock.check()
    c.mono += 10
    c.wall += 10
    expect(clock.stamp()).toMatchObject({ t: 100_010, clock: 'synced' })
  })

  it('logs a wall-clock jump, and the jump does not change fixed or mapped times', () => {
    const { clock, c, lines } = rig()
    clock.check()
    clock.observeServerTime(T, 5000, 5000)
    const before = clock.stamp()
    c.wall -= 3_600_000 // someone sets the clock back an hour
    c.mono += 50
    clock.check()
    expect(lines.some((l) => l.msg === 'wall clock jumped' && l.jumpMs === -3_600_050)).toBe(true)
    expect(finalize(before, clock.model())).toEqual({ t: T, clock: 'synced' })
    expect(clock.stamp().t).toBe(T + 50)
  })

  it('does not date records ahead when the hub\'s clock is set ahead and back, and follows it when it stays ahead', () => {
    const { clock, c, lines } = rig()
    clock.observeServerTime(T, 5000, 5000)
    c.mono += 1000
    clock.observeServerTime(T + 1000 + 30 * 60_000, c.mono, c.mono)
    expect(clock.stamp().t).toBe(T + 1000)
    expect(lines.some((l) => l.msg === "hub time is ahead of this edge's clock; following it only if it stays so")).toBe(true)
    c.mono += 1000
    clock.observeServerTime(T + 2000, c.mono, c.mono)
    expect(lines.some((l) => l.msg === 'hub time back in line')).toBe(true)
    // Set ahead again, and answering so for the whole hold: then followed.
    for (let i = 0; i <= FORWARD_HOLD_MS / 60_000; i++) {
      expect(clock.stamp().t).toBe(c.mono - 5000 + T)
      clock.observeServerTime(c.mono - 5000 + T + 30 * 60_000, c.mono, c.mono)
      c.mono += 60_000
    }
    expect(clock.stamp().t).toBe(c.mono - 5000 + T + 30 * 60_000)
    expect(lines.some((l) => l.msg === 'hub time stayed ahead; following it')).toBe(true)
  })

  it('does not resample the local clock across a jump', () => {
    const { clock, c } = rig({ flag: true })
    clock.check()
    c.wall += 7_200_000
    clock.check()
    expect(clock.stamp().t).toBe(100_000)
  })
})
