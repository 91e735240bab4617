/** The supervisor page's browser code, bundled in memory at edge start (common/web-assets.ts). */
import { fileURLToPath } from 'node:url'
import { bundleScript, type WebAsset } from '../../common/web-assets.js'

export type PageAsset = WebAsset

export const SUPERVISOR_JS = '/supervisor/app.js'

export function buildSupervisorScript(): Promise<PageAsset> {
  return bundleScript(fileURLToPath(new URL('./browser/main.ts', import.meta.url)))
}
