/** The console's browser code, bundled in memory with esbuild at hub start like the supervisor page's (edge/supervisor/bundle.ts). */
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { asset, type KioskAsset } from '../../devices/kiosk/build.js'

export type PageAsset = KioskAsset

export async function buildConsoleScript(): Promise<PageAsset> {
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
  if (!out) throw new Error('console bundle is empty')
  return asset(Buffer.from(out.contents), 'text/javascript; charset=utf-8')
}
