import { randomBytes } from 'node:crypto'
import { hashSecret } from '../../common/secrets.js'
import { edgeConfigSchema, type EdgeConfig } from '../../edge/config/schema.js'
import type { DeviceKind } from '../../protocol/messages.js'

export interface TestDevice {
  id: string
  kind: DeviceKind
  counter?: string
  secret: string
}

export { hashSecret }

/**
 * A small site for edge tests: two departments, three counters (q1, q2 with
 * an officer on duty; q3 without), a kiosk and a button box on q1, a kiosk on
 * q2 and a queue system. Every listener on port 0 of 127.0.0.1.
 */
export function testSite(overrides: Record<string, unknown> = {}): { config: EdgeConfig; devices: Record<string, TestDevice> } {
  const secret = () => randomBytes(24).toString('base64url')
  const devices: Record<string, TestDevice> = {
    k1: { id: 'kiosk-1', kind: 'kiosk', counter: 'q1', secret: secret() },
    b1: { id: 'button-1', kind: 'button', counter: 'q1', secret: secret() },
    k2: { id: 'kiosk-2', kind: 'kiosk', counter: 'q2', secret: secret() },
    queue: { id: 'queue-1', kind: 'queue', secret: secret() },
  }
  const raw = {
    site: { id: 'ct-center', name: 'Trung tâm Phục vụ hành chính công Cần Thơ' },
    departments: [
      { id: 'justice', name: 'Sở Tư pháp' },
      { id: 'health', name: 'Sở Y tế' },
    ],
    counters: [
      { id: 'q1', name: 'Quầy 1', department: 'justice', officer: 'nguyen-van-a' },
      { id: 'q2', name: 'Quầy 2', department: 'health', officer: 'tran-thi-b' },
      { id: 'q3', name: 'Quầy 3', department: 'health' },
    ],
    officers: [
      { id: 'nguyen-van-a', name: 'Nguyễn Văn A', department: 'justice' },
      { id: 'tran-thi-b', name: 'Trần Thị B', department: 'health' },
      { id: 'le-van-c', name: 'Lê Văn C', department: 'health' },
    ],
    devices: Object.values(devices).map((d) => ({ id: d.id, kind: d.kind, ...(d.counter ? { counter: d.counter } : {}), secretHash: hashSecret(d.secret) })),
    broker: { host: '127.0.0.1', mqttPort: 0, wsPort: 0 },
    http: { host: '127.0.0.1', port: 0 },
    hub: { url: 'http://127.0.0.1:9/', token: 'test-token-0123456789' },
    healthIntervalS: 60,
    ...overrides,
  }
  return { config: edgeConfigSchema.parse(raw), devices }
}
