/** Records and stamps for outbox and forwarder tests. */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLogger } from '../../common/log.js'
import type { Stamp } from '../../edge/clock/types.js'
import type { NewRecord } from '../../edge/outbox/types.js'

export const silentLog = createLogger('test', 'silent')
export const T0 = Date.UTC(2026, 10, 21, 8, 0, 0)

export const tempDir = (name: string) => mkdtempSync(join(tmpdir(), `motcua-${name}-`))

export function rating(i: number, device = 'kiosk-1'): NewRecord {
  return {
    kind: 'rating', department: 'tu-phap', counter: 'q1', device, officer: null, eventId: `ev-${String(i).padStart(8, '0')}`,
    scale: 4, level: 1 + (i % 4), score: 100, dissatisfied: false, reasons: [], ticket: null,
    deviceTs: T0 + i, edgeTs: T0 + i, misuse: null,
  }
}

export function heartbeat(i: number): NewRecord {
  return { kind: 'heartbeat', counter: 'q1', device: 'kiosk-1', uptimeS: i, rssi: -50, battery: null }
}

export function deviceStatus(online: boolean): NewRecord {
  return { kind: 'device_status', counter: 'q1', device: 'kiosk-1', deviceKind: 'kiosk', online }
}

export const syncedStamp = (wall: number): Stamp => ({ wall, mono: wall - T0, boot: 'boot-a', t: wall, clock: 'synced' })
export const unsyncedStamp = (wall: number, mono: number, boot = 'boot-a'): Stamp => ({ wall, mono, boot, t: null, clock: null })
