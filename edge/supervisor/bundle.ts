/**
 * The supervisor page's browser code, bundled in memory with esbuild at edge
 * start like the kiosk's (devices/kiosk/build.ts, whose asset helper gives
 * the gzip body and ETag): no build step, no generated files in the tree.
 */
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { asset, type KioskAsset } from '../../devices/kiosk/build.js'

export type PageAsset = KioskAsset

export const SUPERVISOR_JS = '/supervisor/app.js'

export async function buildSupervisorScript(): Promise<PageAsset> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./browser/main.ts', import.meta.url))],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: ['chrome100', 'safari15', 'firefox100'],
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  })
  const out = result.outputFiles[0]
  if (!out) throw new Error('supervisor bundle is empty')
  return asset(Buffer.from(out.contents), 'text/javascript; charset=utf-8')
}
