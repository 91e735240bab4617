/** The console's browser code, prebuilt by npm run build or bundled in memory at hub start (common/web/assets.ts). */
import { bundleScript, type WebAsset } from '../../common/web/assets.js'

export type PageAsset = WebAsset

/** File name of the bundle in the production build's assets/. */
export const CONSOLE_BUNDLE = 'console.js'

export function buildConsoleScript(): Promise<PageAsset> {
  return bundleScript(CONSOLE_BUNDLE, new URL('./browser/main.ts', import.meta.url))
}
