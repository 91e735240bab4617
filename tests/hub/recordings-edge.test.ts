process.env.LOG_LEVEL ??= 'silent'
/**
 * The edge program's own tunnel answers the hub's requests (edge/main.ts
 * wires edge/tunnel/requests.ts): a tamper snapshot on the edge's disk is
 * listed and shown in the province console, through the tunnel the edge
 * dials out (testkit/console-stack.ts).
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startConsoleStack, type ConsoleStack } from '../../testkit/console-stack.js'
import { waitFor } from '../../testkit/wait.js'

let s: ConsoleStack
let dir: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'motcua-rec-edge-'))
  await promisify(execFile)('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x180', '-frames:v', '1', join(dir, 'shot.jpg')])
  s = await startConsoleStack()
  await waitFor('the edge\'s tunnel', () => s.hub.relay.camera('ct-center', 'cam-hall')?.edgeConnected === true)
}, 180_000)

afterAll(async () => {
  await s?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('the edge program answers the hub over its tunnel', () => {
  it('an inspector lists the edge\'s snapshots and sees one with a reason; a supervisor of another site cannot', async () => {
    const jpeg = readFileSync(join(dir, 'shot.jpg'))
    const name = await s.edge.cameras!.cameras.snapshots.save('cam-hall', 'tamper', jpeg, Date.now() - 5000)
    const cookie = await s.login('thanhtra')
    const list = await s.request('/console/api/recordings/ct-center/snapshots?camera=cam-hall', { cookie })
    expect(list.status).toBe(200)
    expect((JSON.parse(list.text) as { snapshots: { name: string; reason: string }[] }).snapshots).toContainEqual(expect.objectContaining({ name, reason: 'tamper' }))
    const pic = await s.request(`/console/recordings/ct-center/snapshots/${name}?reason=${encodeURIComponent('Kiểm tra camera bị che')}`, { cookie })
    expect(pic.status).toBe(200)
    expect(pic.headers['content-type']).toBe('image/jpeg')
    expect(pic.text.length).toBeGreaterThan(0)
    const other = await s.request('/console/api/recordings/ct-center/snapshots', { cookie: await s.login('giamsat') })
    expect(JSON.parse(other.text)).toMatchObject({ error: { code: 'HUB_CONSOLE_FORBIDDEN' } })
  })
})
