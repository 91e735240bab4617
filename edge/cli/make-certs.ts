/**
 * `motcua-edge make-certs --host NAME --ip ADDR …`: the site's certificates
 * (issue 11, finding 6), made with the `openssl` that Debian and Raspberry Pi
 * OS ship. A site CA, kept and reused on the next run so tablets that trust it
 * keep working, and the edge's certificate for its names and addresses, which
 * both the web server (http.tls) and the broker (broker.tls) use.
 */
import { execFileSync } from 'node:child_process'
import { chownSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { dirname, join, relative, resolve } from 'node:path'
import { CliError, EXIT } from '../../common/cli/exit.js'
import type { CliIo } from '../../common/cli/io.js'

export interface MakeCertsArgs {
  /** The edge config; the files go into `tls/` beside it. */
  config: string
  hosts: readonly string[]
  ips: readonly string[]
}

/** Days: the CA outlives many edge certificates; 825 days is the most Apple devices accept for a server certificate. */
const CA_DAYS = 3650
const EDGE_DAYS = 825
/** Always in the edge's certificate: `motcua-edge health` and local checks reach it on loopback. */
const LOOPBACK = { hosts: ['localhost'], ips: ['127.0.0.1', '::1'] }
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i
/** The service's user (packaging): it must read the edge's key, and nobody else. */
const SERVICE_USER = 'motcua'

function openssl(args: string[], input?: string): string {
  try {
    return execFileSync('openssl', args, { input, stdio: ['pipe', 'pipe', 'pipe'], encoding: 'utf8' })
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string }
    if (e.code === 'ENOENT') throw new CliError(EXIT.UNAVAILABLE, 'openssl is not installed: sudo apt install openssl')
    throw new CliError(EXIT.CANT_WRITE, `openssl ${args[0]} failed: ${(e.stderr ?? e.message).trim()}`)
  }
}

/** Written beside and renamed into place, so a reader never sees half a file; keys 0600 from the first byte. */
function writeFile(path: string, text: string, mode: number): void {
  writeFileSync(`${path}.new`, text, { mode })
  renameSync(`${path}.new`, path)
}

const newKey = () => openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'])

/** Pure: the subjectAltName of the edge's certificate, loopback included, each name once. */
export function subjectAltName(hosts: readonly string[], ips: readonly string[]): string {
  for (const h of hosts) if (!HOSTNAME.test(h) || isIP(h)) throw new CliError(EXIT.USAGE, `--host "${h}" is not a host name (an address goes in --ip)`)
  for (const ip of ips) if (!isIP(ip)) throw new CliError(EXIT.USAGE, `--ip "${ip}" is not an IPv4 or IPv6 address`)
  const names = [...new Set([...hosts.map((h) => h.toLowerCase()), ...LOOPBACK.hosts])].map((h) => `DNS:${h}`)
  const addresses = [...new Set([...ips, ...LOOPBACK.ips])].map((ip) => `IP:${ip}`)
  return [...names, ...addresses].join(',')
}

/** The service's user and group when run as root and the package made them; else undefined (the key stays the caller's). */
function serviceOwner(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined
  try {
    const [uid, gid] = ['-u', '-g'].map((f) => Number(execFileSync('id', [f, SERVICE_USER], { stdio: ['ignore', 'pipe', 'ignore'], encoding: 'utf8' }).trim()))
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid: uid!, gid: gid! } : undefined
  } catch {
    return undefined
  }
}

export function runMakeCerts(a: MakeCertsArgs, io: CliIo): number {
  if (a.hosts.length === 0 && a.ips.length === 0) throw new CliError(EXIT.USAGE, 'make-certs needs the names and addresses kiosks use to reach the edge: --host NAME and/or --ip ADDR (each may repeat)')
  const san = subjectAltName(a.hosts, a.ips)
  const configDir = dirname(resolve(a.config))
  const dir = join(configDir, 'tls')
  const p = (f: string) => join(dir, f)
  try {
    mkdirSync(dir, { recursive: true, mode: 0o755 })
  } catch (err) {
    throw new CliError(EXIT.CANT_WRITE, `cannot make ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  const cn = a.hosts[0] ?? a.ips[0]!

  const keptCa = existsSync(p('ca.pem')) && existsSync(p('ca.key'))
  if (!keptCa) {
    writeFile(p('ca.key'), newKey(), 0o600)
    const ca = openssl(['req', '-x509', '-new', '-key', p('ca.key'), '-days', String(CA_DAYS), '-subj', `/CN=motcua site CA ${cn}`,
      '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:0', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'])
    writeFile(p('ca.pem'), ca, 0o644)
  }

  const key = newKey()
  writeFile(p('edge.key'), key, 0o600)
  const csr = openssl(['req', '-new', '-key', p('edge.key'), '-subj', `/CN=${cn}`])
  writeFile(p('edge.ext'), ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=serverAuth', `subjectAltName=${san}`].join('\n'), 0o644)
  const cert = openssl(['x509', '-req', '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial', '-days', String(EDGE_DAYS), '-extfile', p('edge.ext')], csr)
  writeFile(p('edge.pem'), cert, 0o644)
  rmSync(p('edge.ext'))
  const owner = serviceOwner()
  if (owner) chownSync(p('edge.key'), owner.uid, owner.gid)
  const until = openssl(['x509', '-noout', '-enddate'], cert).trim().replace(/^notAfter=/, '')

  const rel = (f: string) => relative(configDir, p(f))
  const block = `{ cert: ${rel('edge.pem')}, key: ${rel('edge.key')}, ca: ${rel('ca.pem')} }`
  io.out(`# the site's certificates, in ${dir}:`)
  io.out(`#   ca.pem    the site's CA certificate${keptCa ? ' (kept from before: devices that trust it keep working)' : ''}:`)
  io.out('#             every kiosk tablet and the supervisor\'s browser must trust it (install it as a trusted')
  io.out('#             authority); button boxes and queue systems verify the edge with it (mqtts)')
  io.out(`#   ca.key    the CA's private key (0600): signs the next certificate; anyone holding it can impersonate the edge`)
  io.out(`#   edge.pem  this edge's certificate for ${san.replaceAll('DNS:', '').replaceAll('IP:', '').replaceAll(',', ', ')}; valid until ${until}`)
  io.out(`#   edge.key  its private key (0600${owner ? `, owned by ${SERVICE_USER}, the service's user` : ''})`)
  io.out(`# put in ${a.config} (paths relative to it), the same files for both:`)
  io.out(`http:\n  tls: ${block}\nbroker:\n  tls: ${block}`)
  io.out('# then: sudo motcua-edge check && sudo systemctl restart motcua-edge')
  io.out(`# kiosks open https://${a.hosts[0] ?? (isIP(cn) === 6 ? `[${cn}]` : cn)}:<http.port>/kiosk/?device=…; devices connect with mqtts:// or wss://`)
  return EXIT.OK
}
