/** The console's browser code, bundled in memory at hub start (common/web-assets.ts). */
import { fileURLToPath } from 'node:url'
import { bundleScript, type WebAsset } from '../../common/web-assets.js'

export type PageAsset = WebAsset

export function buildConsoleScript(): Promise<PageAsset> {
  return bundleScript(fileURLToPath(new URL('./browser/main.ts', import.meta.url)))
}
