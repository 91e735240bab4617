process.env.LOG_LEVEL ??= 'silent'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import mqtt from 'mqtt'
import { afterAll, describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { createLogger } from '../../common/log.js'
import { startEdge } from '../../edge/main.js'
import { topics } from '../../protocol/topics.js'
import { testSite } from '../support/edge-site.js'
import { MemoryOutbox } from '../support/memory-outbox.js'
import { ManualClock } from '../support/manual-clock.js'

const SITE = 'ct-center'
const tmp = mkdtempSync(join(tmpdir(), 'motcua-edge-http-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))
const rating = (id: string) => JSON.stringify({ v: 1, id, ts: 1_763_711_000_000, scale: 4, level: 2 })

describe('edge /healthz and /metrics (in-process edge)', () => {
  it('reports ok, counts stored ratings, and turns degraded with the reason when the outbox refuses', async () => {
    const { config, devices } = testSite()
    const outbox = new MemoryOutbox()
    const edge = await startEdge(config, { outbox, clock: new ManualClock(Date.now()), log: createLogger('test', 'silent') })
    const base = `http://127.0.0.1:${edge.ports.http}`
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${edge.ports.mqtt}`, { username: devices.k1!.id, password: devices.k1!.secret, reconnectPeriod: 0 })
    try {
      let res = await fetch(`${base}/healthz`)
      expect(res.status).toBe(200)
      expect(await res.json()).toMatchObject({ status: 'ok', reasons: [], site: SITE, connectedDevices: 1, forwarder: null })

      await client.publishAsync(topics.rating(SITE, 'q1'), rating('evt-metric01'), { qos: 1 })
      await client.publishAsync(topics.rating(SITE, 'q2'), rating('evt-metric02'), { qos: 1 })
      const text = await (await fetch(`${base}/metrics`)).text()
      expect(text).toContain('motcua_edge_messages_stored_total{kind="rating"} 1')
      expect(text).toContain('motcua_edge_rejected_total{code="EDGE_TOPIC_FORBIDDEN"} 1')
      expect(text).toContain('motcua_edge_connected_clients 1')
      // The rating, and the start's duty restart and site directory records (issue 15).
      expect(text).toContain('motcua_edge_outbox_depth 3')
      expect(text).toMatch(/motcua_edge_process_resident_memory_bytes \d+/)

      outbox.failWith('EDGE_DISK_FULL')
      const closed = new Promise<void>((resolve) => client.once('close', () => resolve()))
      client.publish(topics.rating(SITE, 'q1'), rating('evt-metric03'), { qos: 1 })
      await closed
      res = await fetch(`${base}/healthz`)
      expect(res.status).toBe(503)
      const body = (await res.json()) as { status: string; reasons: { code: string; message: string }[] }
      expect(body.status).toBe('degraded')
      expect(body.reasons.map((r) => r.code)).toEqual(['OUTBOX_REFUSING', 'EDGE_DISK_FULL'])
      expect(await (await fetch(`${base}/metrics`)).text()).toContain('motcua_edge_store_failures_total{code="EDGE_DISK_FULL"} 1')
      expect((await fetch(`${base}/nothing-here`)).status).toBe(404)
      expect((await fetch(`${base}/healthz`, { method: 'POST' })).status).toBe(405)
    } finally {
      await client.endAsync(true)
      await edge.stop()
    }
  })
})

describe('edge /metrics with a metrics token (issue 11, finding 10)', () => {
  it('answers /metrics only with the bearer token, even on loopback, and the detailed /healthz to the box or the token', async () => {
    const token = 'metrics-token-0123456789'
    const { config } = testSite()
    const edge = await startEdge({ ...config, metricsToken: token }, { outbox: new MemoryOutbox(), clock: new ManualClock(Date.now()), log: createLogger('test', 'silent') })
    const base = `http://127.0.0.1:${edge.ports.http}`
    try {
      const refused = await fetch(`${base}/metrics`)
      expect(refused.status).toBe(401)
      expect(refused.headers.get('www-authenticate')).toBe('Bearer')
      expect(await refused.json()).toMatchObject({ error: { code: 'EDGE_METRICS_REFUSED' } })
      expect((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401)
      const metrics = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } })
      expect(metrics.status).toBe(200)
      expect(await metrics.text()).toContain('motcua_edge_connected_clients')
      // Loopback is the box itself: the technician's `motcua-edge health` reads the details without the token.
      expect(await (await fetch(`${base}/healthz`)).json()).toMatchObject({ status: 'ok', site: SITE })
    } finally {
      await edge.stop()
    }
  })
})

describe('edge CLI (tsx edge/main.ts <config>)', () => {
  it('prints where it listens, serves, and stops cleanly on SIGTERM with the outbox on disk', async () => {
    const { config } = testSite()
    const tokenFile = join(tmp, 'hub-token')
    writeFileSync(tokenFile, 'cli-test-token-0123456789\n')
    const file = join(tmp, 'edge.yaml')
    // Outbox relative to the config file; hub on a closed port: forwarding fails, the edge keeps serving.
    writeFileSync(file, stringify({ ...config, hub: { url: 'http://127.0.0.1:9/', tokenFile: 'hub-token' }, outbox: { dir: 'outbox' } }))
    const child = spawn(process.execPath, ['--import', 'tsx', 'edge/main.ts', file], { cwd: process.cwd(), env: { ...process.env, LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    try {
      const ready = await new Promise<{ ports: { mqtt: number; ws: number; http: number } }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`edge did not start: ${stderr}`)), 30_000)
        createInterface({ input: child.stdout }).on('line', (line) => {
          const msg = JSON.parse(line) as { msg: string; ports: { mqtt: number; ws: number; http: number } }
          if (msg.msg === 'edge listening') {
            clearTimeout(timer)
            resolve(msg)
          }
        })
      })
      expect(ready.ports.mqtt).toBeGreaterThan(0)
      const health = await (await fetch(`http://127.0.0.1:${ready.ports.http}/healthz`)).json()
      expect(health).toMatchObject({ site: SITE, forwarder: { running: true } })
      child.kill('SIGTERM')
      expect(await exited).toBe(0)
      expect(existsSync(join(tmp, 'outbox'))).toBe(true)
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL')
    }
  })

  it('refuses a broken config with a message naming file and key, exit code 78', async () => {
    const file = join(tmp, 'broken.yaml')
    writeFileSync(file, stringify({ site: { id: 'x', name: 'x' }, departments: [], counters: [], hub: { url: 'http://h/', token: 'x'.repeat(16) } }))
    const child = spawn(process.execPath, ['--import', 'tsx', 'edge/main.ts', file], { env: { ...process.env, LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)))
    expect(code).toBe(78)
    expect(stderr).toContain(`EDGE_CONFIG_INVALID ${file}: invalid configuration`)
    expect(stderr).toMatch(/departments: Too small/)
  })
})
