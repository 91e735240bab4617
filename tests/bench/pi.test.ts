import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { expect, it } from 'vitest'
import { serviceStart } from '../../bench/pi.js'

it('runs the production build with the node flags and malloc setting of the packaged unit', () => {
  const unit = readFileSync(resolve(import.meta.dirname, '../../packaging/edge/motcua-edge.service'), 'utf8')
  const { nodeFlags, glibcTunables } = serviceStart()
  expect(nodeFlags.length).toBeGreaterThan(0)
  expect(unit).toContain(`ExecStart=/usr/lib/motcua-edge/node ${nodeFlags.join(' ')} /usr/lib/motcua-edge/edge.js `)
  expect(unit).toContain(`Environment=GLIBC_TUNABLES=${glibcTunables}\n`)
  expect(glibcTunables).toMatch(/^glibc\.malloc\.mmap_threshold=\d+$/)
})

it('reads a unit without node flags, and refuses one it cannot read', () => {
  expect(serviceStart('ExecStart=/usr/lib/motcua-edge/node /usr/lib/motcua-edge/edge.js /etc/motcua/edge.yaml\nEnvironment=GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072\n'))
    .toEqual({ nodeFlags: [], glibcTunables: 'glibc.malloc.mmap_threshold=131072' })
  expect(() => serviceStart('ExecStart=/usr/bin/true\n')).toThrow(/no ExecStart=/)
})
