/** A throwaway PKI for TLS in tests, npm start and benchmarks: one CA and one server certificate for localhost, via the openssl CLI. */
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export interface TestPki {
  caCert: string
  caKey: string
  serverCert: string
  serverKey: string
  /** The CA certificate, PEM, for `ca:` in TLS client options. */
  caPem: string
}

const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] })

/** Writes ca.pem/ca.key and server.pem/server.key into `dir` (SAN localhost, 127.0.0.1, ::1). */
export function makeTestPki(dir: string, name = 'motcua-test'): TestPki {
  mkdirSync(dir, { recursive: true })
  const p = (f: string) => join(dir, f)
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  openssl(['req', '-x509', ...ec, '-keyout', p('ca.key'), '-out', p('ca.pem'), '-days', '2', '-subj', `/CN=${name} CA`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'])
  openssl(['req', '-new', ...ec, '-keyout', p('server.key'), '-out', p('server.csr'), '-subj', '/CN=localhost'])
  writeFileSync(p('server.ext'), [
    'basicConstraints=CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=serverAuth',
    'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
  ].join('\n'))
  openssl(['x509', '-req', '-in', p('server.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial',
    '-out', p('server.pem'), '-days', '2', '-extfile', p('server.ext')])
  return { caCert: p('ca.pem'), caKey: p('ca.key'), serverCert: p('server.pem'), serverKey: p('server.key'), caPem: readFileSync(p('ca.pem'), 'utf8') }
}
