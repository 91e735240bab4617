import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { ConfigError } from '../../common/config.js'
import { loadEdgeConfig } from '../../edge/config/load.js'
import { edgeConfigSchema } from '../../edge/config/schema.js'
import { hashSecret } from '../support/edge-site.js'

const dir = mkdtempSync(join(tmpdir(), 'motcua-edge-config-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'
/** An absolute key path, kept absolute by the loader. */
const absoluteKey = join(dir, 'edge.key')
writeFileSync(absoluteKey, PEM)
/** PEM files at these paths under `sub`. */
function pems(sub: string, ...files: string[]): void {
  for (const f of files) {
    mkdirSync(join(sub, f, '..'), { recursive: true })
    writeFileSync(join(sub, f), PEM)
  }
}

const base = () => ({
  site: { id: 'ct-center', name: 'Trung tâm Cần Thơ' },
  departments: [{ id: 'justice', name: 'Sở Tư pháp' }],
  counters: [{ id: 'q1', name: 'Quầy 1', department: 'justice' }],
  devices: [{ id: 'kiosk-1', kind: 'kiosk', counter: 'q1', secretHash: hashSecret('s3cret-s3cret-s3cret') }],
  hub: { url: 'https://hub.example.vn/', tokenFile: 'secrets/hub-token' },
  broker: { tls: { cert: 'tls/edge.crt', key: absoluteKey } },
  outbox: { dir: 'data/outbox' },
})

let n = 0
function write(raw: unknown, text?: string): string {
  const file = join(dir, `edge-${n++}.yaml`)
  writeFileSync(file, text ?? stringify(raw))
  return file
}

function problemsOf(file: string): string {
  try {
    loadEdgeConfig(file)
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as Error).message.startsWith(`${file}: invalid configuration`)).toBe(true)
    return (err as Error).message
  }
  throw new Error('expected the config to be refused')
}

describe('loadEdgeConfig', () => {
  it('resolves relative paths against the config folder, reads the token file, and freezes the result', () => {
    const sub = mkdtempSync(join(dir, 'site-'))
    const file = join(sub, 'edge.yaml')
    writeFileSync(file, stringify(base()))
    mkdirSync(join(sub, 'secrets'))
    writeFileSync(join(sub, 'secrets', 'hub-token'), 'edge-token-0123456789abcdef\n')
    pems(sub, 'tls/edge.crt')
    const config = loadEdgeConfig(file)
    expect(config.hub.token).toBe('edge-token-0123456789abcdef')
    expect(config.hub.tokenFile).toBe(join(sub, 'secrets', 'hub-token'))
    expect(config.broker.tls).toEqual({ cert: join(sub, 'tls', 'edge.crt'), key: absoluteKey })
    expect(config.outbox.dir).toBe(join(sub, 'data', 'outbox'))
    expect(config.scale).toBe(4)
    expect(Object.isFrozen(config.counters[0])).toBe(true)
  })

  it.each([
    ['an unknown key', (c: ReturnType<typeof base>) => Object.assign(c.site, { nmae: 'x' }), /site: Unrecognized key: "nmae"/],
    ['a bad id', (c: ReturnType<typeof base>) => (c.counters[0]!.id = 'Quầy 1'), /counters\.0\.id: lowercase letters, digits and "-"/],
    ['a counter with an unknown department', (c: ReturnType<typeof base>) => (c.counters[0]!.department = 'health'), /counters\.0\.department: expected one of the departments' ids, got "health"/],
    ['a kiosk without a counter', (c: ReturnType<typeof base>) => delete (c.devices[0] as { counter?: string }).counter, /devices\.0\.counter: a kiosk must name its counter/],
    ['a device on an unknown counter', (c: ReturnType<typeof base>) => (c.devices[0]!.counter = 'q9'), /devices\.0\.counter: expected one of the counters' ids, got "q9"/],
    ['a plain-text secret', (c: ReturnType<typeof base>) => (c.devices[0]!.secretHash = 'hunter2'), /devices\.0\.secretHash: a secret hash "sha256:<64 hex digits>"/],
    ['no hub token at all', (c: ReturnType<typeof base>) => delete (c.hub as { tokenFile?: string }).tokenFile, /hub: expected "token" or "tokenFile"/],
    ['a reserved counter id', (c: ReturnType<typeof base>) => (c.counters[0]!.id = 'edge'), /counters\.0\.id: "edge" is reserved/],
    ['a wrong type', (c: ReturnType<typeof base>) => Object.assign(c, { healthIntervalS: 'often' }), /healthIntervalS: Invalid input: expected number/],
    ['a scale no site uses', (c: ReturnType<typeof base>) => Object.assign(c, { scale: 7 }), /scale: Invalid option: expected one of 3\|4\|5/],
    ['an http:// hub off this machine', (c: ReturnType<typeof base>) => (c.hub.url = 'http://hub.example.vn:8443/'), /hub\.url: expected an https:\/\/ URL/],
    ['an http:// hub on a LAN address', (c: ReturnType<typeof base>) => (c.hub.url = 'http://10.0.0.7/'), /hub\.url: expected an https:\/\/ URL/],
    ['pages over https with a plain broker', (c: ReturnType<typeof base>) => {
      Object.assign(c, { http: { tls: { cert: 'tls/edge.pem', key: 'tls/edge.key' } } })
      delete (c.broker as { tls?: unknown }).tls
    }, /broker\.tls: expected TLS here too when http\.tls is set/],
  ])('names file, key and expectation for %s', (_what, mutate, expected) => {
    const c = base()
    mutate(c)
    expect(problemsOf(write(c))).toMatch(expected)
  })

  it('accepts http:// to a hub on this machine only, and resolves http.tls like broker.tls', () => {
    for (const url of ['http://127.0.0.1:8443/', 'http://127.9.0.1/', 'http://[::1]:8443/', 'http://localhost/', 'https://hub.example.vn/'])
      expect(edgeConfigSchema.safeParse({ ...base(), hub: { url, token: 'test-token-0123456789' } }).success, url).toBe(true)
    const sub = mkdtempSync(join(dir, 'tls-'))
    const file = join(sub, 'edge.yaml')
    writeFileSync(file, stringify({ ...base(), hub: { url: 'https://hub.example.vn/', token: 'test-token-0123456789' }, http: { tls: { cert: 'tls/edge.pem', key: 'tls/edge.key', ca: 'tls/ca.pem' } } }))
    // A certificate not made yet, or not PEM, is a config error naming the key, not a crash when the edge listens.
    pems(sub, 'tls/edge.crt', 'tls/edge.pem')
    writeFileSync(join(sub, 'tls', 'edge.key'), 'not a key')
    const problems = problemsOf(file)
    expect(problems).toContain(`http.tls.key: expected a PEM file ("-----BEGIN …"), "${join(sub, 'tls', 'edge.key')}" is not one`)
    expect(problems).toContain(`http.tls.ca: expected a readable PEM file, cannot read "${join(sub, 'tls', 'ca.pem')}": ENOENT (make the site's certificates with: motcua-edge make-certs)`)
    pems(sub, 'tls/edge.key', 'tls/ca.pem')
    expect(loadEdgeConfig(file).http.tls).toEqual({ cert: join(sub, 'tls', 'edge.pem'), key: join(sub, 'tls', 'edge.key'), ca: join(sub, 'tls', 'ca.pem') })
  })

  it('reports an unreadable or too short hub token file', () => {
    expect(problemsOf(write(base()))).toMatch(/hub\.tokenFile: expected a readable file, cannot read ".*secrets\/hub-token": ENOENT/)
    const short = join(dir, 'short-token')
    writeFileSync(short, 'abc\n')
    const c = base()
    c.hub.tokenFile = short
    expect(problemsOf(write(c))).toMatch(/hub\.tokenFile: expected a token of at least 16 characters/)
  })

  it('reports a missing file and broken YAML', () => {
    expect(problemsOf(join(dir, 'nope.yaml'))).toMatch(/cannot read file/)
    expect(problemsOf(write(null, 'site: [unclosed'))).toMatch(/not valid YAML/)
  })
})
