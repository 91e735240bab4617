/** The browser bundles of the production build, written under dist/assets/ by scripts/build.ts. */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildKioskAssets, KIOSK_BUNDLES, KIOSK_CSS, KIOSK_JS } from '../../edge/kiosk/build.js'
import { buildSupervisorScript, SUPERVISOR_BUNDLE } from '../../edge/supervisor/bundle.js'
import { buildConsoleScript, CONSOLE_BUNDLE } from '../../hub/console/bundle.js'

export async function writeBrowserAssets(dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true })
  const kiosk = await buildKioskAssets()
  const files: [string, Buffer | undefined][] = [
    [SUPERVISOR_BUNDLE, (await buildSupervisorScript()).body],
    [CONSOLE_BUNDLE, (await buildConsoleScript()).body],
    [KIOSK_BUNDLES.js, kiosk.get(KIOSK_JS)?.body],
    [KIOSK_BUNDLES.css, kiosk.get(KIOSK_CSS)?.body],
  ]
  for (const [name, body] of files) {
    if (!body) throw new Error(`browser bundle ${name} is empty`)
    writeFileSync(join(dir, name), body)
  }
  return files.map(([name]) => name)
}
