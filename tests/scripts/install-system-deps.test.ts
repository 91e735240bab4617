import { execFile } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const SCRIPT = resolve(import.meta.dirname, '../../scripts/install-system-deps.sh')
const run = promisify(execFile)

let dir: string
let aptLog: string

/**
 * apt-get and dpkg-query are replaced by stubs on PATH: a test must not
 * install packages on the machine, but the script's decisions are real.
 */
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'motcua-sysdeps-'))
  aptLog = join(dir, 'apt.log')
  const stub = (name: string, body: string) => {
    writeFileSync(join(dir, name), `#!/bin/bash\n${body}\n`)
    chmodSync(join(dir, name), 0o755)
  }
  stub('apt-get', `echo "$*" >> "${aptLog}"`)
  // When the suite runs as a normal user the script goes through sudo, whose secure_path would find the real apt-get.
  stub('sudo', 'exec "$@"')
  stub('dpkg-query', `pkg="\${!#}"; [[ " $MISSING " == *" $pkg "* ]] && exit 1; printf installed`)
  writeFileSync(join(dir, 'debian'), 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n')
  writeFileSync(join(dir, 'fedora'), 'ID=fedora\nVERSION_ID=40\nPRETTY_NAME="Fedora Linux 40"\n')
})
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

const install = (osRelease: string, missing: string) =>
  run('bash', [SCRIPT], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, OS_RELEASE: join(dir, osRelease), MISSING: missing } })

describe('scripts/install-system-deps.sh', () => {
  it('updates the package lists, then installs only what is missing', async () => {
    rmSync(aptLog, { force: true })
    const { stdout } = await install('debian', 'ffmpeg iproute2')
    expect(stdout).toContain('installing: ffmpeg iproute2')
    expect(readFileSync(aptLog, 'utf8').trim().split('\n')).toEqual(['update', 'install -y ffmpeg iproute2'])
  })

  it('touches nothing when everything is installed', async () => {
    rmSync(aptLog, { force: true })
    const { stdout } = await install('debian', '')
    expect(stdout).toMatch(/all \d+ packages already installed/)
    expect(() => readFileSync(aptLog)).toThrow()
  })

  it('refuses a system that is not Debian, naming the packages to install by hand', async () => {
    await expect(install('fedora', '')).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/not Debian.*gstreamer1\.0-libav/) })
  })
})
