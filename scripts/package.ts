/**
 * `npm run package`: Debian packages from the production build.
 *
 *   build/deb/motcua-edge_<version>_arm64.deb   Raspberry Pi OS / Debian 12 arm64
 *   build/deb/motcua-edge_<version>_amd64.deb
 *   build/deb/motcua-hub_<version>_amd64.deb
 *
 * Each package carries its own Node 20 (from npm's node-linux-<arch>
 * package): Debian 12 and Raspberry Pi OS ship Node 18, too old for aedes 1.x,
 * and a self-contained package installs with `apt install ./…deb` and
 * nothing else. Config in /etc/motcua (conffiles, never overwritten on
 * upgrade), data in /var/lib/motcua/<program>, logs to the journal, a
 * `motcua` system user, and a hardened systemd unit (packaging/<program>/).
 *
 * MOTCUA_VERSION overrides the version (the upgrade check builds two).
 */
import { execFileSync } from 'node:child_process'
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { buildDist } from './build.js'
import { serviceStart } from './lib/units.js'
import { COMMANDS as HUB_COMMANDS } from '../hub/cli/run.js'

const root = resolve(import.meta.dirname, '..')
const NODE_VERSION = '20.20.2'

export type DebArch = 'arm64' | 'amd64'
export type Program = 'edge' | 'hub'

export interface DebTarget {
  program: Program
  arch: DebArch
}

export const TARGETS: DebTarget[] = [
  { program: 'edge', arch: 'arm64' },
  { program: 'edge', arch: 'amd64' },
  { program: 'hub', arch: 'amd64' },
]

const NODE_ARCH: Record<DebArch, string> = { arm64: 'arm64', amd64: 'x64' }

export const packageName = (p: Program) => `motcua-${p}`
export const debFileName = (t: DebTarget, version: string) => `${packageName(t.program)}_${version}_${t.arch}.deb`

/** The node binary for `arch`, fetched once from the npm registry into build/cache. */
export function nodeBinary(arch: DebArch): string {
  const cache = join(root, 'build/cache')
  const dir = join(cache, `node-linux-${NODE_ARCH[arch]}-${NODE_VERSION}`)
  const bin = join(dir, 'package/bin/node')
  if (existsSync(bin)) return bin
  mkdirSync(dir, { recursive: true })
  const tgz = execFileSync('npm', ['pack', `node-linux-${NODE_ARCH[arch]}@${NODE_VERSION}`, '--pack-destination', dir, '--silent'], { encoding: 'utf8' }).trim().split('\n').pop()!
  execFileSync('tar', ['-xzf', join(dir, tgz), '-C', dir, 'package/bin/node', 'package/LICENSE'])
  rmSync(join(dir, tgz))
  return bin
}

function control(t: DebTarget, version: string, installedKb: number): string {
  const edge = t.program === 'edge'
  return [
    `Package: ${packageName(t.program)}`,
    `Version: ${version}`,
    `Architecture: ${t.arch}`,
    'Maintainer: motcua developers <motcua@localhost>',
    `Installed-Size: ${installedKb}`,
    'Section: net',
    'Priority: optional',
    // The bundled node needs only the C and C++ runtimes; the user is made with useradd (passwd is essential).
    'Depends: libc6 (>= 2.28), libstdc++6 (>= 8), init-system-helpers (>= 1.54)',
    // The hub prints PDF reports with Chromium and answers 503 without it.
    edge ? 'Recommends: ffmpeg, ca-certificates' : 'Recommends: ca-certificates, chromium',
    'Homepage: https://motcua.invalid/',
    edge
      ? 'Description: motcua edge for a one-stop public service center\n The box at each center: MQTT broker for the counters\' rating devices,\n a durable outbox forwarded to the province hub, ONVIF cameras and the\n supervisor page. Runs as the motcua-edge systemd service.'
      : 'Description: motcua hub for a province\n HTTPS ingest from the centers\' edges into InfluxDB, the IOC API, the\n province console and the camera relay. Runs as the motcua-hub service.',
    '',
  ].join('\n')
}

const postinst = (p: Program) => `#!/bin/sh
set -e
if [ "$1" = configure ]; then
  if ! getent passwd motcua >/dev/null; then
    useradd --system --user-group --home-dir /var/lib/motcua --no-create-home --shell /usr/sbin/nologin motcua
  fi
  install -d -o root -g motcua -m 0750 /etc/motcua
  install -d -o motcua -g motcua -m 0750 /var/lib/motcua /var/lib/motcua/${p}
  chgrp motcua /etc/motcua/${p}.yaml && chmod 0640 /etc/motcua/${p}.yaml
${p === 'edge' ? `  # The edge's token for the hub: made once, kept on upgrade; its hash goes into the hub's config.
  if [ ! -e /etc/motcua/edge-token ]; then
    (umask 027; head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\\n' > /etc/motcua/edge-token)
    chgrp motcua /etc/motcua/edge-token
  fi
` : ''}fi
if [ "$1" = configure ] || [ "$1" = abort-upgrade ]; then
  deb-systemd-helper unmask motcua-${p}.service >/dev/null || true
  if deb-systemd-helper --quiet was-enabled motcua-${p}.service; then
    deb-systemd-helper enable motcua-${p}.service >/dev/null || true
  else
    deb-systemd-helper update-state motcua-${p}.service >/dev/null || true
    deb-systemd-helper enable motcua-${p}.service >/dev/null || true
  fi
  if [ -d /run/systemd/system ]; then
    systemctl --system daemon-reload >/dev/null || true
    deb-systemd-invoke restart motcua-${p}.service >/dev/null || true
  fi
fi
exit 0
`

const prerm = (p: Program) => `#!/bin/sh
set -e
if [ -d /run/systemd/system ] && [ "$1" = remove ]; then
  deb-systemd-invoke stop motcua-${p}.service >/dev/null || true
fi
exit 0
`

// The data (an edge's outbox holds ratings not yet at the hub) goes only with purge.
const postrm = (p: Program) => `#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
  systemctl --system daemon-reload >/dev/null || true
fi
if [ "$1" = remove ]; then
  deb-systemd-helper mask motcua-${p}.service >/dev/null || true
fi
if [ "$1" = purge ]; then
  deb-systemd-helper purge motcua-${p}.service >/dev/null || true
  deb-systemd-helper unmask motcua-${p}.service >/dev/null || true
  rm -rf /var/lib/motcua/${p}
  rm -f /etc/motcua/${p}.yaml${p === 'edge' ? ' /etc/motcua/edge-token' : ''}
fi
exit 0
`

const wrapper = (p: Program) =>
  p === 'edge'
    ? '#!/bin/sh\n# The technician\'s command on the box: check, provision-device, set-pin, health, outbox (motcua-edge --help).\nexec /usr/lib/motcua-edge/node /usr/lib/motcua-edge/edge-cli.js "$@"\n'
    : '#!/bin/sh\n# motcua-hub CONFIG runs the hub in the foreground (the service runs it with /etc/motcua/hub.yaml);\n# motcua-hub audit-verify | hash-password | --help are the operator\'s tools.\n' +
      `case "$1" in\n  ${HUB_COMMANDS.join('|')}|-h|--help) exec /usr/lib/motcua-hub/node /usr/lib/motcua-hub/hub-cli.js "$@" ;;\nesac\n` +
      `exec /usr/lib/motcua-hub/node ${[...serviceStart('hub').nodeFlags, '/usr/lib/motcua-hub/hub.js'].join(' ')} "$@"\n`

function sizeKb(dir: string): number {
  return Number(execFileSync('du', ['-sk', '--exclude=DEBIAN', dir], { encoding: 'utf8' }).split('\t')[0])
}

/** Lays out one package's tree (for dpkg-deb, and for the tests to inspect). */
export function stageDeb(t: DebTarget, version: string, dir: string): void {
  const dist = join(root, 'dist')
  const p = t.program
  const lib = join(dir, 'usr/lib', packageName(p))
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(lib, { recursive: true })
  cpSync(nodeBinary(t.arch), join(lib, 'node'))
  cpSync(join(dist, 'package.json'), join(lib, 'package.json'))
  if (p === 'edge') {
    for (const f of ['edge.js', 'edge-cli.js']) cpSync(join(dist, f), join(lib, f))
    cpSync(join(dist, 'assets'), join(lib, 'assets'), { recursive: true })
    // Only this architecture's native LevelDB binary.
    cpSync(join(dist, 'node_modules'), join(lib, 'node_modules'), {
      recursive: true,
      filter: (src) => !/classic-level[/\\]prebuilds[/\\]/.test(src) || src.includes(`linux-${NODE_ARCH[t.arch]}`) || /prebuilds$/.test(src),
    })
  } else {
    for (const f of ['hub.js', 'hub-cli.js', 'openapi.yaml']) cpSync(join(dist, f), join(lib, f))
    cpSync(join(dist, 'assets'), join(lib, 'assets'), { recursive: true })
  }
  const pack = join(root, 'packaging', p)
  mkdirSync(join(dir, 'lib/systemd/system'), { recursive: true })
  cpSync(join(pack, `${packageName(p)}.service`), join(dir, 'lib/systemd/system', `${packageName(p)}.service`))
  mkdirSync(join(dir, 'etc/motcua'), { recursive: true })
  cpSync(join(pack, `${p}.yaml`), join(dir, 'etc/motcua', `${p}.yaml`))
  mkdirSync(join(dir, 'usr/bin'), { recursive: true })
  writeFileSync(join(dir, 'usr/bin', packageName(p)), wrapper(p), { mode: 0o755 })
  const doc = join(dir, 'usr/share/doc', packageName(p))
  mkdirSync(doc, { recursive: true })
  cpSync(join(root, 'packaging/README.Debian'), join(doc, 'README.Debian'))
  writeFileSync(join(doc, 'copyright'), `motcua is MIT licensed. It bundles Node.js ${NODE_VERSION} (MIT and others, see /usr/lib/${packageName(p)}/node --version) and npm packages under their own licences.\n`)
  const debian = join(dir, 'DEBIAN')
  mkdirSync(debian)
  writeFileSync(join(debian, 'conffiles'), `/etc/motcua/${p}.yaml\n`)
  for (const [name, text] of [['postinst', postinst(p)], ['prerm', prerm(p)], ['postrm', postrm(p)]] as const) writeFileSync(join(debian, name), text, { mode: 0o755 })
  writeFileSync(join(debian, 'control'), control(t, version, sizeKb(dir)))
  for (const f of readdirSync(debian)) if (f !== 'control' && f !== 'conffiles') chmodSync(join(debian, f), 0o755)
}

/** Builds one .deb; `compress: false` for quick checks (the tests), xz for release. */
export function buildDeb(t: DebTarget, version: string, outDir: string, opts: { compress?: boolean } = {}): string {
  const stage = join(root, 'build/stage', `${packageName(t.program)}_${t.arch}`)
  stageDeb(t, version, stage)
  mkdirSync(outDir, { recursive: true })
  const out = join(outDir, debFileName(t, version))
  execFileSync('dpkg-deb', ['--root-owner-group', `-Z${opts.compress === false ? 'none' : 'xz'}`, '--build', stage, out], { stdio: 'pipe' })
  return out
}

export const packageVersion = (): string => process.env.MOTCUA_VERSION ?? (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version

if (import.meta.url === `file://${process.argv[1]}`) {
  await buildDist()
  const version = packageVersion()
  for (const t of TARGETS) console.log(buildDeb(t, version, join(root, 'build/deb')))
}
