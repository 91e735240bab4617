import { readFileSync } from 'node:fs'
import { expect, it } from 'vitest'
import { serviceStart, unitPath } from '../../scripts/lib/units.js'

it.each(['edge', 'hub'] as const)('reads the node flags and malloc setting the packaged %s unit starts it with', (program) => {
  const unit = readFileSync(unitPath(program), 'utf8')
  const { nodeFlags, glibcTunables } = serviceStart(program)
  expect(nodeFlags.length).toBeGreaterThan(0)
  expect(unit).toContain(`ExecStart=/usr/lib/motcua-${program}/node ${nodeFlags.join(' ')} /usr/lib/motcua-${program}/${program}.js `)
  expect(unit).toContain(`Environment=GLIBC_TUNABLES=${glibcTunables}\n`)
  expect(glibcTunables).toMatch(/^glibc\.malloc\.mmap_threshold=\d+$/)
})

it('bounds the hub’s heap (docs/reports.md) and keeps the edge’s young generation small (docs/pi.md)', () => {
  expect(serviceStart('hub').nodeFlags).toContain('--max-old-space-size=1024')
  expect(serviceStart('edge').nodeFlags).toContain('--max-semi-space-size=1')
})

it('reads a unit without node flags, and refuses one it cannot read', () => {
  expect(serviceStart('edge', 'ExecStart=/usr/lib/motcua-edge/node /usr/lib/motcua-edge/edge.js /etc/motcua/edge.yaml\nEnvironment=GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072\n'))
    .toEqual({ nodeFlags: [], glibcTunables: 'glibc.malloc.mmap_threshold=131072' })
  expect(() => serviceStart('edge', 'ExecStart=/usr/bin/true\n')).toThrow(/no ExecStart=/)
  // The hub's line does not pass for the edge's.
  expect(() => serviceStart('edge', 'ExecStart=/usr/lib/motcua-hub/node /usr/lib/motcua-hub/hub.js x\nEnvironment=GLIBC_TUNABLES=a\n')).toThrow(/edge\.js/)
})
