/** startHub() in-process: a failed start undoes what it started, as the edge's does. */
import { createServer } from 'node:net'
import { describe, expect, it } from 'vitest'
import { createLogger } from '../../common/log.js'
import { startHub } from '../../hub/main.js'
import { hubConfig } from './helpers.js'

describe('startHub on a busy port', () => {
  it('rejects and leaves no timer behind (rollup, alerts, tunnel heartbeat)', async () => {
    const busy = createServer()
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve))
    const port = (busy.address() as { port: number }).port
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
    const before = timers()
    try {
      const config = { ...hubConfig({ version: 1, url: 'http://127.0.0.1:9', database: 'none' }), http: { host: '127.0.0.1', port, maxBodyBytes: 1 << 20 } }
      await expect(startHub(config, { log: createLogger('hub', 'silent') })).rejects.toThrow(/EADDRINUSE/)
      expect(timers()).toBe(before)
    } finally {
      busy.close()
    }
  })
})
